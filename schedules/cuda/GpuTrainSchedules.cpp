// GPU schedules of the training ops; see GpuTrainSchedules.h.
#include "GpuTrainSchedules.h"

#include "schedules/cuda/GpuSchedules.h"

#include <algorithm>

namespace netc::schedules::backward {

using Halide::Func;
using Halide::RDom;
using Halide::RVar;
using Halide::TailStrategy;
using Halide::Var;
using netc::halide::NhwcVars;
using netc::halide::backward::ConvDbAlgo;
using netc::halide::backward::ConvDwAlgo;
using netc::halide::backward::ConvDxAlgo;
using netc::halide::backward::TrainAlgo;

namespace {

constexpr int kThreads = 128;       // threads per block of the memory-bound ops
constexpr int kImagesPerPart = 8;   // dW partial sums: images per block

// Threads over the first dimension of every stage of f (pure and updates),
// blocks over its tiles and the other pure dims (at most two more). Used
// for outputs whose reductions are short (fc, sums over the batch).
void threadsOverFirstDim(Func f, int extent) {
  const int t = channelThreads(extent, 32) * (extent >= 64 ? 2 : 1);
  const TailStrategy tail = gpuTailFor(extent, t);
  std::vector<Var> args = f.args();
  Var o("gto"), i("gti");
  auto tile = [&](Halide::Stage s) {
    s.split(args[0], o, i, t, tail);
    std::vector<Halide::VarOrRVar> blocks{o};
    for (size_t d = 1; d < args.size(); ++d) blocks.emplace_back(args[d]);
    if (blocks.size() == 1) s.gpu_blocks(blocks[0]).gpu_threads(i);
    else if (blocks.size() == 2) s.gpu_blocks(blocks[0], blocks[1]).gpu_threads(i);
    else s.gpu_blocks(blocks[0], blocks[1], blocks[2]).gpu_threads(i);
  };
  tile(f);
  for (int u = 0; u < f.num_update_definitions(); ++u) tile(f.update(u));
}

// The wrapper w of a reduction gets the GPU loops (threads over channels,
// blocks over the channel tiles and the other dims); the reduction itself is
// computed per thread, so its accumulator lives in a register.
void reduceInThreads(Func reduction, int channels) {
  Func w = reduction.in();
  std::vector<Var> args = w.args();
  const int tc = channelThreads(channels, 32);
  Var co("gco"), ci("gci");
  w.compute_root().split(args[0], co, ci, tc, gpuTailFor(channels, tc));
  if (args.size() == 1) w.gpu_blocks(co).gpu_threads(ci);
  else if (args.size() == 2) w.gpu_blocks(co, args[1]).gpu_threads(ci);
  else w.gpu_blocks(co, args[1], args[2]).gpu_threads(ci);
  reduction.compute_at(w, ci);
}

}  // namespace

void gpuPixelSum(Func f, const RDom &r, int channels) {
  Var n("gsn"), y("gsy");
  // f(c) = sum over (x, y, n)  ->  f(c) = sum_n byImage(c, n),
  // byImage(c, n) = sum_y byRow(c, y, n), byRow(c, y, n) = sum_x ...
  Func byImage = f.update().rfactor(r.z, n);
  Func byRow = byImage.update().rfactor(r.y, y);
  reduceInThreads(byRow, channels);
  reduceInThreads(byImage, channels);
  reduceInThreads(f, channels);
}

void scheduleNhwcOutGpu(Func f, const NhwcVars &v, int channels, int width) {
  tileNhwcGpu(f, v, channels, width, kThreads);
}

void scheduleFlatOutGpu(Func f) {
  Var i = f.args()[0], io("gio"), ii("gii");
  f.gpu_tile(i, io, ii, 256, TailStrategy::GuardWithIf);
}

void scheduleRootFuncsGpu(TrainAlgo &a, int channels) {
  for (Func f : a.rootFuncs) {
    std::vector<Var> args = f.args();
    if (f.has_update_definition() && a.sumDom.defined() && args.size() == 1) {
      gpuPixelSum(f, a.sumDom, channels);
    } else if (args.size() == 4) {  // NHWC, no update: threads over c
      const int tc = channelThreads(channels, 32);
      Var co("gco"), ci("gci"), yn("gyn");
      f.compute_root()
          .split(args[0], co, ci, tc, gpuTailFor(channels, tc))
          .fuse(args[2], args[3], yn)
          .gpu_blocks(co, args[1], yn)
          .gpu_threads(ci);
    } else {
      Var o("gro"), i("gri");
      f.compute_root().gpu_tile(args[0], o, i, 64, TailStrategy::GuardWithIf);
    }
  }
}

void scheduleConvDxGpu(ConvDxAlgo &a) {
  const netc::halide::ConvSpec &s = a.spec.conv;
  const NhwcVars &v = a.v;
  // As the forward conv (GpuSchedules.h): a register tile of vc input
  // channels x ux pixels per thread; strided convs (phases) one output each.
  const int vc = !a.phases && s.cin % 4 == 0 ? 4 : 1;
  const int tc = channelThreads(s.cin / vc, a.phases || s.inW < 16 ? 32 : 16);
  const int ux = a.phases ? 1 : std::min(4, s.inW);
  const int tx = std::clamp(kThreads / tc, 1, std::max(1, s.inW / ux));
  Var co("gco"), cin("gcin"), ci("gci"), cv("gcv"), xo("gxo"), xt("gxt"), xi("gxi"), xu("gxu"),
      yn("gyn");
  // The pixel tile (shifted inwards) fits the row.
  a.out.split(v.c, co, cin, tc * vc, gpuTailFor(s.cin, tc * vc))
      .split(cin, ci, cv, vc)
      .split(v.x, xo, xt, tx * ux)
      .split(xt, xi, xu, ux)
      .fuse(v.y, v.n, yn)
      .reorder(cv, xu, ci, xi, co, xo, yn)
      .unroll(xu)
      .gpu_blocks(co, xo, yn)
      .gpu_threads(ci, xi);
  if (a.phases) {
    a.sumP.compute_at(a.out, ci);
    return;
  }
  if (vc > 1) a.out.vectorize(cv);
  // The thread's vc x ux accumulators in registers.
  a.sum.compute_at(a.out, ci).bound_extent(v.x, ux).unroll(v.x);
  a.sum.update().reorder(v.c, v.x, a.r.x, a.r.y, a.r.z, v.y, v.n).unroll(v.x);
  if (vc > 1) {
    a.sum.bound_extent(v.c, vc).vectorize(v.c);
    a.sum.update().vectorize(v.c);
  }
}

void scheduleConvDwGpu(ConvDwAlgo &a) {
  const netc::halide::ConvSpec &s = a.spec;
  RVar zo("gzo"), zi("gzi");
  Var u("gu");
  a.out.update().split(a.r.z, zo, zi, kImagesPerPart);
  Func part = a.out.update().rfactor(zo, u);  // (co, ci, kx, ky, u): sums over x, y, zi
  Func w = part.in();
  std::vector<Var> pa = w.args();
  const int cv = s.cout % 4 == 0 ? 4 : 1;
  const int tc = channelThreads(s.cout / cv, 32);
  const int cu = s.cin % 4 == 0 ? 4 : s.cin % 2 == 0 ? 2 : 1;
  Var coo("gcoo"), con("gcon"), coi("gcoi"), cov("gcov"), cio("gcio"), cii("gcii"), k("gk"),
      kc("gkc");
  // A thread: cv adjacent co x cu adjacent ci of one tap, one block of
  // images; per pixel one cv-wide dY load (coalesced over the threads) and
  // cu X loads feed cv * cu FMAs, accumulated in registers.
  w.compute_root()
      .split(pa[0], coo, con, tc * cv, gpuTailFor(s.cout, tc * cv))
      .split(con, coi, cov, cv)
      .split(pa[1], cio, cii, cu)
      .reorder(cov, cii, coi, coo, cio, pa[2], pa[3], pa[4])
      .unroll(cii)
      .fuse(pa[2], pa[3], k)
      .fuse(cio, k, kc)
      .gpu_blocks(coo, kc, pa[4])
      .gpu_threads(coi);
  if (cv > 1) w.vectorize(cov);
  std::vector<Var> pv = part.args();
  part.compute_at(w, coi).unroll(pv[1]);
  part.update().reorder(pv[0], pv[1], a.r.x, a.r.y, zi).unroll(pv[1]);
  if (cv > 1) {
    part.bound_extent(pv[0], cv).vectorize(pv[0]);
    part.update().vectorize(pv[0]);
  }
  // The blocks of images summed: one thread per weight.
  std::vector<Var> oa = a.out.args();
  Var oco("goco"), oci("goci"), ok("gok"), okc("gokc");
  auto tile = [&](Halide::Stage st) {
    st.split(oa[0], oco, oci, tc, gpuTailFor(s.cout, tc))
        .fuse(oa[2], oa[3], ok)
        .fuse(oa[1], ok, okc)
        .gpu_blocks(oco, okc)
        .gpu_threads(oci);
  };
  tile(a.out);
  tile(a.out.update());
}

void scheduleConvDbGpu(ConvDbAlgo &a, int channels) {
  // The output's own sum runs over images only after two rfactors.
  Var n("gsn"), y("gsy");
  Func byImage = a.out.update().rfactor(a.r.z, n);
  Func byRow = byImage.update().rfactor(a.r.y, y);
  reduceInThreads(byRow, channels);
  reduceInThreads(byImage, channels);
  threadsOverFirstDim(a.out, channels);
}

void scheduleBnTrainGpu(TrainAlgo &a, const netc::halide::Shape3 &shape) {
  scheduleNhwcOutGpu(a.outs[0], a.v, shape.c, shape.w);
  threadsOverFirstDim(a.outs[1], shape.c);  // (c, k): stats or parameter gradients
  scheduleRootFuncsGpu(a, shape.c);
}

void scheduleFcBackwardGpu(TrainAlgo &a, int in, int out) {
  threadsOverFirstDim(a.outs[0], in);  // dx (i, n): sums over out features
  threadsOverFirstDim(a.outs[1], in);  // dW (i, o): sums over the batch
  if (a.outs.size() > 2) threadsOverFirstDim(a.outs[2], out);  // db (o)
}

void scheduleXentGpu(TrainAlgo &a, int classes) {
  for (Func f : a.rootFuncs) {  // per-row log-partition: a thread per image
    Var o("gro"), i("gri");
    f.compute_root().gpu_tile(f.args()[0], o, i, 32, TailStrategy::GuardWithIf);
  }
  a.outs[0].gpu_single_thread();  // the mean loss: one sum over the batch
  threadsOverFirstDim(a.outs[1], classes);
}

}  // namespace netc::schedules::backward
