#include "Pool.h"

#include <limits>
#include <sstream>

namespace netc::halide {

using Halide::Expr;
using Halide::Float;
using Halide::Func;
using Halide::ImageParam;

std::string PoolSpec::key() const {
  std::ostringstream k;
  k << "c" << c << " in" << inH << "x" << inW << " k" << kh << "x" << kw << " s" << sH() << "x"
    << sW() << " p" << pH() << "x" << pW() << (countIncludePad ? " incl" : " excl") << (ceilMode ? " ceil" : "");
  return k.str();
}

std::string GlobalPoolSpec::key() const {
  std::ostringstream k;
  k << "c" << c << " in" << inH << "x" << inW;
  return k.str();
}

namespace {

OpAlgo declarePool(const PoolSpec &s, const char *name) {
  OpAlgo a;
  a.out = Func(name);
  ImageParam in(Float(32), 4, std::string(name) + "_in");
  constrainNhwc(in, {s.c, s.inW, s.inH});
  a.inputs = {in};
  return a;
}

// Taps of the window starting at `start` that lie in [lo, hi).
Expr clippedCount(Expr start, int k, int lo, int hi) {
  return Halide::min(start + k, hi) - Halide::max(start, lo);
}

}  // namespace

OpAlgo buildMaxPool(const PoolSpec &s) {
  OpAlgo a = declarePool(s, "maxpool");
  const NhwcVars &v = a.v;
  const float lowest = -std::numeric_limits<float>::infinity();
  Halide::Region box = {{Expr(), Expr()}, {0, s.inW}, {0, s.inH}, {Expr(), Expr()}};
  Func padded = Halide::BoundaryConditions::constant_exterior(a.inputs[0], lowest, box);
  Halide::RDom r(0, s.kw, 0, s.kh, "r");
  Expr ix = v.x * s.sW() + r.x - s.pW(), iy = v.y * s.sH() + r.y - s.pH();
  a.out(v.c, v.x, v.y, v.n) = Halide::maximum(padded(v.c, ix, iy, v.n));
  constrainNhwcOutput(a.out, {s.c, s.outW(), s.outH()});
  return a;
}

OpAlgo buildAvgPool(const PoolSpec &s) {
  OpAlgo a = declarePool(s, "avgpool");
  const NhwcVars &v = a.v;
  Halide::Region box = {{Expr(), Expr()}, {0, s.inW}, {0, s.inH}, {Expr(), Expr()}};
  Func padded = Halide::BoundaryConditions::constant_exterior(a.inputs[0], 0.f, box);
  Halide::RDom r(0, s.kw, 0, s.kh, "r");
  Expr x0 = v.x * s.sW() - s.pW(), y0 = v.y * s.sH() - s.pH();
  Expr sum = Halide::sum(padded(v.c, x0 + r.x, y0 + r.y, v.n));
  // Windows are clipped to the padded image first (ceil mode), then, when
  // padding is excluded, to the image itself.
  bool incl = s.countIncludePad;
  Expr cx = clippedCount(x0, s.kw, incl ? -s.pW() : 0, incl ? s.inW + s.pW() : s.inW);
  Expr cy = clippedCount(y0, s.kh, incl ? -s.pH() : 0, incl ? s.inH + s.pH() : s.inH);
  a.out(v.c, v.x, v.y, v.n) = sum / Halide::cast<float>(cx * cy);
  constrainNhwcOutput(a.out, {s.c, s.outW(), s.outH()});
  return a;
}

OpAlgo buildGlobalAvgPool(const GlobalPoolSpec &s) {
  OpAlgo a;
  a.out = Func("gap");
  ImageParam in(Float(32), 4, "gap_in");
  constrainNhwc(in, {s.c, s.inW, s.inH});
  a.inputs = {in};
  const NhwcVars &v = a.v;
  Halide::RDom r(0, s.inW, 0, s.inH, "r");
  Expr mean = Halide::sum(in(v.c, r.x, r.y, v.n)) * (1.f / float(s.inW * s.inH));
  a.out(v.c, v.x, v.y, v.n) = mean;
  constrainNhwcOutput(a.out, {s.c, 1, 1});
  return a;
}

}  // namespace netc::halide
