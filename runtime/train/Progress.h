// The live progress line of a training run on stderr:
//   epoch 3/30  step 1200/11730  loss 0.4123  acc 85.3%  412 img/s  ETA 7m12s
// On a terminal the line is rewritten in place ('\r'); otherwise (CI logs,
// files) a full line is printed every `everySteps` steps or `everySeconds`
// seconds, whichever comes first, so logs stay small.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace netc::runtime::train {

struct ProgressConfig {
  int64_t totalSteps = 0;    ///< the run's length (for step/total and ETA)
  int64_t stepsPerEpoch = 1; ///< for the epoch counter
  int64_t firstStep = 0;     ///< a resumed run's starting step (ETA counts from it)
  int64_t everySteps = 0;    ///< non-TTY: print every N steps (0: time only)
  double everySeconds = 10;  ///< non-TTY: print at least this often
  std::FILE *out = stderr;
  int tty = -1; ///< 1/0 force; -1: isatty(out)
  /// Smoothing of the loss and accuracy: exponential moving average with
  /// this weight on the newest step, bias-corrected like tqdm's.
  double smoothing = 0.05;
};

class Progress {
public:
  explicit Progress(const ProgressConfig &cfg);

  /// After optimizer step `step` (1-based: steps done) over `images`
  /// images with mean loss `loss` and `correct` top-1 hits. Prints when due.
  void update(int64_t step, double loss, int64_t correct, int64_t images);
  /// A message (e.g. an evaluation result) on its own line, not overwritten.
  void note(const std::string &message);
  /// Prints the final state and ends an in-place line with '\n'.
  void finish();

  /// The current line, without '\r' or '\n'.
  std::string line() const;
  double smoothedLoss() const;
  double smoothedAccuracy() const;

private:
  using Clock = std::chrono::steady_clock;
  void print();
  double seconds(Clock::time_point t) const;

  ProgressConfig cfg_;
  bool tty_;
  Clock::time_point start_, lastPrint_;
  int64_t step_ = 0, lastPrintStep_ = 0, images_ = 0;
  double lossAvg_ = 0, accAvg_ = 0, weight_ = 0; // biased EMAs and their total weight
  bool inPlace_ = false;                         // an unterminated line is on screen
  bool printed_ = false;
};

/// "7m12s", "1h03m", "42s": durations in progress lines.
std::string formatDuration(double seconds);

} // namespace netc::runtime::train
