// CIFAR-10's binary batches: records of 1 label byte + 3072 pixel bytes
// (1024 red, 1024 green, 1024 blue, row-major 32x32: already CHW).
#pragma once

#include "runtime/data/Dataset.h"

#include <memory>
#include <string>
#include <vector>

namespace netc::runtime::data {

/// Loads and concatenates the given batch files. Throws IoError if a file
/// is empty, not a whole number of records, or has a label above 9.
std::shared_ptr<InMemoryDataset> loadCifar10Batches(const std::vector<std::string> &paths);

/// The standard split from the extracted cifar-10-batches-bin directory:
/// data_batch_1..5.bin for training, test_batch.bin otherwise.
std::shared_ptr<InMemoryDataset> loadCifar10(const std::string &dir, bool train);

} // namespace netc::runtime::data
