#include "ConvBackward.h"

#include <sstream>
#include <stdexcept>

namespace netc::halide::backward {

using Halide::Expr;
using Halide::Func;
using Halide::ImageParam;

namespace {

int ceilDiv(int a, int b) { return (a + b - 1) / b; }

Halide::ImageParam dyParam(const ConvSpec &s) {
  return nhwcParam("dy", {s.cout, s.outW(), s.outH()});
}

Halide::ImageParam weightParam(const ConvSpec &s, const char *name) {
  ImageParam w(Halide::Float(32), 4, name);
  constrainNhwc(w, {s.cout, s.cin, s.kw});  // HWIO is dense like NHWC
  w.dim(3).set_bounds(0, s.kh);
  return w;
}

// Transposed weights (ci, co, kx, ky): the dX schedule vectorises over ci.
// Taps past the kernel (kx >= kw when kw is not a multiple of the stride)
// and lanes past cin read zero, so loops stay constant and vectors whole.
Func transposedWeights(const ConvSpec &s, const ImageParam &w) {
  Halide::Var ci("ci"), co("co"), kx("kx"), ky("ky");
  Func wT("dx_wT");
  Expr inside = ci < s.cin && kx < s.kw && ky < s.kh;
  Expr val = w(co, Halide::clamp(ci, 0, s.cin - 1), Halide::clamp(kx, 0, s.kw - 1),
               Halide::clamp(ky, 0, s.kh - 1));
  wT(ci, co, kx, ky) = Halide::select(inside, val, 0.f);
  return wT;
}

// The gradient reaching X through the option-A shortcut: the forward read
// X(c - p, x*s, y*s) into channel c of the output, p = (addC - cin)/2.
Expr shortcutGrad(const ConvDxAlgo &a) {
  const ConvDxSpec &s = a.spec;
  const NhwcVars &v = a.v;
  int before = (s.addC - s.conv.cin) / 2;
  Expr ox = v.x / s.addStride, oy = v.y / s.addStride;
  Expr hit = v.x % s.addStride == 0 && v.y % s.addStride == 0 && ox < s.addW && oy < s.addH;
  Expr val = a.add(v.c + before, Halide::min(ox, s.addW - 1), Halide::min(oy, s.addH - 1), v.n);
  return Halide::select(hit, val, 0.f);
}


}  // namespace

void declareConvDxInputs(ConvDxAlgo &a) {
  const ConvDxSpec &s = a.spec;
  const ConvSpec &c = s.conv;
  a.dy = dyParam(c);
  a.weights = weightParam(c, "dx_w");
  a.inputs = {a.dy, a.weights};
  if (s.add == GradAdd::Same) a.add = nhwcParam("dx_add", {c.cin, c.inW, c.inH});
  if (s.add == GradAdd::ZeroPadded) a.add = nhwcParam("dx_add", {s.addC, s.addW, s.addH});
  if (s.add != GradAdd::None) a.inputs.push_back(a.add);
  if (s.reluMask) a.inputs.push_back(a.mask = nhwcParam("dx_mask", {c.cin, c.inW, c.inH}));
}

void defineConvDxOutput(ConvDxAlgo &a) {
  const ConvDxSpec &s = a.spec;
  const NhwcVars &v = a.v;
  Expr e = a.sum(v.c, v.x, v.y, v.n);
  if (s.add == GradAdd::Same) e = e + a.add(v.c, v.x, v.y, v.n);
  if (s.add == GradAdd::ZeroPadded) e = e + shortcutGrad(a);
  if (s.reluMask) e = Halide::select(a.mask(v.c, v.x, v.y, v.n) > 0.f, e, 0.f);
  a.out(v.c, v.x, v.y, v.n) = e;
  constrainNhwcOutput(a.out, {s.conv.cin, s.conv.inW, s.conv.inH});
}

std::string ConvDxSpec::key() const {
  std::ostringstream k;
  k << "convdx " << conv.key();
  if (add == GradAdd::Same) k << " +same";
  if (add == GradAdd::ZeroPadded)
    k << " +resA" << addC << "x" << addH << "x" << addW << "s" << addStride;
  if (reluMask) k << " mask";
  return k.str();
}

void ConvDxSpec::validate() const {
  conv.validate();
  if (add != GradAdd::ZeroPadded) return;
  if (addC < conv.cin || addStride < 1 || addH < 1 || addW < 1)
    throw std::invalid_argument(key() + ": bad shortcut gradient shape");
  if (addH != ceilDiv(conv.inH, addStride) || addW != ceilDiv(conv.inW, addStride))
    throw std::invalid_argument(key() + ": shortcut gradient does not match the input");
}

ConvDxAlgo buildConvDx(const ConvDxSpec &spec) {
  spec.validate();
  const ConvSpec &s = spec.conv;
  ConvDxAlgo a;
  a.spec = spec;
  a.sum = Func("convdx_sum");
  a.out = Func("convdx_out");
  declareConvDxInputs(a);
  a.wT = transposedWeights(s, a.weights);
  Halide::Region box = {{Expr(), Expr()}, {0, s.outW()}, {0, s.outH()}, {Expr(), Expr()}};
  a.dyExt = Halide::BoundaryConditions::constant_exterior(a.dy, 0.f, box);
  const NhwcVars &v = a.v;
  a.r = Halide::RDom(0, s.cout, 0, ceilDiv(s.kw, s.sW()), 0, ceilDiv(s.kh, s.sH()), "r");
  Expr px = v.x + s.pLeft(), py = v.y + s.pTop();
  if (s.sW() == 1 && s.sH() == 1) {
    Expr kx = px % s.sW() + s.sW() * a.r.y, ky = py % s.sH() + s.sH() * a.r.z;
    Expr ox = px / s.sW() - a.r.y, oy = py / s.sH() - a.r.z;
    a.sum(v.c, v.x, v.y, v.n) = 0.f;
    a.sum(v.c, v.x, v.y, v.n) += a.wT(v.c, a.r.x, kx, ky) * a.dyExt(a.r.x, ox, oy, v.n);
  } else {
    // The same sum, by phase of x: taps past the kernel (kx >= kw, ky >= kh)
    // are skipped. The RVars' upper bounds are expressions of outer pure
    // vars, so Halide narrows the loops instead of testing every tap.
    a.phases = true;
    a.sumP = Func("convdx_sumP");
    Expr phy = py % s.sH();
    Expr kx = a.ph + s.sW() * a.r.y, ky = phy + s.sH() * a.r.z;
    a.r.where(a.r.y < (s.kw - a.ph + s.sW() - 1) / s.sW() &&
              a.r.z < (s.kh - phy + s.sH() - 1) / s.sH());
    a.sumP(v.c, a.q, a.ph, v.y, v.n) = 0.f;
    a.sumP(v.c, a.q, a.ph, v.y, v.n) +=
        a.wT(v.c, a.r.x, kx, ky) * a.dyExt(a.r.x, a.q - a.r.y, py / s.sH() - a.r.z, v.n);
    a.sum(v.c, v.x, v.y, v.n) = a.sumP(v.c, px / s.sW(), px % s.sW(), v.y, v.n);
  }
  defineConvDxOutput(a);
  return a;
}

ConvDwAlgo buildConvDw(const ConvSpec &s) {
  s.validate();
  ConvDwAlgo a;
  a.spec = s;
  a.out = Func("convdw");
  a.dy = dyParam(s);
  a.input = nhwcParam("dw_x", {s.cin, s.inW, s.inH});
  a.inputs = {a.dy, a.input};
  // n is bounded too: a schedule may stage blocks of images whose last
  // block runs past the batch (its reduction is guarded, its staging not).
  Halide::Region xbox = {
      {Expr(), Expr()}, {0, s.inW}, {0, s.inH}, {0, a.input.dim(3).extent()}};
  a.padded = s.hasPadding() ? Halide::BoundaryConditions::constant_exterior(a.input, 0.f, xbox)
                            : Func(a.input);
  Halide::Region cbox = {{0, s.cout}, {Expr(), Expr()}, {Expr(), Expr()}, {Expr(), Expr()}};
  a.dyExt = dyZeroExtended(s) ? Halide::BoundaryConditions::constant_exterior(a.dy, 0.f, cbox)
                              : Func(a.dy);
  a.r = Halide::RDom(0, s.outW(), 0, s.outH(), 0, a.dy.dim(3).extent(), "r");
  Expr ix = a.r.x * s.sW() + a.kx - s.pLeft(), iy = a.r.y * s.sH() + a.ky - s.pTop();
  a.out(a.co, a.ci, a.kx, a.ky) = 0.f;
  a.out(a.co, a.ci, a.kx, a.ky) +=
      a.dyExt(a.co, a.r.x, a.r.y, a.r.z) * a.padded(a.ci, ix, iy, a.r.z);
  Halide::OutputImageParam o = a.out.output_buffer();
  o.dim(0).set_bounds(0, s.cout).set_stride(1);
  o.dim(1).set_bounds(0, s.cin).set_stride(s.cout);
  o.dim(2).set_bounds(0, s.kw).set_stride(s.cout * s.cin);
  o.dim(3).set_bounds(0, s.kh).set_stride(s.cout * s.cin * s.kw);
  return a;
}

ConvDbAlgo buildConvDb(const ConvSpec &s) {
  s.validate();
  ConvDbAlgo a;
  a.out = Func("convdb");
  ImageParam dy = dyParam(s);
  a.inputs = {dy};
  a.r = Halide::RDom(0, s.outW(), 0, s.outH(), 0, dy.dim(3).extent(), "r");
  a.out(a.co) = 0.f;
  a.out(a.co) += dy(a.co, a.r.x, a.r.y, a.r.z);
  a.out.output_buffer().dim(0).set_bounds(0, s.cout).set_stride(1);
  return a;
}

}  // namespace netc::halide::backward
