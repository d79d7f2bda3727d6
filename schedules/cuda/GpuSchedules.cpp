// GPU (CUDA) schedules of the forward ops; see GpuSchedules.h.
#include "GpuSchedules.h"

#include <algorithm>
#include <sstream>

namespace netc::schedules {

using Halide::Func;
using Halide::TailStrategy;
using Halide::Var;
using netc::halide::ConvAlgo;
using netc::halide::ConvSpec;

int pow2Ceil(int n) {
  int p = 1;
  while (p < n) p *= 2;
  return p;
}

int pow2Floor(int n) {
  int p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

TailStrategy gpuTailFor(int extent, int tile) {
  return extent % tile == 0 ? TailStrategy::Auto : TailStrategy::GuardWithIf;
}

int channelThreads(int channels, int want) {
  return std::min(std::clamp(pow2Floor(std::max(want, 1)), 1, 32), pow2Ceil(channels));
}

void tileNhwcGpu(Func out, const netc::halide::NhwcVars &v, int channels, int width, int threads) {
  const int tc = channelThreads(channels, threads);
  const int tx = std::max(1, std::min(threads / tc, width));
  Var co("gco"), ci("gci"), xo("gxo"), xi("gxi"), yn("gyn");
  out.split(v.c, co, ci, tc, gpuTailFor(channels, tc))
      .split(v.x, xo, xi, tx, gpuTailFor(width, tx))
      .fuse(v.y, v.n, yn)
      .reorder(ci, xi, co, xo, yn)
      .gpu_blocks(co, xo, yn)
      .gpu_threads(ci, xi);
}


std::string GpuConvSchedule::key() const {
  std::ostringstream k;
  k << "gpu-v2 tc" << threadsC << " tx" << threadsX << " ux" << unrollX << " vc" << vecC;
  return k.str();
}

std::string GpuSimpleSchedule::key() const { return "gpu-v1 t" + std::to_string(threads); }

GpuConvSchedule clampGpuConvSchedule(const ConvSpec &spec, GpuConvSchedule s) {
  s.vecC = s.vecC >= 4 && spec.cout % 4 == 0 ? 4 : 1;
  const int groups = spec.cout / s.vecC + (spec.cout % s.vecC != 0);
  s.threadsC = channelThreads(groups, s.threadsC);
  // Channels past cout are computed (and discarded by the guard) only where
  // the weights are zero-extended; otherwise the tile divides cout.
  if (!netc::halide::weightsZeroExtended(spec))
    while (spec.cout % (s.threadsC * s.vecC) != 0) s.threadsC /= 2;
  // The pixel tile is shifted inwards at the row end, so it must fit the row.
  s.unrollX = std::clamp(s.unrollX, 1, std::min(4, spec.outW()));
  s.threadsX = std::clamp(s.threadsX, 1, std::max(1, spec.outW() / s.unrollX));
  return s;
}

GpuConvSchedule defaultGpuConvSchedule(const ConvSpec &spec) {
  GpuConvSchedule s;
  s.threadsC = 16;
  s.unrollX = 4;
  s.vecC = 4;
  s = clampGpuConvSchedule(spec, s);
  // About 128 threads per block; narrow rows get more channel threads.
  if (spec.outW() < 16) s.threadsC = 32, s = clampGpuConvSchedule(spec, s);
  s.threadsX = std::clamp(128 / s.threadsC, 1, 16);
  return clampGpuConvSchedule(spec, s);
}

void scheduleConvGpu(ConvAlgo &a, const GpuConvSchedule &params) {
  const ConvSpec &spec = a.spec;
  const GpuConvSchedule s = clampGpuConvSchedule(spec, params);
  Var c = a.v.c, x = a.v.x, y = a.v.y, n = a.v.n;
  Var co("gco"), cin("gcin"), ci("gci"), cv("gcv"), xo("gxo"), xt("gxt"), xi("gxi"), xu("gxu"),
      yn("gyn");
  const int tileC = s.threadsC * s.vecC;
  // Blocks: (channel tile, pixel tile, row x image); threads: (channel
  // group, pixel group); each thread stores vecC x unrollX outputs. The
  // pixel tile uses the default ShiftInwards tail (it never exceeds outW).
  a.out.split(c, co, cin, tileC, gpuTailFor(spec.cout, tileC))
      .split(cin, ci, cv, s.vecC)
      .split(x, xo, xt, s.threadsX * s.unrollX)
      .split(xt, xi, xu, s.unrollX)
      .fuse(y, n, yn)
      .reorder(cv, xu, ci, xi, co, xo, yn)
      .unroll(xu)
      .gpu_blocks(co, xo, yn)
      .gpu_threads(ci, xi);
  if (s.vecC > 1) a.out.vectorize(cv);
  // The register tile: the whole reduction runs outside it.
  a.conv.compute_at(a.out, ci).bound_extent(x, s.unrollX).unroll(x);
  a.conv.update().reorder(c, x, a.r.x, a.r.y, a.r.z, y, n).unroll(x);
  if (s.vecC > 1) {
    a.conv.bound_extent(c, s.vecC).vectorize(c);
    a.conv.update().vectorize(c);
  }
  // The padded input and the (zero-extended or blocked) weights stay
  // inlined: loads with boundary selects, no host-side stages.
}

void scheduleNhwcGpu(netc::halide::OpAlgo &a, int channels, int width,
                     const GpuSimpleSchedule &s) {
  tileNhwcGpu(a.out, a.v, channels, width, s.threads);
}

void scheduleFcGpu(netc::halide::FcAlgo &a, const GpuSimpleSchedule &s) {
  const int to = std::min(std::max(s.threads, 1), pow2Ceil(a.spec.out));
  Var oo("goo"), oi("goi");
  // Threads over output features (coalesced stores), blocks over feature
  // tiles and images; each thread runs its whole dot product.
  a.out.split(a.o, oo, oi, to, gpuTailFor(a.spec.out, to))
      .reorder(oi, oo, a.n)
      .gpu_blocks(oo, a.n)
      .gpu_threads(oi);
  a.dot.compute_at(a.out, oi);
}

void scheduleSoftmaxGpu(netc::halide::SoftmaxAlgo &a, int features,
                        const GpuSimpleSchedule &s) {
  const int tn = 32;
  Var nb("gnb"), nt("gnt"), fo("gfo"), fi("gfi");
  // Per image: the max, then the sum of exponentials, one thread each (the
  // batch extent is only known at run time, hence the guards).
  a.maxv.compute_root().gpu_tile(a.n, nb, nt, tn, TailStrategy::GuardWithIf);
  a.sum.compute_root().gpu_tile(a.n, nb, nt, tn, TailStrategy::GuardWithIf);
  a.sum.update().gpu_tile(a.n, nb, nt, tn, TailStrategy::GuardWithIf);
  // exp is recomputed by the sum and by the output: cheaper than a stage.
  a.expv.compute_inline();
  const int tf = std::min(std::max(s.threads, 1), pow2Ceil(features));
  a.out.split(a.f, fo, fi, tf, gpuTailFor(features, tf))
      .reorder(fi, fo, a.n)
      .gpu_blocks(fo, a.n)
      .gpu_threads(fi);
}

void scheduleLrnGpu(netc::halide::LrnAlgo &a, const netc::halide::Shape3 &shape,
                    const GpuSimpleSchedule &s) {
  // Squares are recomputed per window tap (size is small) rather than staged.
  a.sq.compute_inline();
  tileNhwcGpu(a.out, a.v, shape.c, shape.w, s.threads);
}

}  // namespace netc::schedules
