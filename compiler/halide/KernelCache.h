// In-process cache of JIT-compiled kernels.
//
// JIT-compiling one fused conv costs ~0.5 s, and networks repeat layer shapes,
// so each distinct kernel is compiled once and shared. The key is a string
// "<op>|<spec key>|<target>|<schedule key>": two requests with equal keys
// must build identical pipelines, which holds because algorithms depend only
// on the spec and schedules only on their params and the target.
//
// Not cached on disk yet: Halide 14 can AOT-compile to an object or static
// library, but loading such code back into a running process (dlopen of a
// generated .so plus argument marshalling) is not provided by the JIT API,
// so a disk cache is a later, separate piece.
#pragma once

#include <Halide.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace netc::halide {

// A compiled pipeline and the ImageParams it reads, in call order.
class Kernel {
 public:
  Kernel(Halide::Pipeline p, std::vector<Halide::ImageParam> inputs, Halide::Target t);
  // Runs into `out`, whose shape must match the spec. Buffers are bound per
  // call through a ParamMap, so a Kernel holds no pointer to caller data.
  // Shape mismatches throw Halide::RuntimeError. Calls on one Kernel are
  // serialised (Pipeline::realize keeps per-call state); run distinct
  // Kernels concurrently, or use the Halide thread pool inside one.
  void run(const std::vector<Halide::Buffer<float>> &inputs, Halide::Buffer<float> &out);
  const Halide::Target &target() const { return target_; }

 private:
  Halide::Pipeline pipeline_;
  std::vector<Halide::ImageParam> inputs_;
  Halide::Target target_;
  std::mutex runMu_;
};

class KernelCache {
 public:
  using Builder = std::function<std::shared_ptr<Kernel>()>;
  // Returns the cached kernel for `key`, building it with `build` on a miss.
  std::shared_ptr<Kernel> get(const std::string &key, const Builder &build);
  size_t size() const;
  size_t misses() const { return misses_; }
  static KernelCache &global();

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Kernel>> kernels_;
  size_t misses_ = 0;
};

// JIT-compiles `out` for `target` (after it was scheduled) into a Kernel.
std::shared_ptr<Kernel> compileKernel(Halide::Func out, std::vector<Halide::ImageParam> inputs,
                                      const Halide::Target &target);

}  // namespace netc::halide
