// Element-wise training ops over flat arrays (any dense tensor viewed as
// 1-D of runtime length), and the option-A shortcut's backward.
#pragma once

#include "TrainAlgo.h"
#include "compiler/halide/Eltwise.h"

namespace netc::halide::backward {

// Inputs: dy, y (the forward output). dx = dy where y > 0, else 0
// (PyTorch's threshold_backward on the saved output).
TrainAlgo buildReluBackward();

// Inputs: x, mask (1 keeps, 0 drops). y = x * mask / (1 - p): the inverted
// dropout of PyTorch. Its backward is the same op applied to dy.
TrainAlgo buildDropout(float p);

// The option-A shortcut (netc::halide::ZeroPadSpec) read x(c - p, x*s, y*s)
// into output channel c; its backward scatters g back: dx(c, x, y) =
// g(c + p, x/s, y/s) where x and y are multiples of s, else 0.
// p = (outC - in.c)/2. Inputs: g (outC, outW, outH, n). Output dx.
TrainAlgo buildZeroPadShortcutBackward(const ZeroPadSpec &spec);

}  // namespace netc::halide::backward
