// What building an AOT library needs of the machine: the C compiler for the
// target, files written whole, a scratch directory, and archiving, shared by
// the inference (AotLibrary.cpp) and training (TrainLibrary.cpp) builders.
#pragma once

#include "runtime/aot/AotLibrary.h"

#include <Halide.h>

#include <filesystem>
#include <string>
#include <vector>

namespace netc::aot {

std::string readFile(const std::filesystem::path &p);
void writeText(const std::filesystem::path &p, const std::string &text);
/// $NETC_CC, else clang-14 (any target), else cc (x86-64 only); throws if none.
std::string cCompiler(const Halide::Target &t);
// A GPU library views its workspace through Halide buffers, whose extents
// and offsets are 32-bit element counts: at most 8 GiB. Throws past that.
void checkGpuWorkspace(const Halide::Target &t, int64_t bytes, int batch);
std::string quote(const std::string &s);
/// Runs `cmd`; on failure throws with the compiler's output.
void runCompiler(const std::string &cmd, const std::filesystem::path &log);
/// Freestanding C99 flags for `t` (and -Werror under NETC_AOT_WERROR=1).
std::string cFlags(const Halide::Target &t, const std::string &cc);
/// On the build machine's architecture: force-include Halide's runtime
/// headers so the driver's own declarations are checked against them.
std::string halideHeaderCheck(const Halide::Target &t);
/// Assembly that links `blob` in as NAME_weights_file (64-byte aligned).
std::string weightsAssembly(const std::string &name, const std::filesystem::path &blob);
/// Renames, or throws naming the destination.
void moveInto(const std::filesystem::path &from, const std::filesystem::path &to);

/// Each distinct pipeline of `defs` compiled to DIR/<names[i]>.o for `t`
/// (no runtime), then the Halide runtime once: the object paths.
std::vector<std::string> compileKernelObjects(const std::vector<Halide::Pipeline> &pipelines,
                                              const std::vector<std::vector<Halide::Argument>> &args,
                                              const std::vector<std::string> &names,
                                              const Halide::Target &t,
                                              const std::filesystem::path &dir);

/// The common end of both builders: compiles the kernels, the runtime and
/// the driver, embeds or writes the weights, archives, and moves NAME.a,
/// NAME.h (and NAME.weights) into o.outDir. Fills the sizes and paths.
LibraryResult packageLibrary(const LibraryOptions &o, const std::vector<Halide::Pipeline> &pipelines,
                             const std::vector<std::vector<Halide::Argument>> &args,
                             const std::vector<std::string> &kernelNames,
                             const std::string &header, const std::string &driver,
                             const std::vector<char> &blob);

// A temporary directory next to the outputs, removed on every exit path.
struct TempDir {
  std::filesystem::path path;
  TempDir(const std::filesystem::path &parent, const std::string &name);
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
};

}  // namespace netc::aot
