// Softmax over the feature dimension of a 2-D (features, n) tensor.
#pragma once

#include "Tensor.h"

#include <string>

namespace netc::halide {

struct SoftmaxSpec {
  int features = 1;
  std::string key() const;
};

struct SoftmaxAlgo {
  Halide::Var f{"f"}, n{"n"};
  Halide::Func maxv, expv, sum, out;  // subtract the max so exp cannot overflow
  std::vector<Halide::ImageParam> inputs;
};

SoftmaxAlgo buildSoftmax(const SoftmaxSpec &spec);

}  // namespace netc::halide
