#include "Reference.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace netc::test {

using netc::halide::ConvSpec;
using netc::halide::Residual;

namespace {

double convAt(const ConvSpec &s, const ConvInputs &in, int co, int ox, int oy, int n) {
  double acc = 0;
  for (int ky = 0; ky < s.kh; ++ky)
    for (int kx = 0; kx < s.kw; ++kx) {
      int ix = ox * s.sW() + kx - s.pLeft(), iy = oy * s.sH() + ky - s.pTop();
      if (ix < 0 || iy < 0 || ix >= s.inW || iy >= s.inH) continue;
      for (int ci = 0; ci < s.cin; ++ci)
        acc += double(in.w(co, ci, kx, ky)) * in.x(ci, ix, iy, n);
    }
  return acc;
}

double residualAt(const ConvSpec &s, const Buf &r, int c, int x, int y, int n) {
  if (s.residual == Residual::Same) return r(c, x, y, n);
  int src = c - (s.cout - s.resC) / 2;
  bool inside = src >= 0 && src < s.resC;
  return inside ? r(src, x * s.resStride, y * s.resStride, n) : 0.0;
}

}  // namespace

Buf refConv(const ConvSpec &s, const ConvInputs &in) {
  int batch = in.x.dim(3).extent();
  Buf out(s.cout, s.outW(), s.outH(), batch);
  out.for_each_element([&](int c, int x, int y, int n) {
    double v = convAt(s, in, c, x, y, n);
    if (s.bias) v += in.bias(c);
    if (s.scaleShift) v = v * in.scale(c) + in.shift(c);
    if (s.residual != Residual::None) v += residualAt(s, in.residual, c, x, y, n);
    if (s.relu) v = std::max(v, 0.0);
    out(c, x, y, n) = float(v);
  });
  return out;
}

Buf refMaxPool(const netc::halide::PoolSpec &s, const Buf &x) {
  Buf out(s.c, s.outW(), s.outH(), x.dim(3).extent());
  out.for_each_element([&](int c, int ox, int oy, int n) {
    float m = -std::numeric_limits<float>::infinity();
    for (int ky = 0; ky < s.kh; ++ky)
      for (int kx = 0; kx < s.kw; ++kx) {
        int ix = ox * s.sW() + kx - s.pW(), iy = oy * s.sH() + ky - s.pH();
        if (ix >= 0 && iy >= 0 && ix < s.inW && iy < s.inH) m = std::max(m, x(c, ix, iy, n));
      }
    out(c, ox, oy, n) = m;
  });
  return out;
}

Buf refAvgPool(const netc::halide::PoolSpec &s, const Buf &x) {
  Buf out(s.c, s.outW(), s.outH(), x.dim(3).extent());
  out.for_each_element([&](int c, int ox, int oy, int n) {
    double sum = 0;
    int inImage = 0, inPadded = 0;
    for (int ky = 0; ky < s.kh; ++ky)
      for (int kx = 0; kx < s.kw; ++kx) {
        int ix = ox * s.sW() + kx - s.pW(), iy = oy * s.sH() + ky - s.pH();
        if (ix < s.inW + s.pW() && iy < s.inH + s.pH()) ++inPadded;
        if (ix < 0 || iy < 0 || ix >= s.inW || iy >= s.inH) continue;
        sum += x(c, ix, iy, n);
        ++inImage;
      }
    out(c, ox, oy, n) = float(sum / (s.countIncludePad ? inPadded : inImage));
  });
  return out;
}

Buf refGlobalAvgPool(const Buf &x) {
  Buf out(x.dim(0).extent(), 1, 1, x.dim(3).extent());
  out.for_each_element([&](int c, int, int, int n) {
    double sum = 0;
    for (int y = 0; y < x.dim(2).extent(); ++y)
      for (int i = 0; i < x.dim(1).extent(); ++i) sum += x(c, i, y, n);
    out(c, 0, 0, n) = float(sum / (x.dim(1).extent() * x.dim(2).extent()));
  });
  return out;
}

Buf refFc(const netc::halide::FcSpec &s, const Buf &x, const Buf &w, const Buf &bias) {
  Buf out(s.out, x.dim(1).extent());
  out.for_each_element([&](int o, int n) {
    double acc = s.bias ? bias(o) : 0.0;
    for (int i = 0; i < s.in; ++i) acc += double(w(i, o)) * x(i, n);
    out(o, n) = float(s.relu ? std::max(acc, 0.0) : acc);
  });
  return out;
}

Buf refSoftmax(const Buf &x) {
  int f = x.dim(0).extent();
  Buf out(f, x.dim(1).extent());
  for (int n = 0; n < x.dim(1).extent(); ++n) {
    double m = -INFINITY, sum = 0;
    for (int i = 0; i < f; ++i) m = std::max(m, double(x(i, n)));
    for (int i = 0; i < f; ++i) sum += std::exp(x(i, n) - m);
    for (int i = 0; i < f; ++i) out(i, n) = float(std::exp(x(i, n) - m) / sum);
  }
  return out;
}

Buf refLrn(const netc::halide::LrnSpec &s, const Buf &x) {
  Buf out(x.dim(0).extent(), x.dim(1).extent(), x.dim(2).extent(), x.dim(3).extent());
  out.for_each_element([&](int c, int i, int y, int n) {
    double sq = 0;
    for (int d = c - s.size / 2; d <= c + (s.size - 1) / 2; ++d)
      if (d >= 0 && d < s.shape.c) sq += double(x(d, i, y, n)) * x(d, i, y, n);
    out(c, i, y, n) = float(x(c, i, y, n) / std::pow(s.k + s.alpha / s.size * sq, s.beta));
  });
  return out;
}

Buf refZeroPad(const netc::halide::ZeroPadSpec &s, const Buf &x) {
  Buf out(s.outC, s.outW(), s.outH(), x.dim(3).extent());
  out.for_each_element([&](int c, int i, int y, int n) {
    int src = c - (s.outC - s.in.c) / 2;
    bool inside = src >= 0 && src < s.in.c;
    out(c, i, y, n) = inside ? x(src, i * s.stride, y * s.stride, n) : 0.f;
  });
  return out;
}

}  // namespace netc::test
