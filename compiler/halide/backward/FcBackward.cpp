#include "FcBackward.h"

namespace netc::halide::backward {

using Halide::Func;
using Halide::ImageParam;
using Halide::Var;

TrainAlgo buildFcBackward(const FcSpec &s) {
  TrainAlgo a;
  ImageParam dy(Halide::Float(32), 2, "fcb_dy"), x(Halide::Float(32), 2, "fcb_x");
  constrainMatrix(dy, s.out);
  constrainMatrix(x, s.in);
  ImageParam w(Halide::Float(32), 2, "fcb_w");
  constrainMatrix(w, s.in);
  w.dim(1).set_bounds(0, s.out);
  a.inputs = {dy, x, w};
  Var i("i"), o("o"), n("n");
  Halide::RDom ro(0, s.out, "ro"), rn(0, dy.dim(1).extent(), "rn");
  Func dx("fcb_dx"), dw("fcb_dw"), db("fcb_db");
  dx(i, n) = 0.f;
  dx(i, n) += w(i, ro) * dy(ro, n);
  constrainMatrixOutput(dx, s.in);
  dw(i, o) = 0.f;
  dw(i, o) += x(i, rn) * dy(o, rn);
  constrainMatrixOutput(dw, s.in);
  dw.output_buffer().dim(1).set_bounds(0, s.out);
  a.outs = {dx, dw};
  if (s.bias) {
    db(o) = 0.f;
    db(o) += dy(o, rn);
    db.output_buffer().dim(0).set_bounds(0, s.out).set_stride(1);
    a.outs.push_back(db);
  }
  return a;
}

}  // namespace netc::halide::backward
