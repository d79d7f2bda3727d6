#include "Lrn.h"

#include <sstream>

namespace netc::halide {

using Halide::Expr;

std::string LrnSpec::key() const {
  std::ostringstream o;
  o.precision(9);
  o << "c" << shape.c << " " << shape.h << "x" << shape.w << " size" << size << " a" << alpha
    << " b" << beta << " k" << k;
  return o.str();
}

LrnAlgo buildLrn(const LrnSpec &s) {
  LrnAlgo a;
  const NhwcVars &v = a.v;
  Halide::ImageParam in(Halide::Float(32), 4, "lrn_in");
  constrainNhwc(in, s.shape);
  a.inputs = {in};
  Halide::Region box = {{0, s.shape.c}, {Expr(), Expr()}, {Expr(), Expr()}, {Expr(), Expr()}};
  Halide::Func x0 = Halide::BoundaryConditions::constant_exterior(in, 0.f, box);
  a.sq = Halide::Func("lrn_sq");
  a.out = Halide::Func("lrn_out");
  a.sq(v.c, v.x, v.y, v.n) = x0(v.c, v.x, v.y, v.n) * x0(v.c, v.x, v.y, v.n);
  Halide::RDom r(0, s.size, "r");
  Expr window = Halide::sum(a.sq(v.c + r - s.size / 2, v.x, v.y, v.n));
  Expr denom = Halide::pow(s.k + (s.alpha / float(s.size)) * window, s.beta);
  a.out(v.c, v.x, v.y, v.n) = in(v.c, v.x, v.y, v.n) / denom;
  constrainNhwcOutput(a.out, s.shape);
  return a;
}

}  // namespace netc::halide
