// Searches the schedules of the conv gradients (ConvDxSchedule,
// ConvDwSchedule in schedules/cpu/backward) for one layer of a training step,
// as ConvTuner.h does for the forward conv: stage 1 varies the register tile
// within the register file, stage 2 the loop structure (staging, rows per
// task or block, images per block, parallel tasks) of the three best. Every
// candidate runs at the training batch on the same random data and must
// match the built-in schedule's output (1e-4 relative) to count; times are
// cold-cache medians with the current threads. The built-in schedule wins
// unless a candidate beats it by more than 3% (the noise here).
#pragma once

#include "schedules/cpu/backward/ConvBwdSchedule.h"
#include "schedules/tuning/ConvTuner.h"

namespace netc::schedules {

template <typename S>
struct TunedSchedule {
  S schedule;
  double ms = 0, defaultMs = 0;  // measured median, tuned and built-in
};
using TunedConvDx = TunedSchedule<backward::ConvDxSchedule>;
using TunedConvDw = TunedSchedule<backward::ConvDwSchedule>;

TunedConvDx tuneConvDx(const netc::halide::backward::ConvDxSpec &spec, const Halide::Target &t,
                       int batch, std::chrono::steady_clock::time_point deadline,
                       const std::function<void(const TuneProgress &)> &progress = {});
TunedConvDw tuneConvDw(const netc::halide::ConvSpec &spec, const Halide::Target &t, int batch,
                       std::chrono::steady_clock::time_point deadline,
                       const std::function<void(const TuneProgress &)> &progress = {});

// Stage 1's candidates (clamped, distinct; exposed for tests).
std::vector<backward::ConvDxSchedule> convDxTileCandidates(
    const netc::halide::backward::ConvDxSpec &spec, const Halide::Target &t);
std::vector<backward::ConvDwSchedule> convDwTileCandidates(const netc::halide::ConvSpec &spec,
                                                           const Halide::Target &t);
// Stage 2's variations of one schedule (not clamped).
std::vector<backward::ConvDxSchedule> convDxStructureVariants(const backward::ConvDxSchedule &s);
std::vector<backward::ConvDwSchedule> convDwStructureVariants(const netc::halide::ConvSpec &spec,
                                                              const backward::ConvDwSchedule &s);

}  // namespace netc::schedules
