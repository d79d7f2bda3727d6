#include "TrainKernel.h"

#include <map>
#include <stdexcept>

namespace netc::schedules::backward {

namespace nb = netc::halide::backward;

TrainKernel::TrainKernel(std::string key, const nb::TrainAlgo &a, const Halide::Target &target,
                         bool compile)
    : key_(std::move(key)),
      algo_(a),
      compiled_(compile),
      pipeline_(a.outs),
      inputs_(a.inputs),
      scalars_(a.scalars),
      numOutputs_(a.outs.size()),
      target_(target) {
  if (compiled_) pipeline_.compile_jit(target_);
}

void TrainKernel::run(const std::vector<Halide::Buffer<>> &inputs,
                      const std::vector<Halide::Buffer<>> &outputs,
                      const std::vector<float> &scalars) {
  if (!compiled_)
    throw std::logic_error(key_ + ": deferred (planned for an AOT library), not compiled");
  if (inputs.size() != inputs_.size() || outputs.size() != numOutputs_ ||
      scalars.size() != scalars_.size())
    throw std::invalid_argument(key_ + ": wrong number of arguments");
  std::lock_guard<std::mutex> lock(mu_);
  Halide::ParamMap params;
  for (size_t i = 0; i < inputs.size(); ++i) params.set(inputs_[i], inputs[i]);
  for (size_t i = 0; i < scalars.size(); ++i) params.set(scalars_[i], scalars[i]);
  std::vector<Halide::Buffer<>> outs = outputs;  // Realization wants a mutable vector
  Halide::Realization r(outs);
  pipeline_.realize(r, target_, params);
}

namespace {

struct Cache {
  std::mutex mu;
  std::map<std::string, TrainKernelPtr> kernels;
  size_t compiles = 0;
};

Cache &cache() {
  static Cache c;
  return c;
}

thread_local std::map<std::string, TrainKernelPtr> *deferred = nullptr;

}  // namespace

DeferTrainKernels::DeferTrainKernels() : previous_(deferred) {
  deferred = new std::map<std::string, TrainKernelPtr>();
}

DeferTrainKernels::~DeferTrainKernels() {
  delete deferred;
  deferred = static_cast<std::map<std::string, TrainKernelPtr> *>(previous_);
}

TrainKernelPtr cachedTrainKernel(const std::string &key, const Halide::Target &target,
                                 const std::function<nb::TrainAlgo()> &build) {
  if (deferred) {
    auto it = deferred->find(key);
    if (it != deferred->end()) return it->second;
    return (*deferred)[key] = std::make_shared<TrainKernel>(key, build(), target, false);
  }
  Cache &c = cache();
  // Held while compiling: a second caller of the same key waits for the
  // first instead of compiling it twice (compiles are rare and short).
  std::lock_guard<std::mutex> lock(c.mu);
  auto it = c.kernels.find(key);
  if (it != c.kernels.end()) return it->second;
  auto k = std::make_shared<TrainKernel>(key, build(), target);
  ++c.compiles;
  c.kernels.emplace(key, k);
  return k;
}

size_t trainKernelCompiles() {
  std::lock_guard<std::mutex> lock(cache().mu);
  return cache().compiles;
}

}  // namespace netc::schedules::backward
