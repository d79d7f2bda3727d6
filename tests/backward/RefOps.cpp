#include "RefOps.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace netc::test::bwd {

namespace nh = netc::halide;

namespace {
// Flat NHWC index.
size_t at(int c, int x, int y, int n, int C, int W, int H) {
  return ((size_t(n) * H + y) * W + x) * C + c;
}
}  // namespace

Vec refConv(const nh::ConvSpec &s, int n, const Vec &x, const Vec &w) {
  const int OH = s.outH(), OW = s.outW();
  Vec y(size_t(n) * OH * OW * s.cout, 0.0);
  for (int b = 0; b < n; ++b)
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox)
        for (int co = 0; co < s.cout; ++co) {
          double acc = 0;
          for (int ky = 0; ky < s.kh; ++ky)
            for (int kx = 0; kx < s.kw; ++kx) {
              int iy = oy * s.sH() + ky - s.pTop(), ix = ox * s.sW() + kx - s.pLeft();
              if (iy < 0 || iy >= s.inH || ix < 0 || ix >= s.inW) continue;
              for (int ci = 0; ci < s.cin; ++ci)
                acc += w[at(co, ci, kx, ky, s.cout, s.cin, s.kw)] *
                       x[at(ci, ix, iy, b, s.cin, s.inW, s.inH)];
            }
          y[at(co, ox, oy, b, s.cout, OW, OH)] = acc;
        }
  return y;
}

Vec refZeroPad(const nh::ZeroPadSpec &s, int n, const Vec &x) {
  const int OH = s.outH(), OW = s.outW(), p = (s.outC - s.in.c) / 2;
  Vec y(size_t(n) * OH * OW * s.outC, 0.0);
  for (int b = 0; b < n; ++b)
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox)
        for (int c = p; c < p + s.in.c; ++c)
          y[at(c, ox, oy, b, s.outC, OW, OH)] =
              x[at(c - p, ox * s.stride, oy * s.stride, b, s.in.c, s.in.w, s.in.h)];
  return y;
}

Vec refRelu(const Vec &x) {
  Vec y(x.size());
  std::transform(x.begin(), x.end(), y.begin(), [](double v) { return std::max(v, 0.0); });
  return y;
}

BnOut refBnTrain(const nh::Shape3 &s, int n, const Vec &x, const Vec &gamma, const Vec &beta,
                 double eps, bool relu) {
  const size_t pixels = size_t(n) * s.h * s.w;
  BnOut o{Vec(x.size()), Vec(s.c, 0.0), Vec(s.c, 0.0)};
  for (size_t p = 0; p < pixels; ++p)
    for (int c = 0; c < s.c; ++c) o.mean[c] += x[p * s.c + c] / double(pixels);
  for (size_t p = 0; p < pixels; ++p)
    for (int c = 0; c < s.c; ++c) {
      double d = x[p * s.c + c] - o.mean[c];
      o.var[c] += d * d / double(pixels);
    }
  for (size_t p = 0; p < pixels; ++p)
    for (int c = 0; c < s.c; ++c) {
      double v = (x[p * s.c + c] - o.mean[c]) / std::sqrt(o.var[c] + eps) * gamma[c] + beta[c];
      o.y[p * s.c + c] = relu ? std::max(v, 0.0) : v;
    }
  return o;
}

namespace {
// Visits each output of a pooling window: f(out index, taps in the image).
template <typename F>
void forEachWindow(const nh::PoolSpec &s, int n, F f) {
  for (int b = 0; b < n; ++b)
    for (int oy = 0; oy < s.outH(); ++oy)
      for (int ox = 0; ox < s.outW(); ++ox)
        for (int c = 0; c < s.c; ++c) f(b, oy, ox, c);
}
}  // namespace

Vec refMaxPool(const nh::PoolSpec &s, int n, const Vec &x) {
  Vec y(size_t(n) * s.outH() * s.outW() * s.c);
  forEachWindow(s, n, [&](int b, int oy, int ox, int c) {
    double m = -std::numeric_limits<double>::infinity();
    for (int ky = 0; ky < s.kh; ++ky)
      for (int kx = 0; kx < s.kw; ++kx) {
        int iy = oy * s.sH() + ky - s.pH(), ix = ox * s.sW() + kx - s.pW();
        if (iy >= 0 && iy < s.inH && ix >= 0 && ix < s.inW)
          m = std::max(m, x[at(c, ix, iy, b, s.c, s.inW, s.inH)]);
      }
    y[at(c, ox, oy, b, s.c, s.outW(), s.outH())] = m;
  });
  return y;
}

Vec refAvgPool(const nh::PoolSpec &s, int n, const Vec &x) {
  Vec y(size_t(n) * s.outH() * s.outW() * s.c);
  forEachWindow(s, n, [&](int b, int oy, int ox, int c) {
    double sum = 0;
    int y0 = oy * s.sH() - s.pH(), x0 = ox * s.sW() - s.pW();
    for (int ky = 0; ky < s.kh; ++ky)
      for (int kx = 0; kx < s.kw; ++kx) {
        int iy = y0 + ky, ix = x0 + kx;
        if (iy >= 0 && iy < s.inH && ix >= 0 && ix < s.inW)
          sum += x[at(c, ix, iy, b, s.c, s.inW, s.inH)];
      }
    // PyTorch, count_include_pad: the window clipped to the padded image.
    int hy = std::min(y0 + s.kh, s.inH + s.pH()) - y0;
    int hx = std::min(x0 + s.kw, s.inW + s.pW()) - x0;
    y[at(c, ox, oy, b, s.c, s.outW(), s.outH())] = sum / double(hx * hy);
  });
  return y;
}

Vec refGlobalAvgPool(const nh::GlobalPoolSpec &s, int n, const Vec &x) {
  Vec y(size_t(n) * s.c, 0.0);
  for (int b = 0; b < n; ++b)
    for (int p = 0; p < s.inH * s.inW; ++p)
      for (int c = 0; c < s.c; ++c)
        y[size_t(b) * s.c + c] += x[(size_t(b) * s.inH * s.inW + p) * s.c + c] / (s.inH * s.inW);
  return y;
}

Vec refFc(int in, int out, int n, const Vec &x, const Vec &w, const Vec &b) {
  Vec y(size_t(n) * out);
  for (int s = 0; s < n; ++s)
    for (int o = 0; o < out; ++o) {
      double acc = b.empty() ? 0.0 : b[o];
      for (int i = 0; i < in; ++i) acc += w[size_t(o) * in + i] * x[size_t(s) * in + i];
      y[size_t(s) * out + o] = acc;
    }
  return y;
}

double refXent(int classes, int n, const Vec &z, const std::vector<int> &labels) {
  double loss = 0;
  for (int s = 0; s < n; ++s) {
    const double *row = &z[size_t(s) * classes];
    double m = *std::max_element(row, row + classes), sum = 0;
    for (int f = 0; f < classes; ++f) sum += std::exp(row[f] - m);
    loss += m + std::log(sum) - row[labels[s]];
  }
  return loss / n;
}

}  // namespace netc::test::bwd
