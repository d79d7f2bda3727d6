#include "Fc.h"

#include <sstream>

namespace netc::halide {

using Halide::Expr;
using Halide::Float;
using Halide::ImageParam;

std::string FcSpec::key() const {
  std::ostringstream k;
  k << "in" << in << " out" << out << (bias ? " bias" : "") << (relu ? " relu" : "");
  return k.str();
}

FcAlgo buildFc(const FcSpec &s) {
  FcAlgo a;
  a.spec = s;
  a.input = ImageParam(Float(32), 2, "fc_in");
  constrainMatrix(a.input, s.in);
  a.weights = ImageParam(Float(32), 2, "fc_w");
  constrainMatrix(a.weights, s.in);
  a.weights.dim(1).set_bounds(0, s.out);
  a.inputs = {a.input, a.weights};
  if (s.bias) {
    a.bias = ImageParam(Float(32), 1, "fc_bias");
    constrainVector(a.bias, s.out);
    a.inputs.push_back(a.bias);
  }
  a.dot = Halide::Func("fc_dot");
  a.out = Halide::Func("fc_out");
  a.r = Halide::RDom(0, s.in, "r");
  a.dot(a.o, a.n) = 0.f;
  a.dot(a.o, a.n) += a.weights(a.r, a.o) * a.input(a.r, a.n);
  Expr e = a.dot(a.o, a.n);
  if (s.bias) e = e + a.bias(a.o);
  if (s.relu) e = Halide::max(e, 0.f);
  a.out(a.o, a.n) = e;
  constrainMatrixOutput(a.out, s.out);
  return a;
}

}  // namespace netc::halide
