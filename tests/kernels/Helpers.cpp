#include "Helpers.h"
#include "compiler/halide/HostTarget.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace netc::test {

Buf randomBuffer(std::mt19937 &rng, const std::vector<int> &dims, float lo, float hi) {
  Buf b(dims);
  std::uniform_real_distribution<float> dist(lo, hi);
  b.for_each_value([&](float &v) { v = dist(rng); });
  return b;
}

double relError(const Buf &got, const Buf &ref) {
  if (got.number_of_elements() != ref.number_of_elements())
    throw std::invalid_argument("relError: size mismatch");
  double maxDiff = 0, maxRef = 0;
  const float *g = got.data(), *r = ref.data();
  for (size_t i = 0; i < ref.number_of_elements(); ++i) {
    maxDiff = std::max(maxDiff, std::fabs(double(g[i]) - double(r[i])));
    maxRef = std::max(maxRef, std::fabs(double(r[i])));
    if (std::isnan(g[i])) return INFINITY;
  }
  return maxDiff / std::max(1.0, maxRef);
}

Halide::Target avx512Target() { return netc::halide::hostTarget(); }

Halide::Target avx2Target() {
  return Halide::Target("x86-64-linux-avx-avx2-f16c-fma-sse41");
}

std::vector<Halide::Target> testTargets() { return {avx512Target(), avx2Target()}; }

}  // namespace netc::test
