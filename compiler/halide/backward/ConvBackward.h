// Gradients of a 2-D convolution (the geometry of netc::halide::ConvSpec):
//   dX: a transposed convolution of dY with the weights, plus the fused
//       epilogue a residual network needs when X is a block input;
//   dW: a correlation of dY with the (padded) input, reduced over n, x, y;
//   db: dY summed over n, x, y.
// Layouts follow the forward op: dY (co, x, y, n), X (ci, x, y, n), HWIO
// weights (co, ci, kx, ky). The post-ops of the forward conv (bias, BN,
// relu) are not differentiated here: their backward ops come first.
#pragma once

#include "TrainAlgo.h"
#include "compiler/halide/Conv.h"

namespace netc::halide::backward {

// What is added to the transposed convolution before the relu mask.
enum class GradAdd {
  None,
  Same,        // + a gradient of X's shape (another consumer of X)
  ZeroPadded,  // + the option-A shortcut's backward: subsample-scatter of
               //   the block output gradient g (addC, addW, addH)
};

struct ConvDxSpec {
  ConvSpec conv;  // geometry only; its post-op flags are ignored
  GradAdd add = GradAdd::None;
  int addC = 0, addH = 0, addW = 0, addStride = 1;  // GradAdd::ZeroPadded
  // Multiply by (m > 0) for a saved tensor m of X's shape: X = relu(...),
  // so this is the relu backward of the layer that produced X.
  bool reluMask = false;
  std::string key() const;
  void validate() const;
};

// dX = sum over (co, jx, jy) of wT(ci, co, kx, ky) * dY(co, ox, oy), where
// for stride s the taps touching input column ix are kx = (ix+p)%s + s*jx
// at ox = (ix+p)/s - jx: every visited tap is a real one (no stride holes).
struct ConvDxAlgo {
  ConvDxSpec spec;
  NhwcVars v;
  Halide::ImageParam dy, weights, add, mask;
  Halide::Func wT;    // weights transposed to (ci, co, kx, ky), zero past the kernel/ci
  Halide::Func dyExt; // dY, zero outside the output image
  Halide::Func sum;   // pure zero, update over r; with phases, a pure read of sumP
  Halide::Func out;
  Halide::RDom r;     // (co, jx, jy)
  // Stride > 1: the sum by phase of the padded input column, px = s*q + ph
  // (and of the row, (y + pTop) % s): within a phase the taps are fixed, and
  // r is restricted (RDom::where) to the real ones, so no zero taps are summed.
  bool phases = false;
  Halide::Var q{"q"}, ph{"ph"};
  Halide::Func sumP;  // (c, q, ph, y, n): pure zero, update over r
  std::vector<Halide::ImageParam> inputs;  // dy, w, [add], [mask]
};
ConvDxAlgo buildConvDx(const ConvDxSpec &spec);
// Its pieces, shared with the Winograd dX (WinogradDx.h): the inputs, and
// `out` = the epilogue applied to `sum`.
void declareConvDxInputs(ConvDxAlgo &a);
void defineConvDxOutput(ConvDxAlgo &a);

// dW(co, ci, kx, ky) = sum over (ox, oy, n) of dY(co, ox, oy, n) *
// Xpad(ci, ox*s + kx - p, oy*s + ky - p, n).
struct ConvDwAlgo {
  ConvSpec spec;
  Halide::Var co{"co"}, ci{"ci"}, kx{"kx"}, ky{"ky"};
  Halide::ImageParam dy, input;
  Halide::Func dyExt;   // dY, zero-extended in co when cout is ragged
  Halide::Func padded;  // X, zero outside the image
  Halide::Func out;     // pure zero, update over r
  Halide::RDom r;       // (ox, oy, n)
  std::vector<Halide::ImageParam> inputs;  // dy, x
};
ConvDwAlgo buildConvDw(const ConvSpec &spec);

// db(co) = sum of dY over (x, y, n).
struct ConvDbAlgo {
  Halide::Var co{"co"};
  Halide::Func out;
  Halide::RDom r;  // (x, y, n)
  std::vector<Halide::ImageParam> inputs;  // dy
};
ConvDbAlgo buildConvDb(const ConvSpec &spec);

// True when dY reads as zero for co >= cout, so a dW schedule may compute
// whole vectors of output channels.
inline bool dyZeroExtended(const ConvSpec &s) { return s.cout % 16 != 0; }

}  // namespace netc::halide::backward
