#include "runtime/train/LrSchedule.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace netc::runtime::train {

namespace {

constexpr double kStateVersion = 1;
constexpr double kTorchEps = 1e-8; // ReduceLROnPlateau ignores smaller changes

int64_t toIterations(const dsl::LrMilestone &m, int64_t total, int64_t perEpoch) {
  if (!(m.at >= 0))
    throw std::invalid_argument("lr schedule: milestone " + std::to_string(m.at) + " is negative");
  switch (m.unit) {
  case dsl::LrMilestone::Unit::Iteration:
    return std::llround(m.at);
  case dsl::LrMilestone::Unit::Epoch:
    return std::llround(m.at * static_cast<double>(perEpoch));
  case dsl::LrMilestone::Unit::Percent:
    return std::llround(m.at / 100.0 * static_cast<double>(total));
  }
  return 0;
}

} // namespace

LrSchedule::LrSchedule(const dsl::TrainRecipe &recipe, int64_t totalIterations,
                       int64_t iterationsPerEpoch)
    : recipe_(recipe), best_(std::numeric_limits<double>::infinity()),
      warmingUp_(recipe.warmupLr > 0) {
  if (totalIterations <= 0 || iterationsPerEpoch <= 0)
    throw std::invalid_argument("lr schedule: the run needs a positive length");
  if (!(recipe.gamma > 0))
    throw std::invalid_argument("lr schedule: gamma must be positive");
  if (recipe.schedule == dsl::TrainRecipe::Schedule::Step) {
    for (const dsl::LrMilestone &m : recipe.milestones)
      milestones_.push_back(toIterations(m, totalIterations, iterationsPerEpoch));
    std::sort(milestones_.begin(), milestones_.end());
  }
}

double LrSchedule::lr(int64_t k) const {
  if (warmingUp_)
    return recipe_.warmupLr;
  switch (recipe_.schedule) {
  case dsl::TrainRecipe::Schedule::Constant:
    return recipe_.lr;
  case dsl::TrainRecipe::Schedule::Step: {
    auto passed = std::upper_bound(milestones_.begin(), milestones_.end(), k) - milestones_.begin();
    return recipe_.lr * std::pow(recipe_.gamma, static_cast<double>(passed));
  }
  case dsl::TrainRecipe::Schedule::Plateau:
    return recipe_.lr * plateauFactor_;
  }
  return recipe_.lr;
}

void LrSchedule::reportTrainingError(double error) {
  if (warmingUp_ && error < recipe_.warmupUntilError)
    warmingUp_ = false;
}

void LrSchedule::endEpoch(double metric) {
  if (recipe_.schedule != dsl::TrainRecipe::Schedule::Plateau)
    return;
  // torch: is_better = a < best * (1 - threshold) (mode min, rel).
  if (metric < best_ * (1 - recipe_.threshold)) {
    best_ = metric;
    badEpochs_ = 0;
  } else {
    ++badEpochs_;
  }
  if (badEpochs_ > recipe_.patience) {
    double old = recipe_.lr * plateauFactor_, now = old * recipe_.gamma;
    if (old - now > kTorchEps)
      plateauFactor_ *= recipe_.gamma;
    badEpochs_ = 0;
  }
}

std::vector<double> LrSchedule::state() const {
  return {kStateVersion, plateauFactor_, best_, static_cast<double>(badEpochs_),
          warmingUp_ ? 1.0 : 0.0};
}

void LrSchedule::restore(const std::vector<double> &s) {
  if (s.size() != 5 || s[0] != kStateVersion)
    throw std::invalid_argument("lr schedule: unknown saved state (" + std::to_string(s.size()) +
                                " values, version " + (s.empty() ? "none" : std::to_string(s[0])) +
                                ")");
  plateauFactor_ = s[1];
  best_ = s[2];
  badEpochs_ = static_cast<int64_t>(s[3]);
  warmingUp_ = s[4] != 0;
}

} // namespace netc::runtime::train
