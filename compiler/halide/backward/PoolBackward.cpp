#include "PoolBackward.h"

#include <limits>

namespace netc::halide::backward {

using Halide::Expr;
using Halide::Func;
using Halide::ImageParam;

namespace {

int ceilDiv(int a, int b) { return (a + b - 1) / b; }

// One axis of the gather: the j-th window covering input coordinate i
// starts at o*s - p with o = (i+p)/s - j; tap = i + p - o*s.
struct Covering {
  Expr o, tap, valid;
};

Covering covering(Expr i, Expr j, int s, int p, int k, int outExtent) {
  Expr o = (i + p) / s - j;
  Expr tap = i + p - o * s;
  return {Halide::clamp(o, 0, outExtent - 1), tap, o >= 0 && o < outExtent && tap < k};
}

// Same formula as the forward avg pool: taps of the window in [lo, hi).
Expr clippedCount(Expr start, int k, int lo, int hi) {
  return Halide::min(start + k, hi) - Halide::max(start, lo);
}

TrainAlgo declare(const PoolSpec &s, bool withInput) {
  TrainAlgo a;
  if (withInput) a.inputs.push_back(nhwcParam("poolb_x", {s.c, s.inW, s.inH}));
  a.inputs.push_back(nhwcParam("poolb_dy", {s.c, s.outW(), s.outH()}));
  return a;
}

}  // namespace

TrainAlgo buildMaxPoolBackward(const PoolSpec &s) {
  TrainAlgo a = declare(s, true);
  const NhwcVars &v = a.v;
  ImageParam x = a.inputs[0], dy = a.inputs[1];
  const float lowest = -std::numeric_limits<float>::infinity();
  Halide::Region box = {{Expr(), Expr()}, {0, s.inW}, {0, s.inH}, {Expr(), Expr()}};
  Func padded = Halide::BoundaryConditions::constant_exterior(x, lowest, box);
  // Halide's argmax keeps the first maximum in iteration order (r.x inner).
  Halide::RDom w(0, s.kw, 0, s.kh, "w");
  Func arg("maxpool_arg");
  arg(v.c, v.x, v.y, v.n) = Halide::argmax(
      padded(v.c, v.x * s.sW() + w.x - s.pW(), v.y * s.sH() + w.y - s.pH(), v.n));
  Halide::RDom j(0, ceilDiv(s.kw, s.sW()), 0, ceilDiv(s.kh, s.sH()), "j");
  Covering cx = covering(v.x, j.x, s.sW(), s.pW(), s.kw, s.outW());
  Covering cy = covering(v.y, j.y, s.sH(), s.pH(), s.kh, s.outH());
  Halide::FuncRef best = arg(v.c, cx.o, cy.o, v.n);
  Expr won = cx.valid && cy.valid && best[0] == cx.tap && best[1] == cy.tap;
  Func dx("maxpool_dx");
  dx(v.c, v.x, v.y, v.n) = Halide::sum(Halide::select(won, dy(v.c, cx.o, cy.o, v.n), 0.f));
  constrainNhwcOutput(dx, {s.c, s.inW, s.inH});
  a.outs = {dx};
  a.rootFuncs = {arg};  // scheduled like a reduction: vectorised over c
  return a;
}

TrainAlgo buildAvgPoolBackward(const PoolSpec &s) {
  TrainAlgo a = declare(s, false);
  const NhwcVars &v = a.v;
  ImageParam dy = a.inputs[0];
  Halide::RDom j(0, ceilDiv(s.kw, s.sW()), 0, ceilDiv(s.kh, s.sH()), "j");
  Covering cx = covering(v.x, j.x, s.sW(), s.pW(), s.kw, s.outW());
  Covering cy = covering(v.y, j.y, s.sH(), s.pH(), s.kh, s.outH());
  bool incl = s.countIncludePad;
  Expr x0 = cx.o * s.sW() - s.pW(), y0 = cy.o * s.sH() - s.pH();
  Expr nx = clippedCount(x0, s.kw, incl ? -s.pW() : 0, incl ? s.inW + s.pW() : s.inW);
  Expr ny = clippedCount(y0, s.kh, incl ? -s.pH() : 0, incl ? s.inH + s.pH() : s.inH);
  Expr share = dy(v.c, cx.o, cy.o, v.n) / Halide::cast<float>(nx * ny);
  Func dx("avgpool_dx");
  dx(v.c, v.x, v.y, v.n) = Halide::sum(Halide::select(cx.valid && cy.valid, share, 0.f));
  constrainNhwcOutput(dx, {s.c, s.inW, s.inH});
  a.outs = {dx};
  return a;
}

TrainAlgo buildGlobalAvgPoolBackward(const GlobalPoolSpec &s) {
  TrainAlgo a;
  const NhwcVars &v = a.v;
  ImageParam dy = nhwcParam("gapb_dy", {s.c, 1, 1});
  a.inputs = {dy};
  Func dx("gap_dx");
  dx(v.c, v.x, v.y, v.n) = dy(v.c, 0, 0, v.n) * (1.f / float(s.inW * s.inH));
  constrainNhwcOutput(dx, {s.c, s.inW, s.inH});
  a.outs = {dx};
  return a;
}

}  // namespace netc::halide::backward
