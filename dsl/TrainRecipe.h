// A training recipe: the optimiser, learning-rate schedule, length and data
// augmentation a network is trained with. It lives with the network (the
// optional `train ... end` section of a .net file); every value can be
// overridden on the command line (`netc train --set key=value`).
// Plain values only: the runtime (runtime/train) interprets them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace netc::dsl {

struct Network;
struct TrainSection;

/// Where the step schedule divides the learning rate.
struct LrMilestone {
  enum class Unit { Iteration, Epoch, Percent } unit = Unit::Iteration;
  double at = 0; ///< iterations, epochs, or percent of the whole run
  bool operator==(const LrMilestone &o) const { return unit == o.unit && at == o.at; }
};

struct TrainRecipe {
  // Optimiser: torch.optim.SGD (dampening 0, no Nesterov).
  int64_t batch = 128;
  double lr = 0.1, momentum = 0.9, weightDecay = 1e-4;

  // Length: exactly one of them is > 0 once defaults are applied.
  int64_t iterations = 0;
  double epochs = 0;

  // Learning-rate schedule.
  enum class Schedule { Constant, Step, Plateau } schedule = Schedule::Step;
  std::vector<LrMilestone> milestones; ///< Step: lr *= gamma at each
  double gamma = 0.1;                  ///< Step and Plateau factor
  int64_t patience = 2;                ///< Plateau: epochs without improvement
  double threshold = 1e-4;             ///< Plateau: relative improvement that counts
  /// ResNet-110 warm-up: train at warmupLr until the running training error
  /// drops below warmupUntilError, then at lr. warmupLr = 0 disables it.
  double warmupLr = 0, warmupUntilError = 0.8;

  // Data (training-time augmentation; evaluation uses the centre crop).
  int64_t pad = 0;                    ///< zero-pad then random crop (CIFAR: 4)
  int64_t scaleMin = 0, scaleMax = 0; ///< > 0: rescale shorter side to S in [min, max], crop
  bool flip = false;
  enum class Mean { None, Channel, Pixel } mean = Mean::Channel;
  float colourShift = 0; ///< AlexNet PCA lighting std (VGG's RGB colour shift); 0 off

  uint64_t seed = 0;

  bool operator==(const TrainRecipe &o) const;
  bool operator!=(const TrainRecipe &o) const { return !(*this == o); }
};

/// The keys of a `train` section (and of `--set key=value`), in canonical
/// order: batch, lr, momentum, weight_decay, iterations, epochs, schedule,
/// gamma, patience, warmup, augment, mean, seed.
const std::vector<std::string> &trainKeys();

/// The recipe of the network's paper family, used where a key is absent:
/// CIFAR ResNet (input <= 64 px; He et al. 2016 section 4.2), ImageNet ResNet
/// (batch norm or residual blocks; section 3.4) or VGG (Simonyan & Zisserman
/// 2015 section 3.1). See docs/language.md, "Training recipe".
TrainRecipe defaultRecipe(const Network &net);

/// Copies the fields that `key` sets from `from` into `to`. Setting
/// `iterations` clears `epochs` and vice versa; `augment` sets every
/// augmentation field; `schedule` the schedule and its milestones.
void copyTrainKey(TrainRecipe &to, const TrainRecipe &from, const std::string &key);

/// defaultRecipe(net) with the section's keys on top.
TrainRecipe resolveRecipe(const Network &net, const TrainSection &section);

/// Applies a command-line override "key=value" (`netc train --set`), with the
/// same keys and value syntax as the section ("lr=0.05", "epochs=3",
/// "schedule=step 50%, 75%", "augment=pad 4, flip"). Throws dsl::Error (a
/// rendered message with a hint) on an unknown key or a bad value.
void applyTrainOverride(TrainRecipe &recipe, const std::string &keyEqualsValue);

/// The canonical text of one key's value ("0.1", "step 32000, 48000").
std::string trainValueText(const TrainRecipe &recipe, const std::string &key);

/// The whole recipe as a canonical `train ... end` section (every key; of
/// iterations and epochs only the one in use).
std::string canonicalRecipe(const TrainRecipe &recipe);

/// One paragraph in words: what `netc train` will do.
std::string describeRecipe(const TrainRecipe &recipe);

} // namespace netc::dsl
