// Gradients of the pooling ops (geometry of netc::halide::PoolSpec).
// Each is a gather over the windows that cover an input pixel, so every
// output element is written once (no scatter, parallel without races).
#pragma once

#include "TrainAlgo.h"
#include "compiler/halide/Pool.h"

namespace netc::halide::backward {

// Inputs: x (the forward input, to find the argmax), dy. Output dx.
// The gradient goes to the first maximum of each window in row-major
// (ky, kx) order, as PyTorch's max_pool2d does on ties.
TrainAlgo buildMaxPoolBackward(const PoolSpec &spec);
// Inputs: dy. Output dx. Uses the forward's divisor (count_include_pad and
// ceil-mode clipping exactly as buildAvgPool).
TrainAlgo buildAvgPoolBackward(const PoolSpec &spec);
// Inputs: dy (c, 1, 1, n). Output dx = dy / (H*W) at every pixel.
TrainAlgo buildGlobalAvgPoolBackward(const GlobalPoolSpec &spec);

}  // namespace netc::halide::backward
