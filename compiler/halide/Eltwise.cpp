#include "Eltwise.h"

namespace netc::halide {

using Halide::Expr;
using Halide::Float;
using Halide::ImageParam;

std::string shapeKey(const Shape3 &s) {
  return "c" + std::to_string(s.c) + " " + std::to_string(s.h) + "x" + std::to_string(s.w);
}

std::string ZeroPadSpec::key() const {
  return shapeKey(in) + " co" + std::to_string(outC) + " s" + std::to_string(stride);
}

namespace {
ImageParam nhwcParam(const char *name, const Shape3 &s) {
  ImageParam p(Float(32), 4, name);
  constrainNhwc(p, s);
  return p;
}
}  // namespace

OpAlgo buildAdd(const Shape3 &shape, bool relu) {
  OpAlgo a;
  const NhwcVars &v = a.v;
  a.inputs = {nhwcParam("add_a", shape), nhwcParam("add_b", shape)};
  a.out = Halide::Func("add_out");
  Expr e = a.inputs[0](v.c, v.x, v.y, v.n) + a.inputs[1](v.c, v.x, v.y, v.n);
  a.out(v.c, v.x, v.y, v.n) = relu ? Halide::max(e, 0.f) : e;
  constrainNhwcOutput(a.out, shape);
  return a;
}

OpAlgo buildRelu(const Shape3 &shape) {
  OpAlgo a;
  const NhwcVars &v = a.v;
  a.inputs = {nhwcParam("relu_in", shape)};
  a.out = Halide::Func("relu_out");
  a.out(v.c, v.x, v.y, v.n) = Halide::max(a.inputs[0](v.c, v.x, v.y, v.n), 0.f);
  constrainNhwcOutput(a.out, shape);
  return a;
}

OpAlgo buildBatchNorm(const Shape3 &shape, bool relu) {
  OpAlgo a;
  const NhwcVars &v = a.v;
  ImageParam scale(Float(32), 1, "bn_scale"), shift(Float(32), 1, "bn_shift");
  constrainVector(scale, shape.c);
  constrainVector(shift, shape.c);
  a.inputs = {nhwcParam("bn_in", shape), scale, shift};
  a.out = Halide::Func("bn_out");
  Expr e = a.inputs[0](v.c, v.x, v.y, v.n) * scale(v.c) + shift(v.c);
  a.out(v.c, v.x, v.y, v.n) = relu ? Halide::max(e, 0.f) : e;
  constrainNhwcOutput(a.out, shape);
  return a;
}

OpAlgo buildZeroPadShortcut(const ZeroPadSpec &s) {
  OpAlgo a;
  const NhwcVars &v = a.v;
  ImageParam in = nhwcParam("zpad_in", s.in);
  a.inputs = {in};
  a.out = Halide::Func("zpad_out");
  // Zero channels split evenly around the input's (dsl/Network.h).
  Expr src = v.c - (s.outC - s.in.c) / 2;
  Expr val = in(Halide::clamp(src, 0, s.in.c - 1), v.x * s.stride, v.y * s.stride, v.n);
  a.out(v.c, v.x, v.y, v.n) = Halide::select(src >= 0 && src < s.in.c, val, 0.f);
  constrainNhwcOutput(a.out, {s.outC, s.outW(), s.outH()});
  return a;
}

}  // namespace netc::halide
