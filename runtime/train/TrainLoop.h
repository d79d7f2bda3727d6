// A whole training run, as `netc train` does it: data with the recipe's
// augmentation, the compiled training step (runtime/Trainer), SGD with the
// recipe's LR schedule, an evaluation on the test split after every epoch,
// the curve log, checkpoints after every epoch (and at the end), resume,
// and a NaN/Inf guard that names the first layer whose output is not finite.
//
// Output folder:
//   checkpoint.nw   weights + BN statistics + input.mean/scale + training
//                   state (momentum, step, loader and schedule state)
//   train.csv       one row per step; eval.jsonl one object per evaluation
#pragma once

#include "dsl/Network.h"
#include "dsl/TrainRecipe.h"

#include <cstdint>
#include <string>

namespace netc::runtime::train {

struct TrainConfig {
  dsl::Network net;
  std::string canonical; ///< the network's canonical text (ties checkpoints to it)
  dsl::TrainRecipe recipe;
  std::string data = "fashion-mnist";
  size_t trainLimit = 0, testLimit = 0; ///< use the first N samples (0: all)
  std::string outDir = "netc-train";
  bool resume = false;
  /// Stop (after checkpointing) once this many steps are done, as an
  /// interruption would; 0: run to the end. Tests use it for resume.
  int64_t stopAfter = 0;
  int evalBatch = 500;
  bool progress = true; ///< the live progress line on stderr
};

struct TrainResult {
  int64_t steps = 0;
  double seconds = 0, imagesPerSecond = 0;
  double finalLoss = 0;
  double top1Error = 1, top5Error = 1; ///< of the last evaluation
  int64_t evalImages = 0;
  std::string checkpoint;
};

/// Throws std::runtime_error (or IoError) with a clear message: bad data,
/// an unusable checkpoint, or a diverged run ("the loss became nan at step
/// 120; the first non-finite value is in 'stage2.1.bn1 (batch_norm_train)'").
TrainResult runTraining(const TrainConfig &cfg);

/// Steps of the run for a dataset of `samples` images.
int64_t totalIterations(const dsl::TrainRecipe &r, int64_t samples);

} // namespace netc::runtime::train
