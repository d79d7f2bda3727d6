// The papers' initialisers, deterministic for a seed:
//   he      N(0, 2/fan_in)                  ResNet (He et al. 2015, "Delving deep")
//   glorot  U(-a, a), a = sqrt(6/(fan_in+fan_out))   VGG's later finding
//   normal  N(0, 0.01^2)                    VGG net A
// Biases and BN beta start at 0, BN gamma at 1, running stats at (0, 1).
#pragma once

#include "dsl/Params.h"
#include "runtime/NamedTensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace netc::runtime {

enum class InitScheme { He, Glorot, Normal };

/// Parses "he", "glorot" or "normal"; throws std::invalid_argument.
InitScheme parseInitScheme(const std::string &name);

/// Fresh tensors for every spec, in spec order.
std::vector<NamedTensor> initialize(const std::vector<dsl::ParamSpec> &specs, InitScheme scheme,
                                    uint64_t seed);

/// A small, fast, portable generator (SplitMix64): the same stream on every
/// platform and standard library, unlike std::normal_distribution.
class Rng {
public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next();
  double uniform();  // [0, 1)
  double normal();   // N(0, 1), Box-Muller
  uint64_t state() const { return s_; }
  void setState(uint64_t s) { s_ = s; }

private:
  uint64_t s_;
};

} // namespace netc::runtime
