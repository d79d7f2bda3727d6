// What the generated C header and driver of an AOT library are written from:
// the executor's plan flattened into tables (every kernel argument, every
// call), plus the names and sizes the C interface exposes.
#pragma once

#include "runtime/Executor.h"
#include "runtime/Trainer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace netc::aot {

struct KernelCall {
  std::string fn;  // the kernel's C entry is fn + "_argv"
  int firstArg = 0, numArgs = 0;
  std::string comment;  // "conv2_x.1.conv1  conv 3x3/1 +bn +relu"
  double macs = 0;      // per image: a conv's (forward, dX or dW), else 0
};

struct LibraryLayout {
  std::string name;    // the C prefix: NAME_init, NAME_forward, ...
  std::string origin;  // the .net file, for comments
  std::string target;  // the Halide target string
  bool gpu = false;    // CUDA: activations live in one device arena
  bool embedded = false;
  int batch = 1;       // the largest batch; the workspace is planned for it
  uint64_t networkId = 0;  // ties a .weights file to this library
  int64_t arenaBytes = 0, weightFloats = 0;
  std::vector<runtime::PlanBuffer> args;  // every call's arguments, in call order
  std::vector<KernelCall> calls;
  std::vector<std::string> kernels;       // distinct entry names
  int64_t inputOffset = 0, outputOffset = 0;
  std::vector<int64_t> inputShape, outputShape;  // without the batch
  int64_t outC = 1, outH = 1, outW = 1;          // NHWC -> NCHW copy of the output
  std::vector<int> inputArgs;  // arguments that read the network input
  int outputArg = -1;          // the argument the output is written through
};

}  // namespace netc::aot

namespace netc::aot {

/// The training library's tables (TrainLibrary.cpp -> CTrainSource.cpp).
struct TrainLayout {
  std::string name, origin, target;
  bool gpu = false;  // everything on the device (CTrainGpuSource.cpp)
  bool embedded = false;
  int batch = 0, classes = 0;
  uint64_t networkId = 0;
  int64_t arenaBytes = 0, blockFloats = 0;
  struct Arg {
    int kind = 0;  // 0 arena, 1 parameter block, 2 labels (int32)
    int64_t offset = 0;
    std::vector<int> dims;
  };
  std::vector<Arg> args;
  std::vector<KernelCall> calls;
  std::vector<std::string> kernels;
  int64_t inputOffset = 0, lossOffset = 0, logitsOffset = 0;
  std::vector<int64_t> inputShape;
  std::vector<runtime::TrainPlanParam> params;
  std::vector<runtime::TrainPlanCopy> copies;
  double lr = 0.1, momentum = 0.9, weightDecay = 1e-4;  // the recipe's, for the header
};

}  // namespace netc::aot
