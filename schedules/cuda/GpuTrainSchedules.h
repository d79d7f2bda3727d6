// GPU (CUDA, OpenCL) schedules of the training ops: the counterpart of
// schedules/cpu/backward/{ConvBwdSchedule,TrainOpSchedules}.h for targets
// with a GPU feature. schedules/cpu/backward/TrainKernels.cpp picks these
// when Target::has_gpu_feature().
//
// Conventions as in GpuSchedules.h: channels (or features) map to the
// threads' x dimension, so a warp's stores are contiguous. Every stage is
// inlined or gets GPU loops; none is left on the host.
//
// Reductions over many pixels (BN statistics, bias and weight gradients)
// are split with rfactor into partial sums computed by many threads, each
// accumulating in registers (the reduction is computed at the thread of a
// wrapper Func), then summed in a second and third, smaller kernel. The
// algorithms stay as they are; only the schedule splits the sums. Float
// sums in a different order than the CPU's: results agree to rounding.
//
// Starting points, not tuned ones: no GPU has timed them yet.
#pragma once

#include "compiler/halide/backward/ConvBackward.h"
#include "compiler/halide/backward/TrainAlgo.h"
#include "compiler/halide/backward/WinogradDx.h"

namespace netc::schedules::backward {

// dX: like the forward conv (GpuSchedules.h), a register tile of 4 input
// channels x 4 pixels of one row per thread; strided convs (phases) one
// output per thread.
void scheduleConvDxGpu(netc::halide::backward::ConvDxAlgo &a);
// dW (co, ci, kx, ky): partial sums per block of 8 images, a thread owning
// a register tile of 4 co x up to 4 ci of one tap; then the blocks are
// summed.
void scheduleConvDwGpu(netc::halide::backward::ConvDwAlgo &a);
// db: a per-channel pixel sum (see gpuPixelSum).
void scheduleConvDbGpu(netc::halide::backward::ConvDbAlgo &a, int channels);

// A per-channel sum f(c) with one update over r = (x, y, n): rows, then
// images, then the batch, each level one thread per (channel, ...).
void gpuPixelSum(Halide::Func f, const Halide::RDom &r, int channels);

// An NHWC output (tileNhwcGpu), a flat 1-D output, and algo.rootFuncs
// (per-channel pixel sums when they reduce over algo.sumDom, else one thread
// per element of their first dimension).
void scheduleNhwcOutGpu(Halide::Func f, const netc::halide::NhwcVars &v, int channels,
                        int width);
void scheduleFlatOutGpu(Halide::Func f);
void scheduleRootFuncsGpu(netc::halide::backward::TrainAlgo &a, int channels);

// Whole-op schedules: outputs in the algorithms' order.
void scheduleBnTrainGpu(netc::halide::backward::TrainAlgo &a, const netc::halide::Shape3 &shape);
void scheduleFcBackwardGpu(netc::halide::backward::TrainAlgo &a, int in, int out);
void scheduleXentGpu(netc::halide::backward::TrainAlgo &a, int classes);

}  // namespace netc::schedules::backward
