#include "WinogradSchedule.h"

namespace netc::schedules {

using Halide::TailStrategy;
using Halide::Var;
using netc::halide::ConvAlgo;
using netc::halide::WinogradAlgo;

int winogradTilesXRounded(const WinogradAlgo &w, const ConvSchedule &s) {
  return (w.tilesX + s.tileX - 1) / s.tileX * s.tileX;
}

namespace {

// Output loops: (vector, ox, oy) unrolled inside one vector of channels of
// one tile; tile rows x batch fused into parallel tasks. Returns the task var.
Var scheduleOutput(WinogradAlgo &w, const ConvSchedule &s, Var cvo) {
  ConvAlgo &a = w.conv;
  Var c = a.v.c, x = a.v.x, y = a.v.y, n = a.v.n;
  Var txo("txo"), oxi("oxi"), tyo("tyo"), oyi("oyi"), cvi("cvi"), task("task"), tyi("tyi");
  Var tn("tn");
  const TailStrategy guard = TailStrategy::GuardWithIf;
  a.out.split(x, txo, oxi, w.m, guard)
      .split(y, tyo, oyi, w.m, guard)
      .split(c, cvo, cvi, s.vec)
      .split(tyo, task, tyi, s.rowsPerTask, guard)
      .reorder(cvi, oxi, oyi, cvo, txo, tyi, task, n)
      .vectorize(cvi)
      .unroll(oxi)
      .unroll(oyi)
      .fuse(task, n, tn);
  if (s.parallel) a.out.parallel(tn);
  return tn;
}

// Vector width of the input side: cin is a multiple of 8, maybe not of 16.
int inputLanes(const WinogradAlgo &w, const ConvSchedule &s) {
  return w.conv.spec.cin % s.vec == 0 ? s.vec : 8;
}

// V, wherever it is computed: one vector of input channels of one tile at a
// time, the alpha x alpha transform unrolled, B^T along y (inRows) first.
void splitInputTransform(WinogradAlgo &w, const ConvSchedule &s) {
  const int vec = inputLanes(w, s);
  Var c = w.conv.v.c, n = w.conv.v.n, co("vco"), ci("vci");
  w.inTile.split(c, co, ci, vec)
      .reorder(ci, w.ax, w.ay, co, w.tx, w.ty, n)
      .vectorize(ci)
      .unroll(w.ax)
      .unroll(w.ay);
  w.inRows.compute_at(w.inTile, co)
      .reorder(c, w.i, w.ay, w.tx, w.ty, n)
      .vectorize(c, vec)
      .unroll(w.i)
      .unroll(w.ay);
}

// V per task, with the padded input rows staged once per task.
void scheduleInputTransform(WinogradAlgo &w, const ConvSchedule &s, Var task) {
  w.inTile.compute_at(w.conv.out, task);
  splitInputTransform(w, s);
  if (s.stagePadded) {
    w.conv.padded.compute_at(w.conv.out, task);
    w.conv.padded.vectorize(w.conv.padded.args()[0], inputLanes(w, s));
  }
}

// The register tile inside `product`'s loop `at`: coVecs x tileX
// accumulators with the whole ci reduction inside, as in the direct conv.
void scheduleGemm(WinogradAlgo &w, const ConvSchedule &s, Var at) {
  Var c = w.conv.v.c, n = w.conv.v.n, gvo("gcvo"), gvi("gcvi");
  w.gemm.compute_at(w.product, at).bound_extent(c, s.vec * s.coVecs).bound_extent(w.tx, s.tileX);
  w.gemm.split(c, gvo, gvi, s.vec).vectorize(gvi).unroll(gvo).unroll(w.tx);
  w.gemm.update()
      .split(c, gvo, gvi, s.vec)
      .reorder(gvi, gvo, w.tx, w.rc, w.ty, n, w.ax, w.ay)
      .vectorize(gvi)
      .unroll(gvo)
      .unroll(w.tx);
}

struct ProductLoops {
  Var ct{"pct"};   // channel tiles, outside the tiles
  Var txo{"ptxo"};  // register tiles of tiles: the GEMM runs here
};

// M, wherever it is computed: per (ax, ay) and channel tile, every register
// tile of tiles, so each weight tile (cTile x cin) is reused over all tiles
// computed together; the register tile itself is scheduleGemm's.
ProductLoops splitProduct(WinogradAlgo &w, const ConvSchedule &s) {
  ProductLoops l;
  Var c = w.conv.v.c, n = w.conv.v.n, cin_("pci"), cvo("pcvo"), cvi("pcvi"), txi("ptxi");
  w.product.bound(w.tx, 0, winogradTilesXRounded(w, s))
      .split(c, l.ct, cin_, s.vec * s.coVecs)
      .split(cin_, cvo, cvi, s.vec)
      .split(w.tx, l.txo, txi, s.tileX)
      .reorder(cvi, cvo, txi, l.txo, w.ty, n, l.ct, w.ax, w.ay)
      .vectorize(cvi)
      .unroll(cvo)
      .unroll(txi);
  scheduleGemm(w, s, l.txo);
  return l;
}

// coOuter: three whole-batch phases instead of per-task stages. Every input
// tile is transformed (parallel over tile rows), then the GEMMs run in
// parallel over (channel tile, ax, ay), each reading its slice of the
// weights exactly once, then the output tiles. For small maps at batch 1,
// whose transformed weights (4 MB at 14x14x256) would otherwise be read
// once per task.
void schedulePhases(WinogradAlgo &w, const ConvSchedule &s) {
  Var yn("yn"), job("job");
  w.inTile.compute_root();
  splitInputTransform(w, s);
  w.inTile.fuse(w.ty, w.conv.v.n, yn);
  w.product.compute_root();
  ProductLoops l = splitProduct(w, s);
  w.product.fuse(l.ct, w.ax, job).fuse(job, w.ay, job);
  if (s.parallel) {
    w.inTile.parallel(yn);
    w.product.parallel(job);
  }
}

// U computed in the kernel (training): once per call, before everything
// else, one vector of output channels of one (ci, channel block) at a time.
void scheduleWeightTransform(WinogradAlgo &w, const ConvSchedule &s) {
  const int lanes = w.block % s.vec == 0 ? s.vec : 8;
  w.u.compute_root()
      .reorder(w.cb, w.ax, w.ay, w.cob, w.ci)
      .vectorize(w.cb, lanes)
      .unroll(w.ax)
      .unroll(w.ay);
  if (s.parallel) w.u.parallel(w.ci);
  Var co = w.uRows.args()[0];
  w.uRows.compute_at(w.u, w.cob)
      .reorder(co, w.kx, w.ay, w.ci)
      .vectorize(co, lanes)
      .unroll(w.kx)
      .unroll(w.ay);
}

}  // namespace

void scheduleWinogradInputTransform(WinogradAlgo &w, const ConvSchedule &s) {
  splitInputTransform(w, s);
}

void scheduleWinograd(WinogradAlgo &w, const ConvSchedule &params) {
  const ConvSchedule s = clampConvSchedule(w.conv.spec, params);
  Var cvo("cvo");
  Var task = scheduleOutput(w, s, cvo);
  // A^T M A per vector of channels of one tile: alpha x m vectors.
  w.outRows.compute_at(w.conv.out, cvo)
      .reorder(w.conv.v.c, w.ax, w.oy, w.tx, w.ty, w.conv.v.n)
      .vectorize(w.conv.v.c, s.vec)
      .unroll(w.ax)
      .unroll(w.oy);
  if (w.uInKernel) scheduleWeightTransform(w, s);
  if (s.coOuter) {
    schedulePhases(w, s);
    return;
  }
  w.product.compute_at(w.conv.out, task);
  splitProduct(w, s);
  scheduleInputTransform(w, s, task);
}

}  // namespace netc::schedules
