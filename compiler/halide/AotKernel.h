// The on-disk kernel cache: AOT-compiled kernels as shared objects.
//
// Halide 14 cannot save JIT code, so a kernel is compiled ahead of time
// (Pipeline::compile_to, OutputFileType::object, target + no_runtime), linked
// with the system compiler (`c++ -shared`) into one shared object per kernel,
// and dlopened by later processes. One Halide runtime per process: it is
// compiled once (compile_standalone_runtime), stored next to the kernels as
// its own shared object and loaded RTLD_GLOBAL before any kernel, whose
// undefined halide_* symbols bind to it (one thread pool, one error handler).
//
// Every file carries a trailer after its ELF image (ignored by the loader):
// format version, stamp (netc version, fingerprint of the algorithm and
// schedule sources, Halide version), the full key, the entry function, the
// input count, and the image's size and FNV-1a-64 hash. A file whose trailer,
// hash or Halide metadata (argument count, kinds, types) does not match is
// never dlopened: it counts as rejected and is rebuilt. Files are written to a
// temporary name and renamed into place, so readers never see a partial file.
#pragma once

#include "compiler/halide/KernelCache.h"

#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace netc::halide {

class DiskCache {
 public:
  explicit DiskCache(std::string dir);
  const std::string &dir() const { return dir_; }

  // The verified, loaded kernel stored for `key`, or null: on a miss, or (with
  // *rejected set) when the file exists but is corrupt or mismatched.
  std::shared_ptr<Kernel> load(const std::string &key, const Halide::Target &t, bool *rejected);

  // AOT-compiles `def`, links, stores and loads it. Null when the toolchain
  // (compiler/linker, cache directory) cannot be used: the caller JITs then
  // (a warning is printed once per process). Halide compile errors throw.
  std::shared_ptr<Kernel> build(const std::string &key, const PipelineDef &def,
                                const Halide::Target &t);

  // The file that holds (or will hold) `key`.
  std::string libraryPath(const std::string &key) const;
  std::string runtimePath(const Halide::Target &t) const;

  // What this build stamps into every file; a different stamp is a miss.
  static std::string stamp();

 private:
  // Makes sure the runtime for `t` is stored in this directory and a runtime
  // is loaded in the process. False when neither could be done.
  bool ensureRuntime(const Halide::Target &t, bool mayBuild);

  std::string dir_;
  std::mutex mu_;
  std::set<std::string> runtimesReady_;  // runtime keys verified in dir_
};

// The runtime-relevant part of a kernel target (OS, arch, bits and a few
// features such as debug or GPU APIs): all CPU variants share one runtime.
Halide::Target runtimeTarget(const Halide::Target &t);

// 64-bit FNV-1a, for file names and image checksums.
uint64_t fnv1a64(const void *data, size_t n, uint64_t seed = 0xcbf29ce484222325ULL);

}  // namespace netc::halide
