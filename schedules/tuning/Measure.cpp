#include "schedules/tuning/Measure.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace netc::schedules {

using Clock = std::chrono::steady_clock;

Halide::Buffer<float> randomBuffer(std::mt19937 &rng, const std::vector<int> &dims) {
  Halide::Buffer<float> b(dims);
  std::normal_distribution<float> d(0.f, 1.f);
  b.for_each_value([&](float &v) { v = d(rng); });
  return b;
}

void evictCaches() {
  static std::vector<char> junk(64 << 20);
  static char round = 0;
  ++round;
  for (size_t i = 0; i < junk.size(); i += 64) junk[i] = round;
}

double medianColdMs(const std::function<void()> &run, double budgetMs) {
  run();  // warm-up: page faults, the thread pool
  std::vector<double> times;
  Clock::time_point start = Clock::now();
  auto spent = [&] { return std::chrono::duration<double, std::milli>(Clock::now() - start).count(); };
  while (times.size() < 5 || (times.size() < 30 && spent() < budgetMs)) {
    evictCaches();
    Clock::time_point t0 = Clock::now();
    run();
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return times[times.size() / 2];
}

double relError(const Halide::Buffer<float> &a, const Halide::Buffer<float> &b) {
  double num = 0, den = 0;
  a.for_each_element([&](const int *pos) {
    num = std::max(num, double(std::fabs(a(pos) - b(pos))));
    den = std::max(den, double(std::fabs(b(pos))));
  });
  return num / std::max(den, 1e-30);
}

}  // namespace netc::schedules
