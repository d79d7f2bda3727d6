// The work behind each netc subcommand. main.cpp only parses the command
// line (CLI11 is slow to compile, so it stays in that one file).
#pragma once

#include "dsl/Elaborate.h"
#include "runtime/NamedTensor.h"

#include <string>
#include <vector>

namespace netc::cli {

struct NetArgs {
  std::string file;
  std::vector<std::string> defs; // "-D name=value"
};

struct CompileArgs {
  NetArgs net;
  std::string emit = "fused"; // ast | mlir | fused | halide
  bool train = false;         // --emit=mlir: the "train" stage
  // A library (AotCommand.cpp): -o DIR with --target.
  std::string target, outDir, name, weights, init = "he";
  int batch = 0; // 0: 1 for inference, the recipe's batch with --train
  unsigned long long seed = 1;
  bool embedWeights = false, json = false;
};

struct RunArgs {
  NetArgs net;
  std::string weights, input, output, init = "he";
  std::string target;  // a GPU target: run through a library (DeviceRun.cpp)
  int batch = 1, threads = 0, iterations = 20;
  unsigned long long seed = 1;
  bool bench = false, json = false;
};

struct ImportArgs {
  NetArgs net;
  std::string onnx, out;
};

struct InitArgs {
  NetArgs net;
  std::string out, init = "he";
  unsigned long long seed = 1;
};

struct EvalArgs {
  NetArgs net;
  std::string weights, data = "fashion-mnist";
  int batch = 100, threads = 0;
  long long limit = 0; // 0: the whole test split
  bool json = false;
};

struct TrainArgs {
  NetArgs net;
  std::string data = "fashion-mnist", out = "netc-train";
  std::vector<std::string> set; // "key=value" recipe overrides
  double epochs = 0;
  long long iterations = 0, batch = 0, trainLimit = 0, testLimit = 0, stopAfter = 0;
  int threads = 0;
  bool resume = false, bench = false, json = false;
  int benchSteps = 10;
  std::string target;  // refused with a pointer to --train libraries (CPU only here)
};

struct TuneArgs {
  NetArgs net;
  std::string target = "host", budget = "10m", db;
  int threads = 0;
  int64_t batch = 0;  // --train: 0 = the recipe's
  bool show = false, quiet = false, train = false;
};

/// The network of a .net file with its -D overrides (clear errors).
dsl::LoadedNetwork loadNetworkArgs(const NetArgs &a);
/// The weights of `path` (checked against the network), or initialised ones.
std::vector<runtime::NamedTensor> weightsFor(const dsl::LoadedNetwork &n, const std::string &path,
                                             const std::string &init, uint64_t seed);

int summary(const NetArgs &a, bool json);
int check(const NetArgs &a);
int compile(const CompileArgs &a);
/// `netc compile --target T -o DIR` (AotCommand.cpp): NAME.a + NAME.h.
int compileLibrary(const CompileArgs &a);
/// `netc targets`: the named library targets.
int targets();
/// `netc tune` (TuneCommand.cpp): conv schedules measured into the tuning database.
int tune(const TuneArgs &a);
int run(const RunArgs &a);
/// `netc run --target T` for a GPU target (DeviceRun.cpp): the outputs of
/// one forward of `input` by a library built for T, run in a child process.
std::vector<float> runOnDevice(const RunArgs &a, const dsl::LoadedNetwork &n,
                               const runtime::NamedTensor &input,
                               const std::vector<runtime::NamedTensor> &params,
                               std::vector<int64_t> &outShape);
int weightsImport(const ImportArgs &a);
int weightsInit(const InitArgs &a);
/// `netc eval` (EvalCommand.cpp): top-1/top-5 error on a test split.
int eval(const EvalArgs &a);
int train(const TrainArgs &a);

/// Sets the Halide thread pool size; call before any kernel runs.
void setThreads(int threads);
/// --no-cache: kernels are compiled in memory only (no disk cache).
void disableKernelDiskCache();
/// `netc cache [--clear]`: prints the kernel cache directory and its size.
int cache(bool clear);

} // namespace netc::cli
