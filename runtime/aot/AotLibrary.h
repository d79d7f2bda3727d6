// `netc compile --target T -o DIR`: a network as a static library and a C
// header that any program can embed, with no MLIR, LLVM, Halide or netc
// where it runs.
//
// The Executor plans the network exactly as `netc run` does (same fusion,
// kernels, schedules and arena plan) but with a deferred kernel cache, so
// every kernel comes back as a scheduled, uncompiled Halide pipeline. Each
// distinct kernel is compiled to an object for the target (no runtime), the
// Halide runtime once for the whole library, the generated C driver
// (CSource.h) with the C compiler, and all of it archived into NAME.a.
#pragma once

#include "runtime/NamedTensor.h"

#include "mlir/IR/BuiltinOps.h"

#include <Halide.h>

#include <string>
#include <vector>

namespace netc::aot {

struct LibraryOptions {
  std::string name;     // C prefix, a C identifier
  std::string outDir;   // created if missing
  std::string origin;   // the .net file, for the generated comments
  Halide::Target target;
  int batch = 1;        // the largest batch forward() accepts
  bool embedWeights = false;
};

struct LibraryResult {
  std::string library, header, weights;  // weights: "" when embedded
  size_t kernels = 0, calls = 0;
  int64_t libraryBytes = 0, workspaceBytes = 0, weightBytes = 0;
  double seconds = 0;
};

/// Builds DIR/NAME.a, DIR/NAME.h and (without embedWeights) DIR/NAME.weights.
/// Each file appears complete or not at all. Throws std::runtime_error with
/// a clear message (e.g. no C compiler for the target).
LibraryResult buildLibrary(mlir::ModuleOp module, const std::vector<runtime::NamedTensor> &params,
                           const LibraryOptions &opts);

struct TrainLibraryOptions {
  LibraryOptions lib;  // lib.batch is the (fixed) training batch
  double lr = 0.1, momentum = 0.9, weightDecay = 1e-4;  // the recipe's defaults
};

/// `netc compile --train --target T -o DIR`: one training step (forward,
/// loss, backward, BN statistics, SGD with momentum and weight decay) as
/// DIR/NAME.a + NAME.h (+ NAME.weights), `module` after the "train" stage.
/// CPU targets only; networks with dropout are refused.
LibraryResult buildTrainLibrary(mlir::ModuleOp module,
                                const std::vector<runtime::NamedTensor> &params,
                                const TrainLibraryOptions &opts);

/// Throws unless `name` is a C identifier (the library's prefix).
void checkLibraryName(const std::string &name);

}  // namespace netc::aot
