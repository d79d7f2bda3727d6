#include "ConvSchedule.h"

#include "schedules/tuning/TuningDb.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

namespace netc::schedules {

using Halide::TailStrategy;
using Halide::Var;
using netc::halide::ConvAlgo;
using netc::halide::ConvSpec;

int floatLanes(const Halide::Target &t) { return t.natural_vector_size<float>(); }

std::string ConvSchedule::key() const {
  std::ostringstream k;
  k << "v" << vec << " cv" << coVecs << " tx" << tileX << " rows" << rowsPerTask
    << (stagePadded ? " stage" : "") << (parallel ? " par" : "") << (coOuter ? " coouter" : "");
  if (winograd) k << " wg" << winograd;
  return k.str();
}

ConvSchedule directConvSchedule(const ConvSpec &specIn, const Halide::Target &t) {
  ConvSpec spec = specIn;
  spec.winograd = 0;
  ConvSchedule s;
  s.vec = floatLanes(t);
  // 4x4 accumulators fit 32 zmm registers with room for weights and
  // broadcasts; AVX2 has 16 ymm registers, so halve the channel tile.
  s.coVecs = s.vec >= 16 ? 4 : 2;
  s.tileX = 4;
  s = clampConvSchedule(spec, s);
  // Short rows with many channels: a 4x7 tile (28 zmm accumulators) halves
  // the passes over large weights. Measured 1 thread, 3x3: 14x14x256 85->97%,
  // 7x7x512 73->88%, 28x28x128 equal; but 56x56x64 drops 97->55% and a
  // 1x1 s2 256->512 (28 wide) 98->91%, so spatial kernels only.
  bool shortRows = spec.outW() <= 28 && spec.outW() % 7 == 0 && spec.kh * spec.kw > 1;
  if (s.vec >= 16 && s.coVecs == 4 && shortRows) s.tileX = 7;
  // 1x1 layers on small maps (conv4/conv5 of ResNet-50) have large weights
  // and few pixels: one pass over the weights per channel tile rather than
  // per row. Measured with cold caches (bench_conv --cold --blocked), 1
  // thread: 2048->512 7x7 84->101 GFLOP/s, 512->2048 7x7 +res 85->95..101,
  // s2 1024->2048 92->98..105; 3x3 layers gain nothing (rows are reused).
  if (spec.kh * spec.kw == 1 && spec.outH() * spec.outW() <= 196) s.coOuter = true;
  // With channel tiles outermost a 1x1 layer's 14- or 7-wide rows fit a 4x7
  // tile exactly (a 4-wide tile recomputes 2 of every 14 pixels). Measured
  // the same way: 256->1024 14x14 +res 71-73 -> 83-84% of peak, s2
  // 512->1024 82 -> 91-94%, 1024->256 14x14 82-84 -> 86-89%, the 7x7 ones
  // +3-6 points.
  if (s.coOuter && s.vec >= 16 && s.coVecs == 4 && spec.outW() % 7 == 0) s.tileX = 7;
  return s;
}

bool winogradByDefault() {
  const char *e = std::getenv("NETC_WINOGRAD");
  return !(e && std::string(e) == "0");
}

// Measured with `netc tune --train` (CIFAR ResNet-20, batch 128, 1 thread,
// cold caches), built-in direct -> the best Winograd candidate, ms:
// forward 16->16 32x32 5.8 -> 3.5 (F4, 1x3), 32->32 16x16 7.4 -> 2.8 (2x4),
// 64->64 8x8 5.9 -> 2.2 (4x2); dX 7.5 -> 3.6 (1x4), 6.7 -> 2.6 (2x4),
// 5.7 -> 2.3 (4x2). F(2x2) was slower on all of them.
ConvSchedule trainingWinograd(ConvSchedule s, int outChannels) {
  s.winograd = 4;
  s.coVecs = std::clamp(outChannels / s.vec, 1, s.vec >= 16 ? 4 : 2);
  s.tileX = s.coVecs >= 4 ? 2 : 4;
  s.rowsPerTask = 2;
  s.coOuter = false;
  s.stagePadded = true;
  return s;
}

namespace {

// Measured 1 thread, batch 1, cold caches, blocked weights (bench_conv --wg
// M --blocked ...; table in docs/tuning.md), ms direct -> Winograd:
// 56x56x64 2.19 -> 0.91, 28x28x128 2.16 -> 0.63, 14x14x256 2.15 -> 1.19,
// 14x14x512 8.77 -> 4.11 (phases), 7x7x512 2.25 -> 1.76 (phases),
// 32x32x16 0.074 -> 0.041.
ConvSchedule winogradDefault(const ConvSpec &spec, ConvSchedule s) {
  const int w = std::min(spec.outW(), spec.outH());
  s.stagePadded = true;
  if (w >= 28) {
    s.winograd = 4, s.coVecs = 2, s.tileX = 8, s.rowsPerTask = 1, s.coOuter = false;
  } else if (w >= 14) {
    // 512 channels (VGG conv5, 16.8 MB of weights): phases, 4.53 -> 4.11 ms.
    s.winograd = 2, s.coVecs = 4, s.tileX = 7, s.rowsPerTask = 2, s.coOuter = spec.cin >= 512;
  } else if (w >= 7 && spec.cin >= 128) {
    // Few tiles, large weights: whole-batch phases read each weight once.
    s.winograd = 2, s.coVecs = 4, s.tileX = 4, s.rowsPerTask = 2, s.coOuter = true;
  } else {
    s.winograd = 0;
  }
  // AVX2 has 16 vector registers, not 32: at most 12 accumulators, as for
  // the direct tiles (ConvTuner's budget).
  if (s.vec < 16) {
    s.coVecs = std::min(s.coVecs, 2);
    s.tileX = std::min(s.tileX, 12 / s.coVecs);
  }
  return s;
}

}  // namespace

ConvSchedule defaultConvSchedule(const ConvSpec &spec, const Halide::Target &t) {
  ConvSchedule s = directConvSchedule(spec, t);
  if (!spec.winogradApplies() || t.has_gpu_feature() || !winogradByDefault()) return s;
  s = winogradDefault(spec, s);
  ConvSpec w = spec;
  w.winograd = s.winograd;
  return s.winograd ? clampConvSchedule(w, s) : s;
}

ConvSchedule builtinConvSchedule(const ConvSpec &spec, const Halide::Target &t, int batch,
                                 bool training) {
  ConvSpec plain = spec;
  plain.wBlock = 0;
  plain.winograd = 0;
  ConvSchedule s = defaultConvSchedule(plain, t);
  // Channel tiles outermost pay off while the pixels of the whole batch are
  // few; beyond, each tile sweeps them all again. Measured in ResNet-50 at
  // batch 8, 1 thread: the 14x14 1x1 layers (1568 pixels) went from 64-67%
  // to 77-78% of peak without it (+add) and 76-79% to 81-83%; the 7x7 ones
  // (392 pixels) are as fast or faster with it.
  if (!s.winograd && batch * plain.outH() * plain.outW() > 392) s.coOuter = false;
  if (!training) return s;
  // The training step's forward: Winograd on HWIO weights where it applies;
  // else a Winograd schedule's register tile, made direct by the clamp, is
  // what it has always run (on the CIFAR ResNets' 32x32 layers, 1x8 beat
  // directConvSchedule's tile: 6.0 vs 6.8 ms).
  if (plain.winogradApplies() && !t.has_gpu_feature() && winogradByDefault()) {
    s = trainingWinograd(s, plain.cout);
    ConvSpec w = plain;
    w.winograd = s.winograd;
    return clampConvSchedule(w, s);
  }
  return clampConvSchedule(plain, s);
}

ConvSchedule chosenConvSchedule(const ConvSpec &spec, const Halide::Target &t, int batch,
                                bool training) {
  if (std::optional<ConvSchedule> tuned = tunedConvSchedule(spec, t, batch, training))
    return *tuned;
  return builtinConvSchedule(spec, t, batch, training);
}

int preferredWeightBlock(const ConvSpec &spec, const Halide::Target &t, int batch) {
  return weightBlockFor(spec, chosenConvSchedule(spec, t, batch));
}

ConvSpec trainingConvSpec(const ConvSpec &spec, const ConvSchedule &s) {
  ConvSpec k = spec;
  k.wBlock = 0;
  k.winograd = s.winograd;
  k.winogradFromHwio = s.winograd != 0;
  if (s.winograd) k.wBlock = weightBlockFor(k, s);
  return k;
}

int preferredWinograd(const ConvSpec &spec, const Halide::Target &t, int batch) {
  if (t.has_gpu_feature() || !spec.winogradApplies()) return 0;
  return chosenConvSchedule(spec, t, batch).winograd;
}

int weightBlockFor(const ConvSpec &spec, ConvSchedule s) {
  ConvSpec plain = spec;
  plain.wBlock = 0;
  plain.winograd = s.winograd;  // Winograd weights are blocked by the same tile
  s = clampConvSchedule(plain, s);
  int tile = s.vec * s.coVecs;
  return tile % 16 == 0 && spec.cout % tile == 0 ? tile : 0;
}

ConvSchedule clampConvSchedule(const ConvSpec &spec, ConvSchedule s) {
  // Widths above 16 could read past unextended weights (weightsZeroExtended).
  s.vec = std::clamp(s.vec, 1, 16);
  int vecsNeeded = (spec.cout + s.vec - 1) / s.vec;
  s.coVecs = std::clamp(s.coVecs, 1, vecsNeeded);
  // With whole vectors of cout, channel tiles must divide cout exactly: the
  // weights are only zero-extended when cout is ragged.
  if (spec.cout % s.vec == 0)
    while (vecsNeeded % s.coVecs != 0) --s.coVecs;
  if (spec.wBlock > 0) {  // the channel tile is the weight block
    while (spec.wBlock % s.vec != 0) s.vec /= 2;
    s.coVecs = spec.wBlock / s.vec;
  }
  // The spec's weight layout decides the algorithm, as wBlock decides the tile.
  s.winograd = spec.winograd;
  if (s.winograd) {
    int m = s.winograd;
    s.tileX = std::clamp(s.tileX, 1, (spec.outW() + m - 1) / m);
    s.rowsPerTask = std::clamp(s.rowsPerTask, 1, (spec.outH() + m - 1) / m);
    return s;
  }
  s.tileX = std::clamp(s.tileX, 1, spec.outW());
  s.rowsPerTask = std::clamp(s.rowsPerTask, 1, spec.outH());
  return s;
}

namespace {

// The register tile: the reduction loops sit outside the unrolled
// (vector, channel-vector, pixel) block, so accumulators stay in registers.
void scheduleTile(ConvAlgo &a, const ConvSchedule &s) {
  const int cTile = s.vec * s.coVecs;
  Var c = a.v.c, x = a.v.x, cvo("cvo"), cvi("cvi");
  // Ragged cout: the tile is always computed whole; the zero-extended
  // weights make the extra lanes harmless and keep the loops constant.
  a.conv.bound_extent(c, cTile).bound_extent(x, s.tileX);
  a.conv.split(c, cvo, cvi, s.vec).vectorize(cvi).unroll(cvo).unroll(x);
  Halide::RVar rci = a.r.x, rkx = a.r.y, rky = a.r.z;
  a.conv.update()
      .split(c, cvo, cvi, s.vec)
      .reorder(cvi, cvo, x, rci, rkx, rky, a.v.y, a.v.n)
      .vectorize(cvi)
      .unroll(cvo)
      .unroll(x);
}

struct OutputLoops {
  Var tile;  // innermost loop over register tiles: the conv is computed here
  Var row;   // one output row (of one image); unused with coOuter
  Var chan;  // the loop over channel tiles
  bool hasRow = true;
};

// Output loops: (channel tile, pixel tile) inside a row; rows x batch are
// fused and split into parallel tasks.
OutputLoops scheduleOutput(ConvAlgo &a, const ConvSchedule &s) {
  const ConvSpec &spec = a.spec;
  const int cTile = s.vec * s.coVecs;
  TailStrategy ct = spec.cout % cTile == 0 ? TailStrategy::Auto : TailStrategy::GuardWithIf;
  Var c = a.v.c, x = a.v.x, co("co"), ci("ci"), cvo("ocvo"), cvi("ocvi"), xo("xo"), xi("xi");
  Var yn("yn"), task("task"), row("row");
  a.out.split(c, co, ci, cTile, ct)
      .split(x, xo, xi, s.tileX)
      .split(ci, cvo, cvi, s.vec, ct)
      .reorder(cvi, cvo, xi, co, xo, a.v.y, a.v.n)
      .vectorize(cvi)
      .unroll(cvo)
      .unroll(xi);
  if (s.coOuter) {
    // (tile, row, batch) inside each channel tile; channel tiles in parallel.
    a.out.reorder(cvi, cvo, xi, xo, a.v.y, a.v.n, co);
    if (s.parallel) a.out.parallel(co);
    return {xo, row, co, false};
  }
  a.out.fuse(a.v.y, a.v.n, yn).split(yn, task, row, s.rowsPerTask);
  if (s.parallel) a.out.parallel(task);
  return {co, row, co, true};
}

}  // namespace

void scheduleConv(ConvAlgo &a, const ConvSchedule &params) {
  const ConvSpec &spec = a.spec;
  const ConvSchedule s = clampConvSchedule(spec, params);
  OutputLoops loops = scheduleOutput(a, s);
  a.conv.compute_at(a.out, loops.tile);
  scheduleTile(a, s);
  // Staging the padded rows removes the boundary selects from the FMA loop.
  if (spec.hasPadding() && s.stagePadded) {
    if (loops.hasRow)
      a.padded.compute_at(a.out, loops.row);
    else  // the whole padded image, once per call
      a.padded.compute_root();
    // Whole vectors only: a rounded-up c extent would read past the input.
    if (spec.cin % s.vec == 0) a.padded.vectorize(a.padded.args()[0], s.vec);
  }
  // Ragged cout: materialise the zero-extended weights once per call, so
  // the inner loop loads dense vectors instead of clamped gathers.
  if (netc::halide::weightsZeroExtended(spec)) a.wts.compute_root();
}

}  // namespace netc::schedules
