// Training checkpoints and the input normalisation that travels with the
// weights, both stored in .nw files (runtime/WeightsFile.h).
//
// A checkpoint is a weights file whose tensors are the parameters, the BN
// running statistics and "input.mean"/"input.scale", plus a TrainingState:
//   optimizer     "sgd_momentum"
//   momentum      SgdOptimizer::exportMomentum()
//   step          optimizer steps done
//   data_position samples consumed (step * batch for a drop-last loader)
//   rng_state     the loader position and LR schedule state, little-endian:
//     u8  version (kRngStateVersion = 1)
//     u64 seed, u64 epoch, u64 index, u64 dataset size   (data::LoaderState)
//     u32 n, then n x f64 (IEEE 754 bits)                (LrSchedule::state())
// Every augmentation draw derives from (seed, epoch, index), so these
// numbers are the whole random state of a run.
#pragma once

#include "dsl/Network.h"
#include "dsl/TrainRecipe.h"
#include "runtime/NamedTensor.h"
#include "runtime/WeightsFile.h"
#include "runtime/data/Augment.h"
#include "runtime/data/ColourStats.h"
#include "runtime/data/Dataset.h"
#include "runtime/data/Loader.h"

#include <cstdint>
#include <string>
#include <vector>

namespace netc::runtime::train {

inline constexpr uint8_t kRngStateVersion = 1;
inline constexpr const char *kInputMeanName = "input.mean";
inline constexpr const char *kInputScaleName = "input.scale";

struct Checkpoint {
  std::vector<NamedTensor> tensors;  ///< parameters, BN running stats, input.*
  std::vector<NamedTensor> momentum; ///< by parameter name
  int64_t step = 0;
  int64_t samplesConsumed = 0;
  data::LoaderState loader;
  std::vector<double> schedule; ///< LrSchedule::state()
};

/// Atomic (temp file + rename). Throws IoError.
void saveCheckpoint(const std::string &path, const std::string &networkName,
                    const std::string &networkText, const Checkpoint &c);

/// Loads and verifies a checkpoint: the network (name and canonical text),
/// a training state with optimizer "sgd_momentum", the rng_state layout,
/// and that every momentum buffer belongs to a tensor of the same element
/// count. With `expectedTensors` non-empty, each must be in the file and the
/// file may hold no other tensor except input.mean / input.scale. Throws
/// IoError with a message naming the file.
Checkpoint loadCheckpoint(const std::string &path, const std::string &networkName,
                          const std::string &networkText,
                          const std::vector<std::string> &expectedTensors = {});

/// The rng_state bytes (layout above) and their inverse; decode throws
/// IoError (mentioning `what`) on a wrong size or version.
std::vector<uint8_t> encodeRngState(const data::LoaderState &loader,
                                    const std::vector<double> &schedule);
void decodeRngState(const std::vector<uint8_t> &bytes, const std::string &what,
                    data::LoaderState &loader, std::vector<double> &schedule);

// ---- Input normalisation -------------------------------------------------

/// x_float = (x_pixel - mean) * scale. mean is empty, per channel {C} or per
/// pixel {C, H, W} (pixel units); scale is per channel {C}. netc uses
/// scale = 1/255 (inputs in [-1, 1] after mean subtraction): the papers'
/// recipes subtract a mean only, and a per-dataset 1/std would make the
/// stored weights depend on one more statistic for little gain with BN.
struct InputNorm {
  std::vector<int64_t> meanShape; ///< {} (none), {C} or {C, H, W}
  std::vector<float> mean;
  std::vector<float> scale;
};

/// From the training set's statistics (data::computeColourStats) and the
/// recipe's mean mode. Throws std::invalid_argument for a per-pixel mean of
/// a dataset whose images vary in size.
InputNorm inputNormFromStats(const data::ColourStats &stats, dsl::TrainRecipe::Mean mean,
                             const data::Dataset &train);

/// Adds (or replaces) "input.mean" (if any) and "input.scale" in `tensors`.
void storeInputNorm(const InputNorm &norm, std::vector<NamedTensor> &tensors);

/// Reads "input.mean"/"input.scale"; absent: no mean, scale 1/255 for each
/// of `channels`. Throws IoError if their sizes do not fit `channels`.
InputNorm readInputNorm(const std::vector<NamedTensor> &tensors, int64_t channels);

/// Training-time augmentation from the recipe for a network input `in`:
/// ScaleCrop when recipe.scaleMin > 0, else PadCrop with recipe.pad;
/// random crop, flip and colour shift (needs `stats` eigen data) as asked.
/// Throws std::invalid_argument when a per-pixel mean does not fit `in`.
data::AugmentConfig trainAugment(const dsl::TrainRecipe &recipe, const InputNorm &norm,
                                 const dsl::Shape &in, const data::ColourStats &stats);

/// Evaluation: no randomness. Fixed-size datasets: PadCrop, pad 0, centre
/// crop to `in`. Varying sizes: shorter side rescaled to `resize` (0: the
/// usual 256/224 of the crop) then centre crop.
data::AugmentConfig evalAugment(const InputNorm &norm, const dsl::Shape &in,
                                const data::Dataset &ds, int64_t resize = 0);

} // namespace netc::runtime::train
