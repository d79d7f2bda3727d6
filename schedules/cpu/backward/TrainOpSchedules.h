// CPU schedules of the memory-bound training ops: vectorised over the dense
// innermost dimension (channels, features), parallel over rows and images.
// Per-op functions take the algorithm's outputs by position (see the
// algorithm headers in compiler/halide/backward/).
#pragma once

#include "compiler/halide/backward/TrainAlgo.h"

#include <string>

namespace netc::schedules::backward {

struct TrainSchedule {
  int vec = 16;
  bool parallel = true;
  std::string key() const;
};

TrainSchedule defaultTrainSchedule(const Halide::Target &t);

// An NHWC output with `channels` channels: vectors of c, rows in parallel.
void scheduleNhwcOut(Halide::Func f, const netc::halide::NhwcVars &v, int channels,
                     const TrainSchedule &s);
// A 1-D output of runtime length: vectors in parallel chunks.
void scheduleFlatOut(Halide::Func f, const TrainSchedule &s);
// A 2-D (features, rows) output, pure or with one update over `r`:
// vectorised over features with the reduction outside, rows in parallel.
void scheduleMatrixOut(Halide::Func f, int features, const TrainSchedule &s);
// algo.rootFuncs: once per call, vectorised over their first dimension.
void scheduleRootFuncs(netc::halide::backward::TrainAlgo &a, int extent0, const TrainSchedule &s);

// Whole-op schedules.
void scheduleBnTrain(netc::halide::backward::TrainAlgo &a, int channels, const TrainSchedule &s);
void scheduleFcBackward(netc::halide::backward::TrainAlgo &a, int in, int out,
                        const TrainSchedule &s);
void scheduleXent(netc::halide::backward::TrainAlgo &a, int classes, const TrainSchedule &s);

}  // namespace netc::schedules::backward
