// Top-1 / top-5 error of a network on a dataset, through the inference
// executor: used by `netc eval` and by `netc train` after every epoch.
#pragma once

#include "dsl/Network.h"
#include "runtime/Executor.h"
#include "runtime/data/Loader.h"

#include <cstdint>
#include <string>

namespace netc::runtime::train {

struct EvalCounts {
  int64_t images = 0, top1 = 0, top5 = 0; ///< hits
  double top1Error() const { return images ? 1 - double(top1) / double(images) : 0; }
  double top5Error() const { return images ? 1 - double(top5) / double(images) : 0; }
};

/// Runs every batch of one epoch of `loader` (no shuffling, no drop-last)
/// through `ex`; a short last batch is padded and its padding ignored.
EvalCounts evaluate(Executor &ex, data::Loader &loader);

/// Throws std::runtime_error when `ds` cannot feed `net` (channels,
/// classes, empty); `spec` names the data in the message.
void checkDataFits(const dsl::Network &net, const data::Dataset &ds, const std::string &spec);

} // namespace netc::runtime::train
