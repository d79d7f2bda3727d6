#include "TrainOpSchedules.h"

namespace netc::schedules::backward {

using Halide::Func;
using Halide::TailStrategy;
using Halide::Var;
using netc::halide::NhwcVars;
using netc::halide::backward::TrainAlgo;

namespace {

TailStrategy tailFor(int extent, int vec) {
  return extent % vec == 0 ? TailStrategy::Auto : TailStrategy::GuardWithIf;
}


// Puts the vectorised first pure dim innermost, reduction loops outside.
void vectorizeUpdates(Func f, int extent0, const TrainSchedule &s) {
  Var d0 = f.args()[0];
  for (int i = 0; i < f.num_update_definitions(); ++i) {
    Halide::Stage u = f.update(i);
    const auto &rvars = f.rvars(i);
    std::vector<Halide::VarOrRVar> order{d0};
    for (const auto &rv : rvars) order.emplace_back(rv);
    if (order.size() > 1) u.reorder(order);
    u.vectorize(d0, s.vec, tailFor(extent0, s.vec));
  }
}

}  // namespace

std::string TrainSchedule::key() const {
  return "v" + std::to_string(vec) + (parallel ? " par" : "");
}

TrainSchedule defaultTrainSchedule(const Halide::Target &t) {
  TrainSchedule s;
  s.vec = std::min(16, t.natural_vector_size<float>());
  return s;
}

void scheduleNhwcOut(Func f, const NhwcVars &v, int channels, const TrainSchedule &s) {
  Var yn("yn");
  f.vectorize(v.c, s.vec, tailFor(channels, s.vec)).fuse(v.y, v.n, yn);
  if (s.parallel) f.parallel(yn);
}

void scheduleFlatOut(Func f, const TrainSchedule &s) {
  Var i = f.args()[0], io("io"), ii("ii");
  // Chunks big enough that a task is worth its dispatch.
  f.split(i, io, ii, s.vec * 256, TailStrategy::GuardWithIf).vectorize(ii, s.vec);
  if (s.parallel) f.parallel(io);
}

void scheduleMatrixOut(Func f, int features, const TrainSchedule &s) {
  Var fv = f.args()[0], rows = f.args()[1];
  f.vectorize(fv, s.vec, tailFor(features, s.vec));
  vectorizeUpdates(f, features, s);
  for (int i = 0; i < f.num_update_definitions(); ++i)
    if (s.parallel) f.update(i).parallel(rows);
  if (s.parallel) f.parallel(rows);
}

void scheduleRootFuncs(TrainAlgo &a, int extent0, const TrainSchedule &s) {
  for (Func f : a.rootFuncs) {
    f.compute_root().vectorize(f.args()[0], s.vec, TailStrategy::GuardWithIf);
    vectorizeUpdates(f, extent0, s);
  }
}

void scheduleBnTrain(TrainAlgo &a, int channels, const TrainSchedule &s) {
  scheduleNhwcOut(a.outs[0], a.v, channels, s);
  a.outs[1].vectorize(a.outs[1].args()[0], s.vec, tailFor(channels, s.vec));
  scheduleRootFuncs(a, channels, s);
}

void scheduleFcBackward(TrainAlgo &a, int in, int out, const TrainSchedule &s) {
  scheduleMatrixOut(a.outs[0], in, s);  // dx (i, n)
  scheduleMatrixOut(a.outs[1], in, s);  // dW (i, o)
  if (a.outs.size() > 2) {              // db (o)
    Func db = a.outs[2];
    db.vectorize(db.args()[0], s.vec, tailFor(out, s.vec));
    vectorizeUpdates(db, out, s);
  }
}

void scheduleXent(TrainAlgo &a, int classes, const TrainSchedule &s) {
  for (Func f : a.rootFuncs) f.compute_root();  // per-row log-partition, once
  scheduleMatrixOut(a.outs[1], classes, s);
}

}  // namespace netc::schedules::backward
