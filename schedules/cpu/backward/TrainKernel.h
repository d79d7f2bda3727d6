// Compiled training kernels and their in-memory cache.
//
// The forward KernelCache (compiler/halide/KernelCache.h) serves
// single-output pipelines with float inputs, which is what its AOT disk
// layer verifies. Training ops need more: several outputs (dx with dgamma
// and dbeta), int32 labels and scalar hyperparameters, so they are
// JIT-compiled here, once per distinct key per process.
#pragma once

#include "compiler/halide/backward/TrainAlgo.h"

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace netc::schedules::backward {

class TrainKernel {
 public:
  // Compiles (JIT) unless `compile` is false: then the kernel only keeps
  // its scheduled algorithm, for an ahead-of-time library (runtime/aot).
  TrainKernel(std::string key, const netc::halide::backward::TrainAlgo &scheduled,
              const Halide::Target &target, bool compile = true);
  TrainKernel(const TrainKernel &) = delete;
  TrainKernel &operator=(const TrainKernel &) = delete;

  // Buffers in the algorithm's call order; outputs must be allocated with
  // the output shapes. Throws std::invalid_argument on a count mismatch and
  // Halide::RuntimeError on a shape mismatch. Calls are serialised
  // (Pipeline::realize keeps per-call state).
  void run(const std::vector<Halide::Buffer<>> &inputs, const std::vector<Halide::Buffer<>> &outputs,
           const std::vector<float> &scalars = {});

  const std::string &key() const { return key_; }
  const netc::halide::backward::TrainAlgo &algo() const { return algo_; }
  bool compiled() const { return compiled_; }
  size_t numInputs() const { return inputs_.size(); }
  size_t numOutputs() const { return numOutputs_; }

 private:
  std::string key_;
  netc::halide::backward::TrainAlgo algo_;
  bool compiled_;
  Halide::Pipeline pipeline_;
  std::vector<Halide::ImageParam> inputs_;
  std::vector<Halide::Param<float>> scalars_;
  size_t numOutputs_;
  Halide::Target target_;
  std::mutex mu_;
};

using TrainKernelPtr = std::shared_ptr<TrainKernel>;

// The process-wide cache: `build` (algorithm + schedule) runs only for a
// key not seen before. Keys follow the forward convention
// "<op>|<spec key>|<target>|<schedule key>".
TrainKernelPtr cachedTrainKernel(const std::string &key, const Halide::Target &target,
                                 const std::function<netc::halide::backward::TrainAlgo()> &build);

// Number of kernels compiled so far (tests check the cache dedupes).
size_t trainKernelCompiles();

// While alive, cachedTrainKernel on this thread compiles nothing: it
// returns uncompiled kernels (deduplicated by key within the scope), as
// KernelCache::deferred() does for the forward kernels.
class DeferTrainKernels {
 public:
  DeferTrainKernels();
  ~DeferTrainKernels();
  DeferTrainKernels(const DeferTrainKernels &) = delete;
  DeferTrainKernels &operator=(const DeferTrainKernels &) = delete;

 private:
  void *previous_;
};

}  // namespace netc::schedules::backward
