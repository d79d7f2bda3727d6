// The input gradient of a 3x3 stride-1 conv by Winograd F(m x m, 3 x 3).
//
// dX is a stride-1 convolution of dY (cout channels) with the weights
// transposed (ci <-> co) and rotated by 180 degrees, padded by 2 - pad, so
// it is the forward Winograd conv (compiler/halide/WinogradConv.h) over dY,
// with U = G rot(W)^T G^T computed in the kernel from the HWIO weights on
// every call, and the direct dX kernel's epilogue (an added gradient, the
// relu mask) applied as the output tiles are transformed back. Same inputs,
// in the same order, as buildConvDx: dy, w, [add], [mask].
#pragma once

#include "ConvBackward.h"
#include "compiler/halide/WinogradConv.h"

namespace netc::halide::backward {

struct WinogradDxAlgo {
  ConvDxAlgo dx;      // spec, inputs, out (= wg.conv.out)
  WinogradAlgo wg;    // over dY: wg.conv.spec is the transposed conv
};

// True when dX of `spec` may run as Winograd: 3x3, stride 1, pad <= 2,
// cin % 16 and cout % 8 (the transposed conv's whole vectors).
bool winogradDxApplies(const ConvDxSpec &spec);

// m: 2 or 4; block: output channels (of dX) per block of U, 0 for all.
WinogradDxAlgo buildWinogradDx(const ConvDxSpec &spec, int m, int block);

}  // namespace netc::halide::backward
