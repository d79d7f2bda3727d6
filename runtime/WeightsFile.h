// netc weights files (.nw, schema in runtime/weights.fbs): a network's
// parameters by name, tied to the network they were trained for, plus the
// optional training state of a checkpoint.
#pragma once

#include "runtime/NamedTensor.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace netc::runtime {

/// The schema version this build writes and the newest it reads.
constexpr uint32_t kWeightsSchemaVersion = 1;

/// What a training run needs to resume where it stopped.
struct TrainingState {
  std::string optimizer;
  std::vector<NamedTensor> momentum; // by parameter name
  int64_t step = 0;
  std::vector<uint8_t> rngState;
  int64_t dataPosition = 0;
};

struct WeightsFile {
  std::string networkName;
  std::string networkText; // canonical text of the network
  std::vector<NamedTensor> tensors;
  std::optional<TrainingState> training;

  /// The tensor called `name`, or null.
  const NamedTensor *find(const std::string &name) const;
};

/// Serializes to flatbuffer bytes. Throws IoError if a tensor's data does not
/// match its shape, names repeat, or the result would exceed 2 GiB.
std::vector<uint8_t> encodeWeights(const WeightsFile &w);

/// Verifies and decodes flatbuffer bytes; `what` names the source in errors.
/// Checks the "NETW" identifier, the schema version, the flatbuffer structure,
/// unique names, and that every tensor's data matches its shape.
WeightsFile decodeWeights(const uint8_t *bytes, size_t size, const std::string &what);

/// Writes a weights file atomically (temp file + rename). Throws IoError.
void saveWeights(const std::string &path, const WeightsFile &w);

/// Reads and verifies a weights file. Throws IoError.
WeightsFile loadWeights(const std::string &path);

/// Throws IoError unless `w` was saved for a network with exactly this
/// canonical text, e.g. "weights in 'a.nw' were saved for network 'X', not for
/// network 'Y'" or, for the same name, where the two definitions first differ.
void checkNetwork(const WeightsFile &w, const std::string &expectedName,
                  const std::string &expectedText, const std::string &path);

/// loadWeights followed by checkNetwork.
WeightsFile loadWeightsFor(const std::string &path, const std::string &expectedName,
                           const std::string &expectedText);

} // namespace netc::runtime
