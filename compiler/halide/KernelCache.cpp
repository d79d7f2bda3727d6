#include "KernelCache.h"

#include "compiler/halide/AotKernel.h"

#include <cstdlib>
#include <stdexcept>
#include <strings.h>

namespace netc::halide {

void Kernel::run(const std::vector<Halide::Buffer<float>> &inputs, Halide::Buffer<float> &out) {
  if (inputs.size() != numInputs_)
    throw std::invalid_argument("Kernel::run: expected " + std::to_string(numInputs_) +
                                " inputs, got " + std::to_string(inputs.size()));
  halide_buffer_t *small[16];
  std::vector<halide_buffer_t *> big;
  halide_buffer_t **args = small;
  if (inputs.size() + 1 > 16) {
    big.resize(inputs.size() + 1);
    args = big.data();
  }
  for (size_t i = 0; i < inputs.size(); ++i)
    args[i] = const_cast<halide_buffer_t *>(inputs[i].raw_buffer());
  args[inputs.size()] = out.raw_buffer();
  run(args);
}

JitKernel::JitKernel(std::string key, Halide::Pipeline p, std::vector<Halide::ImageParam> inputs,
                     Halide::Target t)
    : Kernel(std::move(key), inputs.size(), std::move(t)),
      pipeline_(std::move(p)),
      inputs_(std::move(inputs)) {}

void JitKernel::run(halide_buffer_t *const *args) {
  std::lock_guard<std::mutex> lock(runMu_);
  Halide::ParamMap params;
  for (size_t i = 0; i < inputs_.size(); ++i)
    params.set(inputs_[i], Halide::Buffer<>(*args[i]));
  pipeline_.realize(Halide::Pipeline::RealizationArg(args[inputs_.size()]), target(), params);
}

void DeferredKernel::run(halide_buffer_t *const *) {
  throw std::logic_error("kernel '" + key() + "' is deferred (planned for an AOT library), not compiled");
}

std::string diskCacheDirFromEnv() {
  if (const char *c = std::getenv("NETC_CACHE"))
    for (const char *off : {"off", "0", "no", "false"})
      if (::strcasecmp(c, off) == 0) return "";
  if (const char *d = std::getenv("NETC_CACHE_DIR"); d && *d) return d;
  if (const char *x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/netc";
  if (const char *h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/netc";
  return "";
}

KernelCache::KernelCache() : KernelCache(diskCacheDirFromEnv()) {}

KernelCache::KernelCache(const std::string &diskDir) { setDiskDir(diskDir); }

KernelCache::~KernelCache() = default;

void KernelCache::setDiskDir(const std::string &dir) {
  std::lock_guard<std::mutex> lock(mu_);
  if (dir.empty())
    disk_.reset();
  else
    disk_ = std::make_unique<DiskCache>(dir);
}

std::string KernelCache::diskDir() const {
  std::lock_guard<std::mutex> lock(mu_);
  return disk_ ? disk_->dir() : "";
}

std::shared_ptr<Kernel> KernelCache::get(const std::string &key, const Halide::Target &target,
                                         const Builder &build) {
  // Compiling under the lock keeps two threads from compiling the same key;
  // compilation is rare (once per distinct layer), so contention is moot.
  std::lock_guard<std::mutex> lock(mu_);
  auto it = kernels_.find(key);
  if (it != kernels_.end()) {
    ++stats_.memoryHits;
    return it->second;
  }
  std::shared_ptr<Kernel> k;
  if (deferred_) {
    k = std::make_shared<DeferredKernel>(key, build(), target);
    kernels_.emplace(key, k);
    return k;
  }
  if (disk_) {
    bool rejected = false;
    k = disk_->load(key, target, &rejected);
    if (k) ++stats_.diskLoads;
    if (rejected) ++stats_.diskRejects;
  }
  if (!k) {
    PipelineDef def = build();
    if (disk_) {
      k = disk_->build(key, def, target);
      if (k) ++stats_.aotCompiles;
    }
    if (!k) {
      k = compileKernel(def.out, def.inputs, target, key);
      ++stats_.jitCompiles;
    }
  }
  kernels_.emplace(key, k);
  return k;
}

size_t KernelCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return kernels_.size();
}

size_t KernelCache::misses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_.diskLoads + stats_.compiles();
}

KernelCache::Stats KernelCache::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

namespace {
thread_local KernelCache *scoped = nullptr;
}  // namespace

KernelCache &KernelCache::global() {
  if (scoped) return *scoped;
  static KernelCache cache;
  return cache;
}

std::unique_ptr<KernelCache> KernelCache::deferred() {
  auto c = std::make_unique<KernelCache>(std::string());
  c->deferred_ = true;
  return c;
}

KernelCache::Scope::Scope(KernelCache &cache) : previous_(scoped) { scoped = &cache; }

KernelCache::Scope::~Scope() { scoped = previous_; }

std::shared_ptr<Kernel> compileKernel(Halide::Func out, std::vector<Halide::ImageParam> inputs,
                                      const Halide::Target &target, const std::string &key) {
  Halide::Pipeline p(out);
  p.compile_jit(target);
  return std::make_shared<JitKernel>(key, std::move(p), std::move(inputs), target);
}

}  // namespace netc::halide
