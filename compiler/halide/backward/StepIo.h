// The plumbing of a training step that runs on a GPU (runtime/aot/
// CTrainGpuSource.cpp): where the CPU driver uses plain C loops, a GPU
// library needs kernels, since the data lives on the device.
#pragma once

#include "TrainAlgo.h"

namespace netc::halide::backward {

// in -> out, flat: the BN running statistics, workspace -> parameters.
// inAnyMin: see flatInput.
TrainAlgo buildFlatCopy(bool inAnyMin = false);

// The caller's NCHW images (x, y, c, n) -> the network's NHWC input
// (c, x, y, n), on the device: no layout pass on the host, and the upload
// is of the images as given.
TrainAlgo buildNchwToNhwc(const Shape3 &shape);

}  // namespace netc::halide::backward
