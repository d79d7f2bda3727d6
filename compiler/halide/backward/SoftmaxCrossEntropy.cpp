#include "SoftmaxCrossEntropy.h"

namespace netc::halide::backward {

using Halide::Expr;
using Halide::Func;
using Halide::ImageParam;
using Halide::Var;

std::string SoftmaxXentSpec::key() const { return "xent k" + std::to_string(classes); }

TrainAlgo buildSoftmaxCrossEntropy(const SoftmaxXentSpec &s) {
  TrainAlgo a;
  ImageParam z(Halide::Float(32), 2, "xent_z");
  constrainMatrix(z, s.classes);
  ImageParam labels = flatParam("xent_labels", Halide::Int(32));
  a.inputs = {z, labels};
  Var f("f"), n("n"), u("u");
  Halide::RDom rf(0, s.classes, "rf");
  Expr batch = z.dim(1).extent();
  // Shifted by the row max so exp never overflows.
  Func zmax("xent_max"), sumExp("xent_sumexp"), logZ("xent_logz");
  zmax(n) = Halide::maximum(z(rf, n));
  sumExp(n) = Halide::sum(Halide::exp(z(rf, n) - zmax(n)));
  logZ(n) = zmax(n) + Halide::log(sumExp(n));
  Expr label = Halide::clamp(labels(n), 0, s.classes - 1);
  Func rowLoss("xent_rowloss"), loss("xent_loss"), grad("xent_grad");
  rowLoss(n) = logZ(n) - z(label, n);
  Halide::RDom rn(0, batch, "rn");
  loss(u) = Halide::sum(rowLoss(rn)) / Halide::cast<float>(batch);
  loss.output_buffer().dim(0).set_bounds(0, 1);
  Expr p = Halide::exp(z(f, n) - logZ(n));
  grad(f, n) = (p - Halide::select(f == labels(n), 1.f, 0.f)) / Halide::cast<float>(batch);
  constrainMatrixOutput(grad, s.classes);
  a.outs = {loss, grad};
  a.rootFuncs = {logZ};
  return a;
}

}  // namespace netc::halide::backward
