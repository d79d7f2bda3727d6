#include "StepIo.h"

namespace netc::halide::backward {

using Halide::Func;
using Halide::ImageParam;
using Halide::Var;

TrainAlgo buildFlatCopy(bool inAnyMin) {
  TrainAlgo a;
  ImageParam in = flatInput("copy_in", inAnyMin);
  a.inputs = {in};
  Var i("i");
  Func out("copy_out");
  out(i) = in(i);
  out.output_buffer().dim(0).set_min(0).set_stride(1);
  a.outs = {out};
  return a;
}

TrainAlgo buildNchwToNhwc(const Shape3 &s) {
  TrainAlgo a;
  ImageParam in(Halide::Float(32), 4, "nchw_in");
  in.dim(0).set_bounds(0, s.w).set_stride(1);
  in.dim(1).set_bounds(0, s.h).set_stride(s.w);
  in.dim(2).set_bounds(0, s.c).set_stride(s.w * s.h);
  in.dim(3).set_min(0).set_stride(s.w * s.h * s.c);
  a.inputs = {in};
  const NhwcVars &v = a.v;
  Func out("nhwc_out");
  out(v.c, v.x, v.y, v.n) = in(v.x, v.y, v.c, v.n);
  constrainNhwcOutput(out, s);
  a.outs = {out};
  return a;
}

}  // namespace netc::halide::backward
