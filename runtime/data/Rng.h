// A small, fully specified random generator (splitmix64). The standard
// library's distributions differ between implementations, and training must
// replay bit-identically, so every random draw in the pipeline goes here.
#pragma once

#include <cmath>
#include <cstdint>

namespace netc::runtime::data {

/// The splitmix64 finaliser: a strong 64-bit mix, used to derive seeds.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// The seed of one (run seed, epoch, stream) triple. Each sample gets its
/// own stream (its position in the epoch), so its augmentation does not
/// depend on which thread made it or what was drawn before: this is what
/// makes output independent of timing and resume exact.
inline uint64_t deriveSeed(uint64_t seed, uint64_t epoch, uint64_t stream) {
  return mix64(mix64(mix64(seed) ^ (epoch + 0x9e3779b97f4a7c15ULL)) ^ (stream * 0xd1b54a32d192ed03ULL));
}

class Rng {
public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix64(state_);
  }
  /// Uniform in [0, n) (n > 0) by 128-bit multiply; the bias is below 2^-32.
  uint64_t below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }
  /// Uniform integer in [lo, hi].
  int64_t between(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(below(uint64_t(hi - lo) + 1)); }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Standard normal by Box-Muller (one value per call, for simplicity).
  double normal() {
    double u1 = 1.0 - uniform(); // (0, 1]: log is finite
    double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  uint64_t state() const { return state_; }

private:
  uint64_t state_;
};

} // namespace netc::runtime::data
