// GPU (CUDA) schedules of the forward ops, the counterpart of
// schedules/cpu/{ConvSchedule,OpSchedules}.h for targets with a GPU feature
// (Halide::Target::has_gpu_feature()). One file pair for all forward ops:
// apart from conv they are a few lines each, and they share the tiling
// helpers. The kernel builders in schedules/cpu/CpuKernels.cpp pick these
// when the target has a GPU feature.
//
// Conventions: activations are NHWC, Halide dims (c, x, y, n); channels map
// to the threads' x dimension so that stores (and most loads) of a warp are
// contiguous. Rows and batch are fused into one block dimension. Every stage
// of a pipeline is either inlined or given GPU loops: a stage left
// compute_root without GPU loops would run on the host.
//
// These are reasonable starting points, not tuned ones.
#pragma once

#include "compiler/halide/Conv.h"
#include "compiler/halide/Eltwise.h"
#include "compiler/halide/Fc.h"
#include "compiler/halide/Lrn.h"
#include "compiler/halide/Pool.h"
#include "compiler/halide/Softmax.h"

#include <string>

namespace netc::schedules {

// Conv: each thread owns a register tile of vecC adjacent output channels x
// unrollX adjacent pixels of one row, accumulating the whole (ci, kx, ky)
// reduction in registers: per reduction step one vecC-wide weight load
// (float4 when vecC is 4; HWIO has co innermost) and unrollX input loads
// feed vecC * unrollX FMAs. A warp's stores cover contiguous channels (as
// vecC scalar stores per pixel: Halide 14 emits no vector store here, the
// PTX shows). A block is threadsC x threadsX such threads over one row of
// one image.
struct GpuConvSchedule {
  int threadsC = 32;  // threads along output channels (a power of two)
  int threadsX = 4;   // threads along x
  int unrollX = 4;    // output pixels per thread (adjacent in x)
  int vecC = 4;       // output channels per thread (adjacent; 4 or 1)
  std::string key() const;  // starts with "gpu-v2"
};

// A starting point for `spec`: threadsC divides cout when cout is a multiple
// of 16 (otherwise the weights are zero-extended and the ragged channel
// tile is guarded); the pixel tile never exceeds the output width.
GpuConvSchedule defaultGpuConvSchedule(const netc::halide::ConvSpec &spec);
// Makes params legal for the spec (see defaultGpuConvSchedule).
GpuConvSchedule clampGpuConvSchedule(const netc::halide::ConvSpec &spec, GpuConvSchedule s);
void scheduleConvGpu(netc::halide::ConvAlgo &a, const GpuConvSchedule &s);

// The memory-bound ops: one output element per thread.
struct GpuSimpleSchedule {
  int threads = 128;  // threads per block (upper bound)
  std::string key() const;  // starts with "gpu-v1"
};

// Any NHWC op whose output is (channels, width, h, n): eltwise, pools, GAP,
// zero-pad shortcut. Inline reductions (maximum, sum) run per thread.
void scheduleNhwcGpu(netc::halide::OpAlgo &a, int channels, int width,
                     const GpuSimpleSchedule &s);
// One thread per (output feature, image); the dot product runs in the thread.
void scheduleFcGpu(netc::halide::FcAlgo &a, const GpuSimpleSchedule &s);
// Per-image max and sum kernels, then one thread per output element.
void scheduleSoftmaxGpu(netc::halide::SoftmaxAlgo &a, int features, const GpuSimpleSchedule &s);
// Shared tiling helpers (also used by GpuTrainSchedules).
int pow2Ceil(int n);
int pow2Floor(int n);
// No tail code when the tile divides the extent; otherwise the tile's
// threads past the extent do nothing (guards, unlike ShiftInwards, also
// handle extents smaller than the tile).
Halide::TailStrategy gpuTailFor(int extent, int tile);
// Threads along channels: a power of two, at most 32 (one warp) and no more
// than the channels rounded up.
int channelThreads(int channels, int want);
// The NHWC output tiling of the memory-bound ops: a block holds channel
// threads x pixel threads of one row of one image.
void tileNhwcGpu(Halide::Func out, const netc::halide::NhwcVars &v, int channels, int width,
                 int threads);

void scheduleLrnGpu(netc::halide::LrnAlgo &a, const netc::halide::Shape3 &shape,
                    const GpuSimpleSchedule &s);

}  // namespace netc::schedules
