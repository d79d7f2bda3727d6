#include "EltwiseBackward.h"

namespace netc::halide::backward {

using Halide::Expr;
using Halide::Func;
using Halide::ImageParam;
using Halide::Var;

TrainAlgo buildReluBackward() {
  TrainAlgo a;
  ImageParam dy = flatParam("relub_dy"), y = flatParam("relub_y");
  a.inputs = {dy, y};
  Var i("i");
  Func dx("relub_dx");
  dx(i) = Halide::select(y(i) > 0.f, dy(i), 0.f);
  a.outs = {dx};
  return a;
}

TrainAlgo buildDropout(float p) {
  TrainAlgo a;
  ImageParam x = flatParam("drop_x"), mask = flatParam("drop_mask");
  a.inputs = {x, mask};
  Var i("i");
  Func y("drop_y");
  // p == 1 drops everything (PyTorch returns zeros, not NaN).
  float keepScale = p < 1.f ? 1.f / (1.f - p) : 0.f;
  y(i) = x(i) * mask(i) * keepScale;
  a.outs = {y};
  return a;
}

TrainAlgo buildZeroPadShortcutBackward(const ZeroPadSpec &s) {
  TrainAlgo a;
  const NhwcVars &v = a.v;
  ImageParam g = nhwcParam("zpb_g", {s.outC, s.outW(), s.outH()});
  a.inputs = {g};
  int before = (s.outC - s.in.c) / 2;
  Expr hit = v.x % s.stride == 0 && v.y % s.stride == 0;
  Func dx("zpb_dx");
  dx(v.c, v.x, v.y, v.n) =
      Halide::select(hit, g(v.c + before, v.x / s.stride, v.y / s.stride, v.n), 0.f);
  constrainNhwcOutput(dx, s.in);
  a.outs = {dx};
  return a;
}

}  // namespace netc::halide::backward
