// Spatial pooling over NHWC tensors: max, average, global average.
#pragma once

#include "Tensor.h"

#include <string>

namespace netc::halide {

struct PoolSpec {
  int c = 1, inH = 1, inW = 1;
  int kh = 2, kw = 2, stride = 2, pad = 0;
  // Per-axis overrides (pads stay symmetric within an axis); -1 = use above.
  int strideH = -1, strideW = -1, padH = -1, padW = -1;
  bool countIncludePad = true;  // AvgPool only (PyTorch default: true)
  bool ceilMode = false;

  int sH() const { return strideH < 0 ? stride : strideH; }
  int sW() const { return strideW < 0 ? stride : strideW; }
  int pH() const { return padH < 0 ? pad : padH; }
  int pW() const { return padW < 0 ? pad : padW; }
  int outH() const { return windowOutExtent(inH, kh, sH(), pH(), ceilMode); }
  int outW() const { return windowOutExtent(inW, kw, sW(), pW(), ceilMode); }
  std::string key() const;
};

// Padding reads as -inf, so it never wins the max.
OpAlgo buildMaxPool(const PoolSpec &spec);
// Divides by kh*kw (countIncludePad) or by the number of in-image taps.
// In ceil mode PyTorch never counts the part of a window beyond the right
// padding; both divisors follow that rule.
OpAlgo buildAvgPool(const PoolSpec &spec);

// Mean over x and y; output shape (c, 1, 1, n).
struct GlobalPoolSpec {
  int c = 1, inH = 1, inW = 1;
  std::string key() const;
};
OpAlgo buildGlobalAvgPool(const GlobalPoolSpec &spec);

}  // namespace netc::halide
