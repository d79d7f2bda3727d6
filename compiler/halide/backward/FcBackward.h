// Gradients of the fully connected layer (netc::halide::FcSpec layout):
// x (i, n), weights (i, o) [PyTorch (out, in) memory], dy (o, n).
//   dx(i, n) = sum_o W(i, o) dy(o, n)
//   dW(i, o) = sum_n x(i, n) dy(o, n)   (same memory layout as W)
//   db(o)    = sum_n dy(o, n)
// The forward relu (if any) is differentiated first with reluBackward.
#pragma once

#include "TrainAlgo.h"
#include "compiler/halide/Fc.h"

namespace netc::halide::backward {

// Inputs: dy, x, W. Outputs: dx, dW, and db when spec.bias.
TrainAlgo buildFcBackward(const FcSpec &spec);

}  // namespace netc::halide::backward
