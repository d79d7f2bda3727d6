#include "Sgd.h"

namespace netc::halide::backward {

using Halide::Expr;
using Halide::Func;
using Halide::ImageParam;
using Halide::Param;
using Halide::Var;

TrainAlgo buildSgd(bool gradAnyMin) {
  TrainAlgo a;
  ImageParam p = flatParam("sgd_p"), grad = flatInput("sgd_grad", gradAnyMin);
  ImageParam buf = flatParam("sgd_buf");
  a.inputs = {p, grad, buf};
  Param<float> lr("sgd_lr"), momentum("sgd_momentum"), wd("sgd_wd"), first("sgd_first");
  a.scalars = {lr, momentum, wd, first};
  Var i("i");
  Expr dp = grad(i) + wd * p(i);
  Expr b = Halide::select(first != 0.f, dp, momentum * buf(i) + dp);
  Func newBuf("sgd_newbuf"), newP("sgd_newp");
  newBuf(i) = b;
  // Reading newBuf (an output, computed first) rather than recomputing b
  // keeps an in-place update correct: p is overwritten only after buf.
  newP(i) = p(i) - lr * newBuf(i);
  a.outs = {newP, newBuf};
  return a;
}


}  // namespace netc::halide::backward
