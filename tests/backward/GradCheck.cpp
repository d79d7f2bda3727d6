#include "GradCheck.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace netc::test::bwd {

Vec randomVec(std::mt19937 &rng, size_t n, bool awayFromZero) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Vec v(n);
  for (double &e : v) {
    e = u(rng);
    if (awayFromZero) e = (e < 0 ? -1.0 : 1.0) * (0.1 + 0.9 * std::abs(e));
  }
  return v;
}

Halide::Buffer<float> toBuf(const Vec &v, const std::vector<int> &dims) {
  Halide::Buffer<float> b(dims);
  if (size_t(b.number_of_elements()) != v.size()) throw std::invalid_argument("toBuf: size");
  std::transform(v.begin(), v.end(), b.data(), [](double d) { return float(d); });
  return b;
}

Vec fromBuf(const Halide::Buffer<float> &b) {
  return Vec(b.data(), b.data() + b.number_of_elements());
}

Halide::Buffer<float> zeros(const std::vector<int> &dims) {
  Halide::Buffer<float> b(dims);
  b.fill(0.f);
  return b;
}

namespace {
double dot(const Vec &a, const Vec &b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}
}  // namespace

Vec fdGradient(const Forward &f, const Vec &x, const Vec &w, double h) {
  Vec g(x.size()), xp = x;
  for (size_t i = 0; i < x.size(); ++i) {
    xp[i] = x[i] + h;
    double up = dot(w, f(xp));
    xp[i] = x[i] - h;
    double down = dot(w, f(xp));
    xp[i] = x[i];
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

double relError(const Vec &got, const Vec &ref) {
  if (got.size() != ref.size()) return INFINITY;
  double err = 0, scale = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    err = std::max(err, std::abs(got[i] - ref[i]));
    scale = std::max(scale, std::abs(ref[i]));
  }
  return err / std::max(scale, 1e-30);
}

double relError(const Halide::Buffer<float> &got, const Vec &ref) {
  return relError(fromBuf(got), ref);
}

}  // namespace netc::test::bwd
