// Fully connected layer: out = W x (+ bias) (relu).
//
// Input is 2-D (in, n): a flattened NHWC activation is its contiguous memory,
// so the flattened index is c + C*(x + W*y) (NHWC order, not PyTorch's NCHW).
// Weights keep PyTorch's (out, in) row-major memory, i.e. Halide dims
// (i, o) with the input feature fastest: no repacking when importing.
#pragma once

#include "Tensor.h"

#include <string>

namespace netc::halide {

struct FcSpec {
  int in = 1, out = 1;
  bool bias = false;
  bool relu = false;
  std::string key() const;
};

struct FcAlgo {
  FcSpec spec;
  Halide::Var o{"o"}, n{"n"};
  Halide::ImageParam input, weights, bias;
  Halide::Func dot;  // pure sum, update over r
  Halide::Func out;
  Halide::RDom r;
  std::vector<Halide::ImageParam> inputs;  // in, w, [bias]
};

FcAlgo buildFc(const FcSpec &spec);

}  // namespace netc::halide
