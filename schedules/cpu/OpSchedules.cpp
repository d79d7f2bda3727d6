#include "OpSchedules.h"

#include "ConvSchedule.h"

namespace netc::schedules {

using Halide::Func;
using Halide::RVar;
using Halide::TailStrategy;
using Halide::Var;

std::string SimpleSchedule::key() const {
  return "v" + std::to_string(vec) + (parallel ? " par" : "");
}

SimpleSchedule defaultSimpleSchedule(const Halide::Target &t) {
  SimpleSchedule s;
  s.vec = floatLanes(t);
  return s;
}

namespace {
// Vectorise channels only when there is at least one whole vector: the
// default ShiftInwards tail then covers ragged channel counts.
void vectorizeChannels(Func f, Var c, int channels, int vec) {
  if (channels >= vec) f.vectorize(c, vec);
}

// Largest vector width <= vec dividing n, or 0.
int dividingWidth(int n, int vec) {
  for (int w = vec; w >= 4; w /= 2)
    if (n % w == 0) return w;
  return 0;
}
}  // namespace

void scheduleNhwc(netc::halide::OpAlgo &a, int channels, const SimpleSchedule &s) {
  Var yn("yn");
  vectorizeChannels(a.out, a.v.c, channels, s.vec);
  a.out.fuse(a.v.y, a.v.n, yn);
  if (s.parallel) a.out.parallel(yn);
}

void scheduleFc(netc::halide::FcAlgo &a, const SimpleSchedule &s) {
  Var ot("ot"), oi("oi"), lane("lane");
  // Blocks of output features are the parallel tasks (batch is often 1).
  a.out.split(a.o, ot, oi, 16, TailStrategy::GuardWithIf).reorder(oi, a.n, ot);
  if (s.parallel) a.out.parallel(ot);
  a.dot.compute_at(a.out, oi);
  int w = dividingWidth(a.spec.in, s.vec);
  if (w == 0) return;  // scalar dot products: correct, and such layers are tiny
  RVar ro("ro"), ri("ri");
  Func part = a.dot.update().split(a.r.x, ro, ri, w).rfactor(ri, lane);
  part.compute_at(a.out, oi).vectorize(lane);
  part.update().vectorize(lane);
}

void scheduleSoftmax(netc::halide::SoftmaxAlgo &a, int features, const SimpleSchedule &s) {
  if (s.parallel) a.out.parallel(a.n);
  a.maxv.compute_at(a.out, a.n);
  a.sum.compute_at(a.out, a.n);
  a.expv.compute_at(a.out, a.n);
  vectorizeChannels(a.expv, a.f, features, s.vec);
  vectorizeChannels(a.out, a.f, features, s.vec);
}

void scheduleLrn(netc::halide::LrnAlgo &a, int channels, const SimpleSchedule &s) {
  Var yn("yn");
  a.out.fuse(a.v.y, a.v.n, yn);
  if (s.parallel) a.out.parallel(yn);
  vectorizeChannels(a.out, a.v.c, channels, s.vec);
  // Squares once per row, not once per window tap.
  a.sq.compute_at(a.out, yn);
  vectorizeChannels(a.sq, a.v.c, channels, s.vec);
}

}  // namespace netc::schedules
