// Shared conventions for the Halide algorithms of netc.
//
// Activations are NHWC float32. As Halide buffers (innermost first) their
// dimensions are (c, x, y, n). Channels and spatial extents are fixed at
// compile time (they come from the network); the batch n is a runtime extent.
#pragma once

#include <Halide.h>

#include <string>
#include <vector>

namespace netc::halide {

// The four loop variables every NHWC op uses.
struct NhwcVars {
  Halide::Var c{"c"}, x{"x"}, y{"y"}, n{"n"};
};

// A fixed channel/spatial shape; batch is left to runtime.
struct Shape3 {
  int c = 1, w = 1, h = 1;
};

// Constrain a 4-D NHWC ImageParam to a dense buffer of the given shape.
// Static extents and strides let Halide drop tail code and fold address math.
void constrainNhwc(Halide::ImageParam &p, const Shape3 &s);
// Same for the output buffer of a Func.
void constrainNhwcOutput(Halide::Func &f, const Shape3 &s);
// Dense 2-D (features, n) buffers: used by Fc and Softmax.
void constrainMatrix(Halide::ImageParam &p, int features);
void constrainMatrixOutput(Halide::Func &f, int features);
// Dense 1-D per-channel vector (bias, BN scale/shift).
void constrainVector(Halide::ImageParam &p, int extent);

// Algorithm of a simple op: output Func, its inputs in call order, and the
// loop variables a schedule refers to.
struct OpAlgo {
  Halide::Func out;
  std::vector<Halide::ImageParam> inputs;
  NhwcVars v;
};

// Output extent of a sliding window (conv or pool).
int windowOutExtent(int in, int k, int stride, int pad, bool ceilMode = false);

}  // namespace netc::halide
