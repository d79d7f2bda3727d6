#include "runtime/train/Progress.h"

#include <algorithm>
#include <cmath>
#include <unistd.h>

namespace netc::runtime::train {

std::string formatDuration(double s) {
  if (!std::isfinite(s) || s < 0)
    return "?";
  long long t = std::llround(s);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", t / 3600, t / 60 % 60);
  else if (t >= 60)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", t / 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%llds", t);
  return buf;
}

Progress::Progress(const ProgressConfig &cfg)
    : cfg_(cfg), tty_(cfg.tty >= 0 ? cfg.tty != 0 : isatty(fileno(cfg.out)) != 0),
      start_(Clock::now()), lastPrint_(start_), step_(cfg.firstStep),
      lastPrintStep_(cfg.firstStep) {
  if (cfg_.stepsPerEpoch <= 0)
    cfg_.stepsPerEpoch = 1;
}

double Progress::seconds(Clock::time_point t) const {
  return std::chrono::duration<double>(t - start_).count();
}

void Progress::update(int64_t step, double loss, int64_t correct, int64_t images) {
  step_ = step;
  images_ += images;
  double a = cfg_.smoothing;
  double acc = images > 0 ? static_cast<double>(correct) / static_cast<double>(images) : 0;
  lossAvg_ = (1 - a) * lossAvg_ + a * loss;
  accAvg_ = (1 - a) * accAvg_ + a * acc;
  weight_ = (1 - a) * weight_ + a;
  Clock::time_point now = Clock::now();
  double sinceLast = std::chrono::duration<double>(now - lastPrint_).count();
  // A terminal shows the first step at once, then redraws at most 10 times
  // a second.
  bool due = tty_ ? !printed_ || sinceLast >= 0.1
                  : sinceLast >= cfg_.everySeconds ||
                        (cfg_.everySteps > 0 && step - lastPrintStep_ >= cfg_.everySteps);
  if (due || step >= cfg_.totalSteps)
    print();
}

double Progress::smoothedLoss() const { return weight_ > 0 ? lossAvg_ / weight_ : 0; }
double Progress::smoothedAccuracy() const { return weight_ > 0 ? accAvg_ / weight_ : 0; }

std::string Progress::line() const {
  double el = seconds(Clock::now());
  double done = static_cast<double>(step_ - cfg_.firstStep);
  double perStep = done > 0 ? el / done : NAN;
  double eta = perStep * static_cast<double>(cfg_.totalSteps - step_);
  int64_t epochs = (cfg_.totalSteps + cfg_.stepsPerEpoch - 1) / cfg_.stepsPerEpoch;
  int64_t epoch = std::min(step_ / cfg_.stepsPerEpoch + 1, std::max<int64_t>(epochs, 1));
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "epoch %lld/%lld  step %lld/%lld  loss %.4f  acc %.1f%%  %.0f img/s  ETA %s",
                static_cast<long long>(epoch), static_cast<long long>(epochs),
                static_cast<long long>(step_), static_cast<long long>(cfg_.totalSteps),
                smoothedLoss(), 100 * smoothedAccuracy(),
                el > 0 ? static_cast<double>(images_) / el : 0.0, formatDuration(eta).c_str());
  return buf;
}

void Progress::print() {
  std::string l = line();
  if (tty_) {
    // \033[K clears what a longer previous line left behind.
    std::fprintf(cfg_.out, "\r%s\033[K", l.c_str());
    inPlace_ = true;
  } else {
    std::fprintf(cfg_.out, "%s\n", l.c_str());
  }
  std::fflush(cfg_.out);
  lastPrint_ = Clock::now();
  printed_ = true;
  lastPrintStep_ = step_;
}

void Progress::note(const std::string &message) {
  if (inPlace_)
    std::fputc('\n', cfg_.out);
  inPlace_ = false;
  std::fprintf(cfg_.out, "%s\n", message.c_str());
  std::fflush(cfg_.out);
}

void Progress::finish() {
  if (lastPrintStep_ != step_ || step_ == cfg_.firstStep)
    print();
  if (inPlace_)
    std::fputc('\n', cfg_.out);
  inPlace_ = false;
  std::fflush(cfg_.out);
}

} // namespace netc::runtime::train
