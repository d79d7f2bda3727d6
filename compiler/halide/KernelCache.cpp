#include "KernelCache.h"

#include <stdexcept>

namespace netc::halide {

Kernel::Kernel(Halide::Pipeline p, std::vector<Halide::ImageParam> inputs, Halide::Target t)
    : pipeline_(std::move(p)), inputs_(std::move(inputs)), target_(std::move(t)) {}

void Kernel::run(const std::vector<Halide::Buffer<float>> &inputs, Halide::Buffer<float> &out) {
  if (inputs.size() != inputs_.size())
    throw std::invalid_argument("Kernel::run: expected " + std::to_string(inputs_.size()) +
                                " inputs, got " + std::to_string(inputs.size()));
  std::lock_guard<std::mutex> lock(runMu_);
  Halide::ParamMap params;
  for (size_t i = 0; i < inputs.size(); ++i) params.set(inputs_[i], inputs[i]);
  pipeline_.realize(out, target_, params);
}

std::shared_ptr<Kernel> KernelCache::get(const std::string &key, const Builder &build) {
  // Compiling under the lock keeps two threads from compiling the same key;
  // compilation is rare (once per distinct layer), so contention is moot.
  std::lock_guard<std::mutex> lock(mu_);
  auto it = kernels_.find(key);
  if (it != kernels_.end()) return it->second;
  ++misses_;
  std::shared_ptr<Kernel> k = build();
  kernels_.emplace(key, k);
  return k;
}

size_t KernelCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return kernels_.size();
}

KernelCache &KernelCache::global() {
  static KernelCache cache;
  return cache;
}

std::shared_ptr<Kernel> compileKernel(Halide::Func out, std::vector<Halide::ImageParam> inputs,
                                      const Halide::Target &target) {
  Halide::Pipeline p(out);
  p.compile_jit(target);
  return std::make_shared<Kernel>(std::move(p), std::move(inputs), target);
}

}  // namespace netc::halide
