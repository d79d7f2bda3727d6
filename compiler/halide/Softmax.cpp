#include "Softmax.h"

namespace netc::halide {

std::string SoftmaxSpec::key() const { return "f" + std::to_string(features); }

SoftmaxAlgo buildSoftmax(const SoftmaxSpec &s) {
  SoftmaxAlgo a;
  Halide::ImageParam in(Halide::Float(32), 2, "softmax_in");
  constrainMatrix(in, s.features);
  a.inputs = {in};
  Halide::RDom r(0, s.features, "r");
  a.maxv = Halide::Func("softmax_max");
  a.expv = Halide::Func("softmax_exp");
  a.sum = Halide::Func("softmax_sum");
  a.out = Halide::Func("softmax_out");
  a.maxv(a.n) = Halide::maximum(in(r, a.n));
  a.expv(a.f, a.n) = Halide::exp(in(a.f, a.n) - a.maxv(a.n));
  a.sum(a.n) = 0.f;
  a.sum(a.n) += a.expv(r, a.n);
  a.out(a.f, a.n) = a.expv(a.f, a.n) / a.sum(a.n);
  constrainMatrixOutput(a.out, s.features);
  return a;
}

}  // namespace netc::halide
