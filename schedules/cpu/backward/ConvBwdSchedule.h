// CPU schedules of the conv gradients (compiler/halide/backward/ConvBackward.h).
//
// dX is a convolution of dY with transposed weights, so it takes the forward
// conv's register tile: vectors of input channels x pixels, the reduction
// (co, taps) outside the tile, parallel over rows. Strided dX (ConvDxAlgo::
// phases) stages one row of the by-phase sum per dX row, tiled the same way,
// so only real taps are summed.
//
// dW reduces over n, x, y into a small tensor. It is split into blocks of
// rows (and of images, for small maps) (rfactor); for each block, every
// register tile (vectors of co x a few ci, one tap, or all taps when ci is
// too small to fill the registers) sweeps the block while it sits in L2,
// then adds into dW. The padded X rows of a block are staged once, so the
// FMA loop has no boundary selects. Parallel tasks own disjoint ci ranges,
// so no partial sums are stored.
//
// Stride-1 3x3 convs take Winograd F(4x4) for both by default (WinogradDx,
// WinogradDw in compiler/halide/backward; the `winograd` fields below):
// dX on the forward Winograd schedule, dW per block of images.
#pragma once

#include "compiler/halide/backward/ConvBackward.h"
#include "compiler/halide/backward/WinogradDw.h"
#include "compiler/halide/backward/WinogradDx.h"
#include "schedules/cpu/ConvSchedule.h"

#include <string>

namespace netc::schedules::backward {

struct ConvDxSchedule {
  int vec = 16;         // lanes (16 AVX-512, 8 AVX2)
  int ciVecs = 4;       // register tile: vectors of input channels ...
  int tileX = 4;        // ... x pixels of one row
  int rowsPerTask = 1;  // rows (of all images) per parallel task
  bool stageDy = true;  // copy the dY rows a row of dX needs (drops the boundary selects)
  bool parallel = true;
  // Algorithm: 0 direct; 2 or 4 Winograd F(m x m, 3x3) (WinogradDx.h), for
  // specs with winogradDxApplies. Then the tile is ciVecs x tileX m x m
  // tiles, rowsPerTask counts tile rows and stageDy stages the padded dY.
  int winograd = 0;
  std::string key() const;
};

struct ConvDwSchedule {
  int vec = 16;
  int coVecs = 4;         // register tile: vectors of output channels ...
  int ciTile = 4;         // ... x input channels (a divisor of cin)
  int rowsPerBlock = 8;   // output rows per block (a divisor of outH)
  int imagesPerBlock = 1; // images per block (small maps: fewer, longer sweeps)
  bool tapsInTile = false;  // all kx x ky taps in the register tile (small cin)
  bool stageX = true;     // stage the padded X rows of a block (no boundary selects)
  int tasks = 2;          // parallel tasks over ci (1 = serial)
  // Algorithm: 0 direct; 2 or 4 Winograd F(3x3, m x m) (WinogradDw.h), for
  // specs with winogradApplies(). Then the tile is coVecs x ciTile per
  // transformed position, imagesPerBlock images are transformed and summed
  // per block, stageX stages their padded X; rowsPerBlock and tapsInTile
  // do not apply.
  int winograd = 0;
  std::string key() const;
};

// The built-in schedules: Winograd for stride-1 3x3 convs (unless
// NETC_WINOGRAD=0), else the direct ones below.
ConvDxSchedule defaultConvDxSchedule(const netc::halide::backward::ConvDxSpec &spec,
                                     const Halide::Target &t);
ConvDxSchedule clampConvDxSchedule(const netc::halide::backward::ConvDxSpec &spec,
                                   ConvDxSchedule s);
ConvDwSchedule defaultConvDwSchedule(const netc::halide::ConvSpec &spec, const Halide::Target &t);
ConvDxSchedule directConvDxSchedule(const netc::halide::backward::ConvDxSpec &spec,
                                    const Halide::Target &t);
ConvDwSchedule directConvDwSchedule(const netc::halide::ConvSpec &spec, const Halide::Target &t);
ConvDwSchedule clampConvDwSchedule(const netc::halide::ConvSpec &spec, ConvDwSchedule s);

void scheduleConvDx(netc::halide::backward::ConvDxAlgo &a, const ConvDxSchedule &s);
// A Winograd dX schedule (s.winograd) as the forward Winograd schedule of
// the transposed conv, and the output-channel block of U it wants.
ConvSchedule winogradDxConvSchedule(const ConvDxSchedule &s);
int winogradDxBlock(const netc::halide::backward::ConvDxSpec &spec, const ConvDxSchedule &s);
void scheduleWinogradDx(netc::halide::backward::WinogradDxAlgo &a, const ConvDxSchedule &s);
void scheduleWinogradDw(netc::halide::backward::WinogradDwAlgo &a, const ConvDwSchedule &s);
void scheduleConvDw(netc::halide::backward::ConvDwAlgo &a, const ConvDwSchedule &s);
void scheduleConvDb(netc::halide::backward::ConvDbAlgo &a, int cout, int vec);

}  // namespace netc::schedules::backward
