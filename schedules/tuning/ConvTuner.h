// Searches the CPU conv schedule space (ConvSchedule) for one layer by
// measurement: a pruned search, not a grid. Stage 1 varies the register tile
// (channel vectors x pixels) within the register file; stage 2 tries the
// loop-structure flags (input staging, channel tiles outermost, rows per
// task) on the best tiles. Every candidate runs on the same random data and
// must match the built-in schedule's output (1e-4 relative) to count; its
// time is the median of repeated runs at batch 1 with the current threads,
// each with cold caches, as a layer runs inside a network.
#pragma once

#include "schedules/tuning/TuningDb.h"

#include <chrono>
#include <functional>

namespace netc::schedules {

struct TuneProgress {
  int done = 0, total = 0;  // candidates of this layer
  double bestMs = 0, defaultMs = 0;
  std::string next;  // the candidate about to be measured ("" after the last)
};

/// The best schedule found for `spec` (plain: wBlock is chosen per
/// candidate) before `deadline`; the built-in schedule is always measured
/// first and wins ties. `progress` is called after each candidate.
TunedConv tuneConv(const netc::halide::ConvSpec &spec, const Halide::Target &t,
                   std::chrono::steady_clock::time_point deadline,
                   const std::function<void(const TuneProgress &)> &progress = {});

/// The candidate tiles stage 1 tries for `spec` on `t` (exposed for tests).
std::vector<ConvSchedule> tileCandidates(const netc::halide::ConvSpec &spec,
                                         const Halide::Target &t);

}  // namespace netc::schedules
