// CPU schedule of the Winograd conv (compiler/halide/WinogradConv.h).
//
// The output rows are cut into tasks of `rowsPerTask` tile rows (x batch),
// the parallel loop. Per task: the padded input rows are staged, every
// input tile is transformed (V), then for each (ax, ay) the GEMM
// M = U V runs with a register tile of coVecs vectors of output channels x
// tileX tiles and the whole ci reduction inside it, as in the direct conv;
// last, each output tile is transformed back (A^T M A) one vector of
// channels at a time and the post-ops are applied on the way out.
#pragma once

#include "compiler/halide/WinogradConv.h"
#include "schedules/cpu/ConvSchedule.h"

namespace netc::schedules {

// `s` is clamped (clampConvSchedule) first; s.winograd must equal spec.winograd.
void scheduleWinograd(netc::halide::WinogradAlgo &w, const ConvSchedule &s);

// The input transform (inRows, inTile) wherever the caller computes inTile:
// one vector of channels (s.vec) of one tile at a time, unrolled.
void scheduleWinogradInputTransform(netc::halide::WinogradAlgo &w, const ConvSchedule &s);

// Tiles along x the GEMM computes per tile row: tilesX rounded up to the
// register tile, so the GEMM has no tail.
int winogradTilesXRounded(const netc::halide::WinogradAlgo &w, const ConvSchedule &s);

}  // namespace netc::schedules
