// Elementwise and shape-preserving NHWC ops.
#pragma once

#include "Tensor.h"

#include <string>

namespace netc::halide {

// out = a + b (relu).
OpAlgo buildAdd(const Shape3 &shape, bool relu);
// out = max(x, 0).
OpAlgo buildRelu(const Shape3 &shape);
// BatchNorm in inference form, already folded: out = x*scale[c] + shift[c]
// (scale = gamma/sqrt(var+eps), shift = beta - mean*scale). Inputs: x, scale, shift.
OpAlgo buildBatchNorm(const Shape3 &shape, bool relu);

// ResNet "option A" shortcut: subsample by stride, zero-pad channels to outC,
// (outC - inC)/2 zero channels before the input's, the rest after.
struct ZeroPadSpec {
  Shape3 in;
  int outC = 1, stride = 1;
  int outH() const { return (in.h + stride - 1) / stride; }
  int outW() const { return (in.w + stride - 1) / stride; }
  std::string key() const;
};
OpAlgo buildZeroPadShortcut(const ZeroPadSpec &spec);

std::string shapeKey(const Shape3 &s);

}  // namespace netc::halide
