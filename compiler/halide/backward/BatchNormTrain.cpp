#include "BatchNormTrain.h"

#include <sstream>

namespace netc::halide::backward {

using Halide::Expr;
using Halide::Func;
using Halide::ImageParam;
using Halide::RDom;
using Halide::Var;

std::string BnTrainSpec::key() const {
  std::ostringstream k;
  k << "bntrain c" << shape.c << " " << shape.w << "x" << shape.h << " eps" << eps << " m"
    << momentum << (relu ? " relu" : "");
  return k.str();
}

namespace {

// Every per-channel reduction runs over all pixels of the batch.
RDom pixels(const BnTrainSpec &s, const ImageParam &x) {
  return RDom(0, s.shape.w, 0, s.shape.h, 0, x.dim(3).extent(), "r");
}

Expr count(const BnTrainSpec &s, const ImageParam &x) {
  return Halide::cast<float>(s.shape.w * s.shape.h * x.dim(3).extent());
}

void constrainStats(Func &f, int c, int rows) {
  Halide::OutputImageParam o = f.output_buffer();
  o.dim(0).set_bounds(0, c).set_stride(1);
  o.dim(1).set_bounds(0, rows).set_stride(c);
}

}  // namespace

TrainAlgo buildBnTrainForward(const BnTrainSpec &s) {
  TrainAlgo a;
  const NhwcVars &v = a.v;
  const int C = s.shape.c;
  ImageParam x = nhwcParam("bn_x", s.shape);
  ImageParam gamma = vecParam("bn_gamma", C), beta = vecParam("bn_beta", C);
  ImageParam runMean = vecParam("bn_rmean", C), runVar = vecParam("bn_rvar", C);
  a.inputs = {x, gamma, beta, runMean, runVar};
  RDom r = pixels(s, x);
  Expr m = count(s, x);
  Func sumX("bn_sumx"), sumSq("bn_sumsq"), y("bn_y"), stats("bn_stats");
  // Per-channel sums over every pixel of the batch accumulate in double: a
  // float running sum of N*H*W terms loses about sqrt(NHW) ulps, which the
  // backward's near-cancelling sums turn into percent-level gradient error.
  sumX(v.c) = Halide::cast<double>(0);
  sumX(v.c) += Halide::cast<double>(x(v.c, r.x, r.y, r.z));
  Func mean("bn_mean"), var("bn_var");
  mean(v.c) = Halide::cast<float>(sumX(v.c) / Halide::cast<double>(m));
  // Two passes (mean, then squared deviations): no cancellation.
  Expr d = x(v.c, r.x, r.y, r.z) - mean(v.c);
  sumSq(v.c) = Halide::cast<double>(0);
  sumSq(v.c) += Halide::cast<double>(d * d);
  var(v.c) = Halide::cast<float>(sumSq(v.c) / Halide::cast<double>(m));
  Expr invStd = 1.f / Halide::sqrt(var(v.c) + s.eps);
  Expr e = (x(v.c, v.x, v.y, v.n) - mean(v.c)) * (invStd * gamma(v.c)) + beta(v.c);
  y(v.c, v.x, v.y, v.n) = s.relu ? Halide::max(e, 0.f) : e;
  constrainNhwcOutput(y, s.shape);
  Var k("k");
  Expr unbiased = var(v.c) * m / Halide::max(m - 1.f, 1.f);
  Expr newMean = (1.f - s.momentum) * runMean(v.c) + s.momentum * mean(v.c);
  Expr newVar = (1.f - s.momentum) * runVar(v.c) + s.momentum * unbiased;
  stats(v.c, k) = Halide::select(k == kBnMean, mean(v.c), k == kBnInvStd, invStd,
                                 k == kBnRunMean, newMean, newVar);
  constrainStats(stats, C, kBnStats);
  a.outs = {y, stats};
  a.rootFuncs = {sumX, sumSq};
  a.sumDom = r;
  return a;
}

TrainAlgo buildBnTrainBackward(const BnTrainSpec &s) {
  TrainAlgo a;
  const NhwcVars &v = a.v;
  const int C = s.shape.c;
  ImageParam dOut = nhwcParam("bnb_dout", s.shape), y = nhwcParam("bnb_y", s.shape);
  ImageParam x = nhwcParam("bnb_x", s.shape), gamma = vecParam("bnb_gamma", C);
  ImageParam stats(Halide::Float(32), 2, "bnb_stats");
  stats.dim(0).set_bounds(0, C).set_stride(1);
  stats.dim(1).set_bounds(0, kBnStats).set_stride(C);
  a.inputs = {dOut};
  if (s.relu) a.inputs.push_back(y);
  a.inputs.insert(a.inputs.end(), {x, stats, gamma});
  // g: the gradient reaching bn's output (after the relu backward).
  Func g("bnb_g");
  Expr gv = dOut(v.c, v.x, v.y, v.n);
  g(v.c, v.x, v.y, v.n) = s.relu ? Halide::select(y(v.c, v.x, v.y, v.n) > 0.f, gv, 0.f) : gv;
  Func xhat("bnb_xhat");
  xhat(v.c, v.x, v.y, v.n) =
      (x(v.c, v.x, v.y, v.n) - stats(v.c, kBnMean)) * stats(v.c, kBnInvStd);
  RDom r = pixels(s, x);
  Func sums("bnb_sums"), dx("bnb_dx"), dparams("bnb_dparams");
  // Double accumulators, as in the forward: these sums nearly cancel. Both
  // in one pass (a tuple): the op is memory-bound, and two passes read dOut
  // (and y) twice.
  Expr gr = Halide::cast<double>(g(v.c, r.x, r.y, r.z));
  Expr zero = Halide::cast<double>(0);
  sums(v.c) = {zero, zero};
  sums(v.c) = {sums(v.c)[0] + gr,
               sums(v.c)[1] + gr * Halide::cast<double>(xhat(v.c, r.x, r.y, r.z))};
  Expr dbeta = sums(v.c)[0], dgamma = sums(v.c)[1];
  // dx = gamma * invstd * (g - dbeta/M - xhat dgamma/M)
  Expr m = count(s, x);
  Expr meanG = Halide::cast<float>(dbeta / Halide::cast<double>(m));
  Expr meanGx = Halide::cast<float>(dgamma / Halide::cast<double>(m));
  Expr scale = gamma(v.c) * stats(v.c, kBnInvStd);
  dx(v.c, v.x, v.y, v.n) =
      scale * (g(v.c, v.x, v.y, v.n) - meanG - xhat(v.c, v.x, v.y, v.n) * meanGx);
  constrainNhwcOutput(dx, s.shape);
  Var k("k");
  dparams(v.c, k) = Halide::cast<float>(Halide::select(k == 0, dgamma, dbeta));
  constrainStats(dparams, C, 2);
  a.outs = {dx, dparams};
  a.rootFuncs = {sums};
  a.sumDom = r;
  return a;
}

}  // namespace netc::halide::backward
