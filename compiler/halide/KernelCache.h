// Compiled kernels and their cache: in memory, and on disk as AOT libraries.
//
// JIT-compiling one fused conv costs ~0.5 s, and networks repeat layer shapes,
// so each distinct kernel is compiled once per process and shared. The key is
// a string "<op>|<spec key>|<target>|<schedule key>": two requests with equal
// keys must build identical pipelines, which holds because algorithms depend
// only on the spec and schedules only on their params and the target.
//
// On a miss in memory the disk cache (AotKernel.h) is tried: a shared object
// AOT-compiled by an earlier process is verified and dlopened, so a second
// `netc run` compiles nothing. On a disk miss the pipeline is AOT-compiled,
// linked with the system compiler and stored; without a compiler (or with the
// disk cache off: NETC_CACHE=off, `--no-cache`) kernels are JIT-compiled as
// before. Both kinds are one `Kernel` interface; see README.md for the layout.
#pragma once

#include <Halide.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace netc::halide {

class DiskCache;

// A compiled kernel: JIT (JitKernel) or loaded from an AOT library (AotKernel).
// Its arguments are numInputs() float input buffers, then the output buffer.
class Kernel {
 public:
  enum class Origin { Jit, Aot, Deferred };
  Kernel(std::string key, size_t numInputs, Halide::Target t)
      : key_(std::move(key)), numInputs_(numInputs), target_(std::move(t)) {}
  virtual ~Kernel() = default;
  Kernel(const Kernel &) = delete;
  Kernel &operator=(const Kernel &) = delete;

  // The fast path: `args` holds numInputs() + 1 prepared buffers (inputs, then
  // the output). An AOT kernel passes them straight to its `<fn>_argv`: no
  // allocation, no lock. Errors (e.g. a shape mismatch) throw
  // Halide::RuntimeError.
  virtual void run(halide_buffer_t *const *args) = 0;
  // Convenience: checks the input count (std::invalid_argument) and forwards.
  void run(const std::vector<Halide::Buffer<float>> &inputs, Halide::Buffer<float> &out);

  virtual Origin origin() const = 0;
  const std::string &key() const { return key_; }
  size_t numInputs() const { return numInputs_; }
  const Halide::Target &target() const { return target_; }

 private:
  std::string key_;
  size_t numInputs_;
  Halide::Target target_;
};

// A JIT-compiled pipeline and the ImageParams it reads, in call order. Calls
// are serialised (Pipeline::realize keeps per-call state) and bind buffers
// through a ParamMap per call.
class JitKernel final : public Kernel {
 public:
  JitKernel(std::string key, Halide::Pipeline p, std::vector<Halide::ImageParam> inputs,
            Halide::Target t);
  void run(halide_buffer_t *const *args) override;
  using Kernel::run;
  Origin origin() const override { return Origin::Jit; }

 private:
  Halide::Pipeline pipeline_;
  std::vector<Halide::ImageParam> inputs_;
  std::mutex runMu_;
};

// A scheduled, not yet compiled pipeline: its output and inputs in call order.
struct PipelineDef {
  Halide::Func out;
  std::vector<Halide::ImageParam> inputs;
};

// A kernel that is only described, not compiled: what an ahead-of-time
// library build (runtime/aot) collects. run() throws std::logic_error.
class DeferredKernel final : public Kernel {
 public:
  DeferredKernel(std::string key, PipelineDef def, Halide::Target t)
      : Kernel(std::move(key), def.inputs.size(), std::move(t)), def_(std::move(def)) {}
  void run(halide_buffer_t *const *args) override;
  using Kernel::run;
  Origin origin() const override { return Origin::Deferred; }
  const PipelineDef &pipeline() const { return def_; }

 private:
  PipelineDef def_;
};

class KernelCache {
 public:
  using Builder = std::function<PipelineDef()>;
  struct Stats {
    size_t memoryHits = 0;
    size_t diskLoads = 0;    // AOT libraries loaded from disk (no compilation)
    size_t diskRejects = 0;  // cache files found but corrupt or mismatched (rebuilt)
    size_t aotCompiles = 0;  // kernels AOT-compiled and stored
    size_t jitCompiles = 0;  // kernels JIT-compiled (disk cache off or unusable)
    size_t compiles() const { return aotCompiles + jitCompiles; }
  };

  // A cache with the disk layer configured from the environment (see
  // diskCacheDirFromEnv); `dir` empty = memory and JIT only.
  KernelCache();
  explicit KernelCache(const std::string &diskDir);
  ~KernelCache();

  // A cache that compiles nothing: get() returns DeferredKernels holding the
  // scheduled pipelines, for an ahead-of-time library to compile itself.
  static std::unique_ptr<KernelCache> deferred();
  bool isDeferred() const { return deferred_; }

  // Returns the kernel for `key`: from memory, else from the disk cache, else
  // built with `build` and compiled (AOT into the disk cache, or JIT).
  std::shared_ptr<Kernel> get(const std::string &key, const Halide::Target &target,
                              const Builder &build);

  // Disk layer: enable at `dir` (created on demand) or disable (empty).
  // Kernels already in memory stay.
  void setDiskDir(const std::string &dir);
  std::string diskDir() const;

  size_t size() const;
  size_t misses() const;  // requests not served from memory
  Stats stats() const;
  // The process-wide cache, unless a Scope on this thread says otherwise.
  // Kernel builders (schedules/) always ask global().
  static KernelCache &global();

  // While alive, global() on this thread returns `cache` (e.g. a deferred
  // cache while a library is planned). Scopes nest.
  class Scope {
   public:
    explicit Scope(KernelCache &cache);
    ~Scope();
    Scope(const Scope &) = delete;
    Scope &operator=(const Scope &) = delete;

   private:
    KernelCache *previous_;
  };

 private:
  bool deferred_ = false;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Kernel>> kernels_;
  std::unique_ptr<DiskCache> disk_;
  Stats stats_;
};

// The disk cache directory the environment asks for: "" when NETC_CACHE is
// off/0/no/false, else $NETC_CACHE_DIR, else $XDG_CACHE_HOME/netc, else
// $HOME/.cache/netc ("" if none is set).
std::string diskCacheDirFromEnv();

// JIT-compiles `out` for `target` (after it was scheduled) into a Kernel.
std::shared_ptr<Kernel> compileKernel(Halide::Func out, std::vector<Halide::ImageParam> inputs,
                                      const Halide::Target &target, const std::string &key = "");

}  // namespace netc::halide
