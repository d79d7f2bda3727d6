// The learning rate of each iteration under a dsl::TrainRecipe: constant,
// step (MultiStepLR at milestones given in iterations, epochs or percent of
// the run), or plateau (ReduceLROnPlateau, mode "min", threshold_mode
// "rel", cooldown 0, min_lr 0, eps 1e-8), optionally preceded by the
// ResNet-110 warm-up (warmupLr until the running training error first drops
// below warmupUntilError).
#pragma once

#include "dsl/TrainRecipe.h"

#include <cstdint>
#include <vector>

namespace netc::runtime::train {

class LrSchedule {
public:
  /// `totalIterations` (> 0) resolves percent milestones; `iterationsPerEpoch`
  /// (> 0) resolves epoch milestones. Throws std::invalid_argument on a
  /// negative milestone, gamma <= 0, or non-positive lengths.
  LrSchedule(const dsl::TrainRecipe &recipe, int64_t totalIterations, int64_t iterationsPerEpoch);

  /// The lr for iteration `k` (0-based: the k-th optimizer step). Step
  /// milestones at iteration M apply from k == M on.
  double lr(int64_t k) const;

  /// Warm-up: the trainer reports its running training error (0..1) after
  /// each step; the first value below warmupUntilError ends the warm-up for
  /// good. A no-op when warm-up is off or over.
  void reportTrainingError(double error);
  bool warmingUp() const { return warmingUp_; }

  /// Plateau: the epoch's metric (lower is better, e.g. validation error or
  /// loss). No-op for the other schedules.
  void endEpoch(double metric);

  /// The step milestones in iterations, sorted (empty for other schedules).
  const std::vector<int64_t> &milestoneIterations() const { return milestones_; }

  /// The mutable state, for checkpoints: {version, plateau factor, best,
  /// bad epochs, warming up}. restore() throws std::invalid_argument on a
  /// vector of another length or version.
  std::vector<double> state() const;
  void restore(const std::vector<double> &s);

private:
  dsl::TrainRecipe recipe_;
  std::vector<int64_t> milestones_;
  double plateauFactor_ = 1; // product of the plateau reductions so far
  double best_;              // best metric so far (+inf before the first)
  int64_t badEpochs_ = 0;
  bool warmingUp_ = false;
};

} // namespace netc::runtime::train
