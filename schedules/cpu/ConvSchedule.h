// CPU schedule of the fused conv (see compiler/halide/Conv.h).
//
// Shape of the schedule: each output tile holds coVecs vectors of output
// channels times tileX pixels of one row in registers; the whole reduction
// (ci, kx, ky) runs outside that register tile so every loaded weight vector
// feeds tileX FMAs and every broadcast input feeds coVecs FMAs. Rows (and
// batch) are the parallel loop.
#pragma once

#include "compiler/halide/Conv.h"

#include <string>

namespace netc::schedules {

struct ConvSchedule {
  int vec = 16;       // floats per vector: 16 (AVX-512) or 8 (AVX2)
  int coVecs = 4;     // vectors of output channels in the register tile
  int tileX = 4;      // output pixels along x in the register tile
  int rowsPerTask = 1;  // output rows per parallel task
  bool stagePadded = true;  // copy the padded input rows once per row task
  bool parallel = true;
  // Channel tiles outermost (and the parallel loop): each tile's weights are
  // read from memory once and reused from L2 for every pixel, instead of the
  // whole weight tensor once per row. For small maps with large weights,
  // whose weights are cold in a network (they do not stay in L3 between
  // passes).
  bool coOuter = false;
  // Algorithm: 0 direct; 2 or 4 Winograd F(m x m, 3x3) (WinogradSchedule.h),
  // for specs with winogradApplies(). There tileX counts m x m tiles and
  // rowsPerTask tile rows; coOuter makes three whole-batch phases (all
  // input transforms, the GEMMs parallel over channel tiles x (ax, ay), the
  // output transforms) so each weight is read once (WinogradSchedule.cpp).
  int winograd = 0;
  std::string key() const;
};

// Vector width of `t` for float32.
int floatLanes(const Halide::Target &t);

// The built-in direct-conv schedule for `spec` on `t` (clamped).
ConvSchedule directConvSchedule(const netc::halide::ConvSpec &spec, const Halide::Target &t);

// The built-in schedule: Winograd for the 3x3 stride-1 layers where it was
// measured faster, else directConvSchedule.
ConvSchedule defaultConvSchedule(const netc::halide::ConvSpec &spec, const Halide::Target &t);

// defaultConvSchedule adjusted to `batch` (what runs without a tuning
// database); for the training step (HWIO weights) trainingWinograd where
// Winograd applies, else the direct tile.
ConvSchedule builtinConvSchedule(const netc::halide::ConvSpec &spec, const Halide::Target &t,
                                 int batch, bool training = false);

// False when NETC_WINOGRAD=0: then every built-in schedule (inference and
// training, forward and dX) is direct; a tuned schedule still applies.
bool winogradByDefault();

// The built-in Winograd tile of a training-step conv, forward or dX, with
// `outChannels` output channels, from `s` (its vector width): F(4x4, 3x3).
ConvSchedule trainingWinograd(ConvSchedule s, int outChannels);

// The schedule for `spec` (wBlock, winograd ignored) at `batch`: the tuning
// database's (schedules/tuning) when it has one for this target, thread
// count, batch and mode (inference or the training step), else
// builtinConvSchedule. Callers that know the batch (Executor, Trainer) pass
// the result to convKernel.
ConvSchedule chosenConvSchedule(const netc::halide::ConvSpec &spec, const Halide::Target &t,
                                int batch, bool training = false);

// The weight block (ConvSpec::wBlock) the chosen schedule of `spec` wants:
// its output-channel tile when that divides cout, else 0 (plain HWIO).
int preferredWeightBlock(const netc::halide::ConvSpec &spec, const Halide::Target &t,
                         int batch);
// The same for a given schedule `s`.
int weightBlockFor(const netc::halide::ConvSpec &spec, ConvSchedule s);

// The spec of the training step's forward kernel for `spec` (plain) run
// with `s`: HWIO weights (they change every step); a Winograd schedule
// transforms them inside the kernel (winogradFromHwio), blocked by its tile.
netc::halide::ConvSpec trainingConvSpec(const netc::halide::ConvSpec &spec,
                                        const ConvSchedule &s);

// The Winograd tile (ConvSpec::winograd) the chosen schedule of `spec` wants,
// 0 for direct; always 0 on GPU targets.
int preferredWinograd(const netc::halide::ConvSpec &spec, const Halide::Target &t, int batch);

// Makes params legal for the spec (tiles no larger than the extents, ...).
ConvSchedule clampConvSchedule(const netc::halide::ConvSpec &spec, ConvSchedule s);

// Applies the (clamped) schedule to the algorithm's Funcs.
void scheduleConv(netc::halide::ConvAlgo &algo, const ConvSchedule &s);

}  // namespace netc::schedules
