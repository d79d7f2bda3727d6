// Gradient checking: double-precision vectors, central finite differences
// of a scalar projection of a reference forward op, and the error metric.
#pragma once

#include <Halide.h>

#include <functional>
#include <random>
#include <vector>

namespace netc::test::bwd {

using Vec = std::vector<double>;
using Forward = std::function<Vec(const Vec &)>;

// Uniform in [lo, hi); with awayFromZero, magnitudes lie in [0.1, 1) so a
// finite difference never straddles a relu kink.
Vec randomVec(std::mt19937 &rng, size_t n, bool awayFromZero = false);

// A dense fp32 buffer with Halide dims `dims` (innermost first) holding v.
Halide::Buffer<float> toBuf(const Vec &v, const std::vector<int> &dims);
Vec fromBuf(const Halide::Buffer<float> &b);
Halide::Buffer<float> zeros(const std::vector<int> &dims);

// d/dx of dot(w, f(x)) by central differences in double: exact for
// piecewise-linear ops away from kinks, O(h^2) otherwise.
Vec fdGradient(const Forward &f, const Vec &x, const Vec &w, double h = 1e-3);

// max|got - ref| / max|ref|: relative to the gradient's scale, which may be
// far below 1 (e.g. the 1/N of a mean loss).
double relError(const Halide::Buffer<float> &got, const Vec &ref);
double relError(const Vec &got, const Vec &ref);

// fp32 kernels against double finite differences.
constexpr double kGradTol = 1e-4;

}  // namespace netc::test::bwd
