// Local response normalisation across channels (PyTorch LocalResponseNorm):
//   out = x / (k + alpha/size * sum_{c' in window} x_{c'}^2)^beta
// with window [c - size/2, c + (size-1)/2], zero outside the channels.
#pragma once

#include "Tensor.h"

#include <string>

namespace netc::halide {

struct LrnSpec {
  Shape3 shape;
  int size = 5;
  float alpha = 1e-4f, beta = 0.75f, k = 1.f;
  std::string key() const;
};

struct LrnAlgo {
  NhwcVars v;
  Halide::Func sq;   // zero-extended squares along c
  Halide::Func out;
  std::vector<Halide::ImageParam> inputs;
};

LrnAlgo buildLrn(const LrnSpec &spec);

}  // namespace netc::halide
