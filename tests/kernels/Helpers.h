// Test helpers: seeded random tensors, the error metric, the two targets.
#pragma once

#include <Halide.h>

#include <random>
#include <vector>

namespace netc::test {

using Buf = Halide::Buffer<float>;

// Uniform in [lo, hi) from a fixed-seed generator: fresh values per tensor,
// identical from run to run.
Buf randomBuffer(std::mt19937 &rng, const std::vector<int> &dims, float lo = -1.f,
                 float hi = 1.f);

// max|a - b| / max(1, max|ref|): absolute near zero, relative for large
// values, which suits fp32 sums whose order differs from the reference.
double relError(const Buf &got, const Buf &ref);

// Error bound for fp32 results checked against double references.
constexpr double kTolerance = 1e-5;

// The host target (AVX-512 here) and an AVX2 target the host can also run.
Halide::Target avx512Target();
Halide::Target avx2Target();
std::vector<Halide::Target> testTargets();

}  // namespace netc::test
