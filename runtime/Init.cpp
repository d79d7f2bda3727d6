#include "runtime/Init.h"

#include <cmath>
#include <stdexcept>

namespace netc::runtime {

uint64_t Rng::next() {
  uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

double Rng::normal() {
  double u1 = uniform(), u2 = uniform();
  if (u1 < 1e-300)
    u1 = 1e-300;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

InitScheme parseInitScheme(const std::string &name) {
  if (name == "he")
    return InitScheme::He;
  if (name == "glorot")
    return InitScheme::Glorot;
  if (name == "normal")
    return InitScheme::Normal;
  throw std::invalid_argument("unknown initialiser '" + name + "' (he, glorot, normal)");
}

namespace {

void fillWeight(NamedTensor &t, const dsl::ParamSpec &s, InitScheme scheme, Rng &rng) {
  for (float &v : t.data) {
    switch (scheme) {
    case InitScheme::He:
      v = static_cast<float>(rng.normal() * std::sqrt(2.0 / static_cast<double>(s.fanIn)));
      break;
    case InitScheme::Glorot: {
      double a = std::sqrt(6.0 / static_cast<double>(s.fanIn + s.fanOut));
      v = static_cast<float>((2 * rng.uniform() - 1) * a);
      break;
    }
    case InitScheme::Normal:
      v = static_cast<float>(rng.normal() * 0.01);
      break;
    }
  }
}

} // namespace

std::vector<NamedTensor> initialize(const std::vector<dsl::ParamSpec> &specs, InitScheme scheme,
                                    uint64_t seed) {
  Rng rng(seed);
  std::vector<NamedTensor> out;
  out.reserve(specs.size());
  for (const dsl::ParamSpec &s : specs) {
    NamedTensor t{s.name, s.shape, std::vector<float>(static_cast<size_t>(s.elements()), 0.f)};
    if (s.role == dsl::ParamSpec::Weight)
      fillWeight(t, s, scheme, rng);
    else if (s.role == dsl::ParamSpec::BnWeight || s.role == dsl::ParamSpec::RunningVar)
      std::fill(t.data.begin(), t.data.end(), 1.f);
    out.push_back(std::move(t));
  }
  return out;
}

} // namespace netc::runtime
