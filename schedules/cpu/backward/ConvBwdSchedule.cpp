#include "ConvBwdSchedule.h"

#include "schedules/cpu/WinogradSchedule.h"
#include "schedules/tuning/TuningDb.h"  // currentThreads

#include <algorithm>
#include <sstream>

namespace netc::schedules::backward {

using Halide::RVar;
using Halide::TailStrategy;
using Halide::Var;
using netc::halide::ConvSpec;
using netc::halide::backward::ConvDbAlgo;
using netc::halide::backward::ConvDwAlgo;
using netc::halide::backward::ConvDxAlgo;
using netc::halide::backward::ConvDxSpec;
namespace nb = netc::halide::backward;

namespace {

int ceilDiv(int a, int b) { return (a + b - 1) / b; }

// Largest divisor of n that is <= cap (at least 1).
int divisorAtMost(int n, int cap) {
  for (int d = std::min(n, std::max(cap, 1)); d > 1; --d)
    if (n % d == 0) return d;
  return 1;
}

// Vectors of a channel tile: at most what the channels need, and dividing
// them when the channels are whole vectors (no guarded tail tile).
int clampVecs(int channels, int vec, int vecs) {
  int needed = ceilDiv(channels, vec);
  vecs = std::clamp(vecs, 1, needed);
  if (channels % vec == 0)
    while (needed % vecs != 0) --vecs;
  return vecs;
}

int lanes(const Halide::Target &t) { return std::min(16, t.natural_vector_size<float>()); }

}  // namespace

std::string ConvDxSchedule::key() const {
  std::ostringstream k;
  k << "v" << vec << " cv" << ciVecs << " tx" << tileX << " rows" << rowsPerTask
    << (stageDy ? " stage" : "") << (parallel ? " par" : "");
  if (winograd) k << " wg" << winograd;
  return k.str();
}

std::string ConvDwSchedule::key() const {
  std::ostringstream k;
  k << "v" << vec << " cv" << coVecs << " ct" << ciTile << " rb" << rowsPerBlock << " nb"
    << imagesPerBlock << (tapsInTile ? " taps" : "") << (stageX ? " stage" : "") << " t" << tasks;
  if (winograd) k << " wg" << winograd;
  return k.str();
}

ConvDxSchedule directConvDxSchedule(const ConvDxSpec &spec, const Halide::Target &t) {
  ConvDxSchedule s;
  s.vec = lanes(t);
  // Same register budget as the forward conv: 16 accumulators. (Measured,
  // 1 thread, 16->16 28x28 at batch 128: 1x4, 1x7, 1x14 and 1x28 tiles of
  // ci vectors x pixels all run at 94..102 GFLOP/s, within the noise.)
  s.ciVecs = s.vec >= 16 ? 4 : 2;
  return clampConvDxSchedule(spec, s);
}

ConvDxSchedule defaultConvDxSchedule(const ConvDxSpec &spec, const Halide::Target &t) {
  ConvDxSchedule s = directConvDxSchedule(spec, t);
  // Stride-1 3x3: Winograd, 2-3x faster (ConvSchedule.cpp, trainingWinograd).
  if (nb::winogradDxApplies(spec) && !t.has_gpu_feature() && winogradByDefault()) {
    ConvSchedule w = trainingWinograd(winogradDxConvSchedule(s), spec.conv.cin);
    s.winograd = w.winograd, s.ciVecs = w.coVecs, s.tileX = w.tileX;
    s.rowsPerTask = w.rowsPerTask, s.stageDy = w.stagePadded;
  }
  return clampConvDxSchedule(spec, s);
}

ConvDxSchedule clampConvDxSchedule(const ConvDxSpec &spec, ConvDxSchedule s) {
  const ConvSpec &c = spec.conv;
  s.vec = std::clamp(s.vec, 1, 16);
  s.ciVecs = clampVecs(c.cin, s.vec, s.ciVecs);
  if (s.winograd && ((s.winograd != 2 && s.winograd != 4) || !nb::winogradDxApplies(spec)))
    s.winograd = 0;
  const int m = std::max(s.winograd, 1);  // tiles of m x m pixels (direct: 1)
  s.tileX = std::clamp(s.tileX, 1, ceilDiv(c.inW, m));
  s.rowsPerTask = std::clamp(s.rowsPerTask, 1, ceilDiv(c.inH, m));
  return s;
}

ConvSchedule winogradDxConvSchedule(const ConvDxSchedule &s) {
  ConvSchedule w;
  w.vec = s.vec;
  w.coVecs = s.ciVecs;
  w.tileX = s.tileX;
  w.rowsPerTask = s.rowsPerTask;
  w.stagePadded = s.stageDy;
  w.parallel = s.parallel;
  w.winograd = s.winograd;
  return w;
}

int winogradDxBlock(const ConvDxSpec &spec, const ConvDxSchedule &s) {
  int tile = s.vec * s.ciVecs;
  return tile % 16 == 0 && spec.conv.cin % tile == 0 ? tile : 0;
}

void scheduleWinogradDx(nb::WinogradDxAlgo &a, const ConvDxSchedule &s) {
  scheduleWinograd(a.wg, winogradDxConvSchedule(s));
}

namespace {

// Stride-1 3x3: Winograd F(3x3, 4x4). Measured with bwd_bench (1 thread,
// batch 128, warm), direct -> Winograd, ms: 16->16 32x32 7.4 -> 3.9 (1 x 8
// tile), 32->32 16x16 5.7 -> 2.5 (1 x 16), 64->64 8x8 5.5 -> 2.0 (2 x 8,
// 4 images per block); F(2x2) 5.6, 3.9, 3.3. Tasks own ci ranges and each
// transforms the block's dY, so one per thread.
ConvDwSchedule winogradDw(const ConvSpec &spec, ConvDwSchedule s) {
  s.winograd = 4;
  s.coVecs = spec.cout > 32 ? 2 : 1;
  s.ciTile = s.coVecs == 1 && spec.outW() <= 16 ? 16 : 8;
  if (s.vec < 16) s.ciTile = std::min(s.ciTile, 12 / s.coVecs);  // 16 ymm registers
  int tiles = ceilDiv(spec.outW(), 4) * ceilDiv(spec.outH(), 4);
  s.imagesPerBlock = std::max(1, 16 / tiles);
  s.stageX = true;
  s.tasks = std::max(1, currentThreads());
  return s;
}

}  // namespace

ConvDwSchedule directConvDwSchedule(const ConvSpec &spec, const Halide::Target &t) {
  ConvDwSchedule s;
  s.vec = lanes(t);
  s.coVecs = s.vec >= 16 ? 4 : 2;
  // ~16 accumulators in all: fewer co vectors leave room for more ci.
  int cv = clampVecs(spec.cout, s.vec, s.coVecs);
  s.ciTile = std::max(1, 16 / cv);
  // (16->16 keeps one 1 x 16 tile, so one task: 1 x 8 with two tasks ran
  // at 75..85 GFLOP/s on one thread against 96..98, 28x28 and 32x32.)
  // A block of rows of dY and X should stay in L2 (~256 KiB of it).
  int rowBytes = spec.outW() * (spec.cout + spec.cin * spec.sH() * spec.sW()) * 4;
  s.rowsPerBlock = std::max(1, (256 << 10) / std::max(rowBytes, 1));
  // Few input channels (a network's first conv: 1 or 3): a tile of one tap
  // has cv x cin accumulators, latency bound; all taps fill the registers.
  int ct = divisorAtMost(spec.cin, s.ciTile);
  int taps = spec.kw * spec.kh;
  int maxAcc = s.vec >= 16 ? 28 : 12;
  if (cv * ct < 8 && cv * ct * taps <= maxAcc) s.tapsInTile = true;
  // Parallel tasks own ranges of input channels, so a tile holding all of
  // them (16->16: 1 x 16) leaves one task, and a second thread idle. With
  // more than one thread, halve the tile: 1 x 8 is slower per thread (above)
  // but there are two. Measured, 2 threads, 16->16 32x32 at batch 128:
  // 6.5 -> 3.3 ms (180 GFLOP/s); the CIFAR ResNet-20 step on 2 threads
  // went from 494 to 545-588 img/s.
  if (currentThreads() > 1 && !s.tapsInTile && spec.cin / ct < 2 && spec.cin >= 2)
    s.ciTile = divisorAtMost(spec.cin, spec.cin / 2);
  // Small maps (8x8, 7x7): a block of one image is a short sweep; take
  // several images (~256 pixels) per block.
  int pixels = spec.outW() * spec.outH();
  if (s.rowsPerBlock >= spec.outH()) {
    int imgBytes = rowBytes * spec.outH();
    int fitL2 = std::max(1, (256 << 10) / imgBytes);
    s.imagesPerBlock = std::clamp(256 / std::max(pixels, 1), 1, fitL2);
  }
  return clampConvDwSchedule(spec, s);
}

ConvDwSchedule defaultConvDwSchedule(const ConvSpec &spec, const Halide::Target &t) {
  ConvDwSchedule s = directConvDwSchedule(spec, t);
  if (spec.winogradApplies() && !t.has_gpu_feature() && winogradByDefault())
    s = winogradDw(spec, s);
  return clampConvDwSchedule(spec, s);
}

ConvDwSchedule clampConvDwSchedule(const ConvSpec &spec, ConvDwSchedule s) {
  s.vec = std::clamp(s.vec, 1, 16);
  s.coVecs = clampVecs(spec.cout, s.vec, s.coVecs);
  s.ciTile = divisorAtMost(spec.cin, s.ciTile);
  s.rowsPerBlock = divisorAtMost(spec.outH(), s.rowsPerBlock);
  if (s.rowsPerBlock != spec.outH()) s.imagesPerBlock = 1;
  s.imagesPerBlock = std::clamp(s.imagesPerBlock, 1, 64);
  s.tasks = std::clamp(s.tasks, 1, spec.cin / s.ciTile);
  if (s.winograd && ((s.winograd != 2 && s.winograd != 4) || !spec.winogradApplies()))
    s.winograd = 0;
  if (s.winograd) s.rowsPerBlock = spec.outH(), s.tapsInTile = false;
  return s;
}

void scheduleWinogradDw(nb::WinogradDwAlgo &a, const ConvDwSchedule &params) {
  const ConvDwSchedule s = clampConvDwSchedule(a.spec, params);
  const int vec = s.vec, cTile = vec * s.coVecs;
  Var co = a.co, ci = a.ci, ax = a.x.ax, ay = a.x.ay;
  // dW = G^T M G: small, one vector of co at a time, the 3 x 3 unrolled.
  a.out.reorder(co, a.kx, a.ky, ci).vectorize(co, vec).unroll(a.kx).unroll(a.ky);
  a.outRows.compute_at(a.out, ci).reorder(co, a.kx, ay).vectorize(co, vec).unroll(a.kx).unroll(ay);
  // M: tasks own ci ranges; per block of images, the transforms, then per
  // (ay, ax) every register tile of co vectors x ci.
  a.sum.compute_root().vectorize(co, vec);
  Var cot("cot"), coi("coi"), cvo("cvo"), cvi("cvi"), cio("cio"), cii("cii"), cip("cip"), cit("cit");
  const int ciTiles = a.spec.cin / s.ciTile;
  a.sum.update()
      .split(co, cot, coi, cTile)
      .split(coi, cvo, cvi, vec)
      .split(ci, cio, cii, s.ciTile)
      .split(cio, cip, cit, ceilDiv(ciTiles, s.tasks), TailStrategy::GuardWithIf)
      .reorder(cvi, cvo, cii, cot, cit, ax, ay, a.rb, cip)
      .vectorize(cvi)
      .unroll(cvo)
      .unroll(cii);
  if (s.tasks > 1) a.sum.update().parallel(cip);
  // The register tile: the block's tiles and images summed outside it.
  a.block.compute_at(a.sum, cot).bound_extent(co, cTile).bound_extent(ci, s.ciTile);
  a.block.split(co, cvo, cvi, vec).vectorize(cvi).unroll(cvo).unroll(ci);
  a.block.update()
      .split(co, cvo, cvi, vec)
      .reorder(cvi, cvo, ci, a.rt.x, a.rt.y, a.rt.z, ax, ay, a.b)
      .vectorize(cvi)
      .unroll(cvo)
      .unroll(ci);
  // Per block: X and dY transformed, one vector of channels at a time. A
  // task's X channels are whole ci tiles, so vectors must divide the tile
  // (a wider one would shift outside the task's, and the input's, range).
  ConvSchedule ws;
  ws.vec = vec;
  while (s.tasks > 1 && ws.vec > 1 && s.ciTile % ws.vec != 0) ws.vec /= 2;
  a.x.inTile.compute_at(a.sum, a.rb);
  scheduleWinogradInputTransform(a.x, ws);
  if (s.stageX && a.spec.hasPadding()) {
    a.x.conv.padded.compute_at(a.sum, a.rb);
    if (ws.vec > 1) a.x.conv.padded.vectorize(a.x.conv.padded.args()[0], ws.vec);
  }
  Var c = a.x.conv.v.c, n = a.x.conv.v.n, tx = a.x.tx, ty = a.x.ty, vco("dvco"), vci("dvci");
  a.dyTile.compute_at(a.sum, a.rb)
      .split(c, vco, vci, vec)
      .reorder(vci, ax, ay, vco, tx, ty, n)
      .vectorize(vci)
      .unroll(ax)
      .unroll(ay);
  a.dyRows.compute_at(a.dyTile, vco)
      .reorder(c, a.x.i, ay, tx, ty, n)
      .vectorize(c, vec)
      .unroll(a.x.i)
      .unroll(ay);
}

namespace {

// The reduction runs outside an unrolled (vector, vector-of-channels,
// pixel) block, so the accumulators stay in registers.
void scheduleDxTile(ConvDxAlgo &a, const ConvDxSchedule &s) {
  const int cTile = s.vec * s.ciVecs;
  Var c = a.v.c, x = a.v.x, cvo("cvo"), cvi("cvi");
  // Lanes past cin read zero weights (wT), so tiles are always whole.
  a.sum.bound_extent(c, cTile).bound_extent(x, s.tileX);
  a.sum.split(c, cvo, cvi, s.vec).vectorize(cvi).unroll(cvo).unroll(x);
  a.sum.update()
      .split(c, cvo, cvi, s.vec)
      .reorder(cvi, cvo, x, a.r.x, a.r.y, a.r.z, a.v.y, a.v.n)
      .vectorize(cvi)
      .unroll(cvo)
      .unroll(x);
}

// Stride > 1: a row of dX reads one row of sumP per phase (staged per row
// task); that row is tiled like the stride-1 sum (vectors of ci x q).
void scheduleDxPhases(ConvDxAlgo &a, const ConvDxSchedule &s, Var row) {
  const int cTile = s.vec * s.ciVecs;
  Halide::Func rowP = a.sumP.in();
  Var c = a.v.c, q = a.q, rco("rco"), rci("rci"), cvo("pcvo"), cvi("pcvi"), qo("qo"), qi("qi");
  // Rounded up: lanes past cin read zero weights, q past the row zero dY.
  rowP.compute_at(a.out, row)
      .split(c, rco, rci, cTile, TailStrategy::RoundUp)
      .split(q, qo, qi, s.tileX, TailStrategy::RoundUp)
      .split(rci, cvo, cvi, s.vec)
      .reorder(cvi, cvo, qi, rco, qo, a.ph, a.v.y, a.v.n)
      .vectorize(cvi)
      .unroll(cvo)
      .unroll(qi);
  a.sumP.compute_at(rowP, rco).bound_extent(c, cTile).bound_extent(q, s.tileX);
  a.sumP.split(c, cvo, cvi, s.vec).vectorize(cvi).unroll(cvo).unroll(q);
  a.sumP.update()
      .split(c, cvo, cvi, s.vec)
      .reorder(cvi, cvo, q, a.r.x, a.r.y, a.r.z, a.ph, a.v.y, a.v.n)
      .vectorize(cvi)
      .unroll(cvo)
      .unroll(q);
}

}  // namespace

void scheduleConvDx(ConvDxAlgo &a, const ConvDxSchedule &params) {
  const ConvSpec &spec = a.spec.conv;
  const ConvDxSchedule s = clampConvDxSchedule(a.spec, params);
  const int cTile = s.vec * s.ciVecs;
  TailStrategy ct = spec.cin % cTile == 0 ? TailStrategy::Auto : TailStrategy::GuardWithIf;
  Var c = a.v.c, x = a.v.x, co("dco"), ci("dci"), cvo("ocvo"), cvi("ocvi"), xo("xo"), xi("xi");
  Var yn("yn"), task("task"), row("row");
  a.out.split(c, co, ci, cTile, ct)
      .split(x, xo, xi, s.tileX)
      .split(ci, cvo, cvi, s.vec, ct)
      .reorder(cvi, cvo, xi, co, xo, a.v.y, a.v.n)
      .vectorize(cvi)
      .unroll(cvo)
      .unroll(xi);
  a.out.fuse(a.v.y, a.v.n, yn).split(yn, task, row, s.rowsPerTask);
  if (s.parallel) a.out.parallel(task);
  if (a.phases) {
    scheduleDxPhases(a, s, row);
  } else {
    a.sum.compute_at(a.out, co);
    scheduleDxTile(a, s);
  }
  // The transposed weights are small: once per call, dense vectors of ci.
  a.wT.compute_root().vectorize(a.wT.args()[0], s.vec);
  if (s.stageDy) {
    a.dyExt.compute_at(a.out, row);
    // Whole vectors only: a rounded-up c extent would read past dY.
    if (spec.cout % s.vec == 0) a.dyExt.vectorize(a.dyExt.args()[0], s.vec);
  }
}

void scheduleConvDw(ConvDwAlgo &a, const ConvDwSchedule &params) {
  const ConvSpec &spec = a.spec;
  const ConvDwSchedule s = clampConvDwSchedule(spec, params);
  const int cTile = s.vec * s.coVecs;
  TailStrategy ct = spec.cout % cTile == 0 ? TailStrategy::Auto : TailStrategy::GuardWithIf;
  Halide::Func f = a.out;
  f.vectorize(a.co, s.vec, ct);

  // Blocks of rows (and images) become pure dims of a per-block partial.
  RVar rx = a.r.x, ry = a.r.y, rn = a.r.z, ryo("ryo"), ryi("ryi"), rno("rno"), rni("rni");
  Var u("u"), nb("nb");
  f.update().split(ry, ryo, ryi, s.rowsPerBlock);
  Halide::Func part;
  if (s.imagesPerBlock > 1) {
    // The batch is a runtime extent: the last block is guarded.
    f.update().split(rn, rno, rni, s.imagesPerBlock, TailStrategy::GuardWithIf);
    part = f.update().rfactor({{ryo, u}, {rno, nb}});
  } else {
    part = f.update().rfactor({{ryo, u}, {rn, nb}});
  }
  RVar nOuter = s.imagesPerBlock > 1 ? rno : rn;

  // dW update: tasks own ci ranges; inside, blocks outermost so each block
  // is swept by every tile while it is hot in cache.
  Var coo("coo"), coi("coi"), cvo("cvo"), cvi("cvi"), cio("cio"), cii("cii"), cip("cip"),
      cit("cit");
  int ciTiles = spec.cin / s.ciTile;
  f.update()
      .split(a.co, coo, coi, cTile, ct)
      .split(coi, cvo, cvi, s.vec, ct)
      .split(a.ci, cio, cii, s.ciTile)
      .split(cio, cip, cit, ceilDiv(ciTiles, s.tasks), TailStrategy::GuardWithIf);
  if (s.tapsInTile)
    f.update().reorder(cvi, cvo, cii, a.kx, a.ky, coo, cit, ryo, nOuter, cip);
  else
    f.update().reorder(cvi, cvo, cii, coo, cit, a.kx, a.ky, ryo, nOuter, cip);
  f.update().vectorize(cvi).unroll(cvo).unroll(cii);
  if (s.tapsInTile) f.update().unroll(a.kx).unroll(a.ky);
  if (s.tasks > 1) f.update().parallel(cip);

  // The padded rows of X a block reads, once per block (all ci of the task).
  if (s.stageX && spec.hasPadding()) {
    a.padded.compute_at(f, ryo);
    // Whole vectors only: a rounded-up ci range would read outside X.
    int taskCi = s.ciTile * ceilDiv(ciTiles, s.tasks);
    int sv = s.vec;
    while (sv > 1 && (spec.cin % sv != 0 || taskCi % sv != 0)) sv /= 2;
    if (sv >= 4) a.padded.vectorize(a.padded.args()[0], sv);
  }

  // The partial of one tile over one block: a register block.
  part.compute_at(f, coo).bound_extent(a.co, cTile).bound_extent(a.ci, s.ciTile);
  part.split(a.co, cvo, cvi, s.vec).vectorize(cvi).unroll(cvo).unroll(a.ci);
  part.update().split(a.co, cvo, cvi, s.vec);
  if (s.tapsInTile) {
    part.bound_extent(a.kx, spec.kw).bound_extent(a.ky, spec.kh).unroll(a.kx).unroll(a.ky);
    if (s.imagesPerBlock > 1)
      part.update().reorder(cvi, cvo, a.ci, a.kx, a.ky, rx, ryi, rni, u, nb);
    else
      part.update().reorder(cvi, cvo, a.ci, a.kx, a.ky, rx, ryi, u, nb);
    part.update().unroll(a.kx).unroll(a.ky);
  } else if (s.imagesPerBlock > 1) {
    part.update().reorder(cvi, cvo, a.ci, rx, ryi, rni, a.kx, a.ky, u, nb);
  } else {
    part.update().reorder(cvi, cvo, a.ci, rx, ryi, a.kx, a.ky, u, nb);
  }
  part.update().vectorize(cvi).unroll(cvo).unroll(a.ci);
}

void scheduleConvDb(ConvDbAlgo &a, int cout, int vec) {
  TailStrategy t = cout % vec == 0 ? TailStrategy::Auto : TailStrategy::GuardWithIf;
  a.out.vectorize(a.co, vec, t);
  a.out.update().reorder(a.co, a.r.x, a.r.y, a.r.z).vectorize(a.co, vec, t);
}

}  // namespace netc::schedules::backward
