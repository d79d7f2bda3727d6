// Fused 2-D convolution: conv + bias + folded BN + residual + ReLU.
#pragma once

#include "Tensor.h"

#include <string>

namespace netc::halide {

enum class Residual {
  None,
  Same,         // add a tensor of the output's shape
  ZeroPadded,   // ResNet option A: subsample by stride, zero-pad channels
};

struct ConvSpec {
  int cin = 1, cout = 1;
  int kh = 1, kw = 1;
  int stride = 1, pad = 0;  // the same along both axes, unless overridden:
  // per-axis strides and asymmetric pads (ONNX allows both); -1 = use the above.
  int strideH = -1, strideW = -1;
  int padTop = -1, padLeft = -1, padBottom = -1, padRight = -1;
  int inH = 1, inW = 1;
  // Post-ops, applied in this order: +bias, *scale+shift, +residual, relu.
  bool bias = false;
  bool scaleShift = false;
  Residual residual = Residual::None;
  // For Residual::ZeroPadded: the shortcut's own shape and stride; the output
  // reads shortcut(c - p, x*resStride, y*resStride) for p <= c < p + resC,
  // else 0, with p = (cout - resC)/2: the zeros split evenly around it.
  int resC = 0, resH = 0, resW = 0, resStride = 1;
  bool relu = false;
  // Weight layout. 0: HWIO (co, ci, kx, ky). B > 0 (a multiple of 16 that
  // divides cout): blocked, 5-D (cb, ci, kx, ky, cob) with co = cob*B + cb,
  // so the weights of B output channels are one contiguous stream; a
  // schedule then tiles output channels by exactly B. Make it with
  // hwioToBlocked.
  int wBlock = 0;
  // Algorithm and weight layout: 0 direct; 2 or 4 Winograd F(m x m, 3 x 3)
  // (compiler/halide/WinogradConv.h), whose weights are pre-transformed and
  // blocked by wBlock (cout when 0): (cb, ci, cob, ax, ay), alpha = m + 2,
  // made by winogradWeights.
  int winograd = 0;
  // With winograd: the weights stay HWIO and the kernel transforms them on
  // every call (the training step, whose weights change every step); wBlock
  // then blocks only the kernel's own transformed copy.
  bool winogradFromHwio = false;

  int sH() const { return strideH < 0 ? stride : strideH; }
  int sW() const { return strideW < 0 ? stride : strideW; }
  int pTop() const { return padTop < 0 ? pad : padTop; }
  int pLeft() const { return padLeft < 0 ? pad : padLeft; }
  int pBottom() const { return padBottom < 0 ? pad : padBottom; }
  int pRight() const { return padRight < 0 ? pad : padRight; }
  bool hasPadding() const { return pTop() + pLeft() + pBottom() + pRight() > 0; }
  int outH() const { return (inH + pTop() + pBottom() - kh) / sH() + 1; }
  int outW() const { return (inW + pLeft() + pRight() - kw) / sW() + 1; }
  double flops(int batch) const;  // 2 * MACs, the usual GFLOP/s convention
  std::string key() const;        // canonical text, part of the kernel cache key
  // The same convolution without post-ops, in HWIO direct form: what a
  // weight gradient depends on.
  ConvSpec geometry() const;
  // Throws std::invalid_argument on an impossible spec (checked by buildConv,
  // so bad layers fail with a message rather than inside Halide).
  void validate() const;
  // True when Winograd F(m x m, 3 x 3) may compute this conv: 3x3, stride 1,
  // and whole vectors of channels (cin % 8, cout % 16).
  bool winogradApplies() const;
};

// Everything a conv schedule needs. Halide dims:
//   input (c, x, y, n)  weights (co, ci, kx, ky)  [HWIO]  bias/scale/shift (c)
struct ConvAlgo {
  ConvSpec spec;
  NhwcVars v;
  Halide::ImageParam input, weights, bias, scale, shift, residual;
  Halide::Func padded;   // zero-padded input (inlined unless scheduled)
  Halide::Func wts;      // weights, zero-extended in co when cout is ragged
  Halide::Func conv;     // pure sum, update over r
  Halide::Func out;      // conv + post-ops; the pipeline output
  Halide::RDom r;        // (ci, kx, ky)
  std::vector<Halide::ImageParam> inputs;  // call order: in, w, [bias, scale, shift, residual]
};

ConvAlgo buildConv(const ConvSpec &spec);

// Building blocks shared with the Winograd algorithm (WinogradConv.h):
// the ImageParams of a spec (a.spec set), and a.out = post-ops(a.conv).
void declareConvInputs(ConvAlgo &a);
void defineConvOutput(ConvAlgo &a);

// HWIO weights (cout, cin, kw, kh innermost first) to the blocked layout of
// ConvSpec::wBlock; `block` must divide cout.
std::vector<float> hwioToBlocked(const float *hwio, int cout, int cin, int kw, int kh, int block);

// True when `wts` reads zeros for co >= cout (cout not a multiple of 16), so
// a schedule may compute whole vectors of output channels past cout.
inline bool weightsZeroExtended(const ConvSpec &s) { return s.cout % 16 != 0; }

}  // namespace netc::halide
