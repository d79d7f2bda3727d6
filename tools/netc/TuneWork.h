// What `netc tune` tunes (TuneCommand.cpp drives it): one item per distinct
// kernel of a network's inference pass, or of its training step (--train:
// the forward convs, dX and dW at the training batch), each able to look
// itself up in the tuning database, tune itself and go back to the built-in
// schedule; and the network's own per-kernel times, with which every tuned
// item is checked in place.
#pragma once

#include "schedules/tuning/ConvTuner.h"

#include "mlir/IR/BuiltinOps.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace netc::runtime {
struct NamedTensor;
}

namespace netc::cli {

struct TuneResult {
  double ms = 0, defaultMs = 0;
  std::string schedule;  // its key
  bool builtin = true;   // the built-in schedule won
};

struct TuneItem {
  std::string key;   // in the tuning database
  std::string what;  // e.g. "dW 3x3/1 16->16 32x32"
  int repeats = 0;   // kernels of the network sharing it
  std::function<std::optional<TuneResult>()> known;
  std::function<TuneResult(std::chrono::steady_clock::time_point deadline,
                           const std::function<void(const schedules::TuneProgress &)> &)>
      tune;  // measures and stores in the global database
  std::function<void()> revert;  // stores the built-in schedule instead
};

/// The network, planned once: its distinct tunable kernels and a way to time
/// every kernel in place with whatever database is global.
class TuneWork {
 public:
  virtual ~TuneWork() = default;
  std::vector<TuneItem> items;
  /// Per kernel of the plan: the index of its item, or -1.
  std::vector<int> itemOfStep;
  /// Median seconds per kernel of the plan (warm-up excluded).
  virtual std::vector<double> kernelSeconds() = 0;
  /// "batch 1" / "training step, batch 128".
  std::string unit;
};

std::unique_ptr<TuneWork> inferenceWork(mlir::ModuleOp m,
                                        const std::vector<runtime::NamedTensor> &params,
                                        const Halide::Target &t, int batch);
std::unique_ptr<TuneWork> trainingWork(mlir::ModuleOp m,
                                       const std::vector<runtime::NamedTensor> &params,
                                       const Halide::Target &t, int batch);

}  // namespace netc::cli
