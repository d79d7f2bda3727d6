// Searches the CPU conv schedule space (ConvSchedule) for one layer by
// measurement: a pruned search, not a grid. Stage 1 varies the register tile
// (channel vectors x pixels) within the register file; stage 2 tries the
// loop-structure flags (input staging, channel tiles outermost, rows per
// task) on the best tiles. Every candidate runs on the same random data and
// must match the direct built-in schedule's output (1e-4 relative) to
// count; its time is the median of repeated runs at the batch it will run at
// with the current threads, each with cold caches, as a layer runs inside a
// network. The conv gradients have their own tuner (ConvBwdTuner.h).
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

struct ConvTuneOptions {
  int batch = 1;
  /// The training step's forward conv: HWIO weights (they change every
  /// step), which Winograd candidates transform inside the kernel.
  bool training = false;
};

/// The best schedule found for `spec` (plain: wBlock is chosen per
/// candidate) before `deadline`; the built-in schedule is always measured
/// first and wins ties. `progress` is called after each candidate.
TunedConv tuneConv(const netc::halide::ConvSpec &spec, const Halide::Target &t,
                   std::chrono::steady_clock::time_point deadline,
                   const std::function<void(const TuneProgress &)> &progress = {},
                   const ConvTuneOptions &options = {});

/// The built-in schedule tuneConv measures and stores when nothing beats it.
ConvSchedule builtinCandidate(const netc::halide::ConvSpec &spec, const Halide::Target &t,
                              const ConvTuneOptions &options);

/// The candidate tiles stage 1 tries for `spec` on `t`: direct, and
/// Winograd where it applies (exposed for tests).
std::vector<ConvSchedule> tileCandidates(const netc::halide::ConvSpec &spec,
                                         const Halide::Target &t);

}  // namespace netc::schedules
