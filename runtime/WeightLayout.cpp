#include "runtime/WeightLayout.h"

#include <cmath>

namespace netc::runtime {

namespace {

// Calls f(oihw index, hwio index) for every element of a conv weight.
template <typename F> void eachConvIndex(int64_t o, int64_t i, int64_t kh, int64_t kw, F f) {
  for (int64_t co = 0; co < o; ++co)
    for (int64_t ci = 0; ci < i; ++ci)
      for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x)
          f(static_cast<size_t>(((co * i + ci) * kh + y) * kw + x),
            static_cast<size_t>(((y * kw + x) * i + ci) * o + co));
}

// Calls f(NCHW-flatten index, NHWC-flatten index) for every fc weight.
template <typename F> void eachFcIndex(int64_t out, int64_t c, int64_t h, int64_t wd, F f) {
  int64_t in = c * h * wd;
  for (int64_t o = 0; o < out; ++o)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < wd; ++x)
          f(static_cast<size_t>(o * in + (ch * h + y) * wd + x),
            static_cast<size_t>(o * in + (y * wd + x) * c + ch));
}

} // namespace

std::vector<float> oihwToHwio(const std::vector<float> &w, int64_t o, int64_t i, int64_t kh,
                              int64_t kw) {
  std::vector<float> out(w.size());
  eachConvIndex(o, i, kh, kw, [&](size_t oihw, size_t hwio) { out[hwio] = w[oihw]; });
  return out;
}

std::vector<float> hwioToOihw(const std::vector<float> &w, int64_t o, int64_t i, int64_t kh,
                              int64_t kw) {
  std::vector<float> out(w.size());
  eachConvIndex(o, i, kh, kw, [&](size_t oihw, size_t hwio) { out[oihw] = w[hwio]; });
  return out;
}

std::vector<float> fcNchwToNhwc(const std::vector<float> &w, int64_t out, int64_t c, int64_t h,
                                int64_t wd) {
  std::vector<float> r(w.size());
  eachFcIndex(out, c, h, wd, [&](size_t nchw, size_t nhwc) { r[nhwc] = w[nchw]; });
  return r;
}

std::vector<float> fcNhwcToNchw(const std::vector<float> &w, int64_t out, int64_t c, int64_t h,
                                int64_t wd) {
  std::vector<float> r(w.size());
  eachFcIndex(out, c, h, wd, [&](size_t nchw, size_t nhwc) { r[nchw] = w[nhwc]; });
  return r;
}

void bnScaleShift(const float *gamma, const float *beta, const float *mean, const float *var,
                  int64_t c, double eps, std::vector<float> &scale, std::vector<float> &shift) {
  scale.resize(static_cast<size_t>(c));
  shift.resize(static_cast<size_t>(c));
  for (int64_t k = 0; k < c; ++k) {
    double s = gamma[k] / std::sqrt(double(var[k]) + eps);
    scale[static_cast<size_t>(k)] = static_cast<float>(s);
    shift[static_cast<size_t>(k)] = static_cast<float>(beta[k] - mean[k] * s);
  }
}

void foldBn(std::vector<float> &w, std::vector<float> &bias, int64_t o,
            const std::vector<float> &scale, const std::vector<float> &shift) {
  int64_t per = static_cast<int64_t>(w.size()) / o;
  bias.resize(static_cast<size_t>(o), 0.f);
  for (int64_t co = 0; co < o; ++co) {
    for (int64_t k = 0; k < per; ++k)
      w[static_cast<size_t>(co * per + k)] *= scale[static_cast<size_t>(co)];
    bias[static_cast<size_t>(co)] =
        bias[static_cast<size_t>(co)] * scale[static_cast<size_t>(co)] + shift[static_cast<size_t>(co)];
  }
}

} // namespace netc::runtime
