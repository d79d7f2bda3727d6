#include "tools/netc/Commands.h"

#include "compiler/Compile.h"
#include "compiler/Pipeline.h"
#include "compiler/halide/KernelCache.h"
#include "dsl/Elaborate.h"
#include "dsl/Params.h"
#include "dsl/Printer.h"
#include "dsl/Summary.h"
#include "runtime/Executor.h"
#include "runtime/Trainer.h"
#include "runtime/Init.h"
#include "runtime/Npy.h"
#include "runtime/OnnxImport.h"
#include "runtime/WeightsFile.h"
#include "runtime/aot/AotTarget.h"

#include "mlir/IR/MLIRContext.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <numeric>
#include <stdexcept>

namespace netc::cli {

dsl::LoadedNetwork loadNetworkArgs(const NetArgs &a) {
  std::vector<dsl::Override> ov;
  for (const std::string &d : a.defs) {
    try {
      ov.push_back(dsl::parseOverride(d));
    } catch (const dsl::Diagnostic &e) {
      throw dsl::Error(dsl::render(e, nullptr));
    }
  }
  return dsl::loadNetwork(a.file, ov);
}

std::vector<runtime::NamedTensor> weightsFor(const dsl::LoadedNetwork &n, const std::string &path,
                                             const std::string &init, uint64_t seed) {
  if (!path.empty())
    return runtime::loadWeightsFor(path, n.network.name, n.canonical).tensors;
  return runtime::initialize(dsl::parameterSpecs(n.network), runtime::parseInitScheme(init), seed);
}

namespace {

runtime::NamedTensor inputFor(const RunArgs &a, const dsl::Network &net) {
  if (!a.input.empty()) {
    runtime::NamedTensor t = runtime::readNpy(a.input);
    std::vector<int64_t> want = {net.input.c, net.input.h, net.input.w};
    if (t.shape.size() != 4 || !std::equal(want.begin(), want.end(), t.shape.begin() + 1))
      throw std::runtime_error("'" + a.input + "' is " + runtime::shapeString(t.shape) +
                               "; the network takes [N, " + std::to_string(want[0]) + ", " +
                               std::to_string(want[1]) + ", " + std::to_string(want[2]) + "]");
    return t;
  }
  runtime::NamedTensor t{"input", {a.batch, net.input.c, net.input.h, net.input.w}, {}};
  runtime::Rng rng(a.seed + 0x1000);
  t.data.resize(static_cast<size_t>(a.batch * net.input.elements()));
  for (float &v : t.data)
    v = static_cast<float>(rng.normal());
  return t;
}

void printTop5(const std::vector<float> &out, int64_t batch, int64_t classes) {
  for (int64_t n = 0; n < batch; ++n) {
    const float *row = out.data() + n * classes;
    std::vector<int64_t> idx(static_cast<size_t>(classes));
    std::iota(idx.begin(), idx.end(), 0);
    size_t k = std::min<size_t>(5, idx.size());
    std::partial_sort(idx.begin(), idx.begin() + static_cast<long>(k), idx.end(),
                      [&](int64_t a, int64_t b) { return row[a] > row[b]; });
    std::printf("image %lld:", static_cast<long long>(n));
    for (size_t j = 0; j < k; ++j)
      std::printf("  %lld (%.4f)", static_cast<long long>(idx[j]), row[idx[j]]);
    std::printf("\n");
  }
}

double medianSeconds(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

} // namespace

void disableKernelDiskCache() { halide::KernelCache::global().setDiskDir(""); }

int cache(bool clear) {
  namespace fs = std::filesystem;
  std::string dir = halide::KernelCache::global().diskDir();
  if (dir.empty()) {
    std::cout << "kernel disk cache: off (NETC_CACHE=off or no cache directory)\n";
    return 0;
  }
  size_t files = 0, bytes = 0;
  std::error_code ec;
  for (const auto &e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    bool ours = e.is_regular_file() && (e.path().extension() == ".so" ||
                                        name.find(".so.tmp-") != std::string::npos);
    if (!ours)
      continue;
    ++files;
    bytes += static_cast<size_t>(e.file_size());
    if (clear)
      fs::remove(e.path(), ec);
  }
  std::cout << "kernel disk cache: " << dir << "\n"
            << (clear ? "removed " : "") << files << " files, " << (bytes + 1023) / 1024 << " KiB\n";
  return 0;
}

void setThreads(int threads) {
  if (threads > 0)
    setenv("HL_NUM_THREADS", std::to_string(threads).c_str(), 1);
}

int summary(const NetArgs &a, bool json) {
  dsl::LoadedNetwork n = loadNetworkArgs(a);
  std::cout << (json ? dsl::summaryJson(n.network) : dsl::summaryTable(n.network));
  return 0;
}

int check(const NetArgs &a) {
  loadNetworkArgs(a);
  return 0;
}

int compile(const CompileArgs &a) {
  if (!a.outDir.empty() || !a.target.empty())
    return compileLibrary(a);
  dsl::LoadedNetwork n = loadNetworkArgs(a.net);
  if (a.emit == "ast") {
    std::cout << dsl::print(n.program);
    return 0;
  }
  mlir::MLIRContext ctx;
  if (a.train && a.emit != "mlir" && a.emit != "halide")
    throw std::runtime_error("--train shows the training graph: use it with --emit=mlir "
                             "(or --emit=halide for its kernels)");
  std::string stage = a.train ? "train" : a.emit == "mlir" ? "mlir" : "fused";
  auto m = compiler::compileNetwork(ctx, n.network, stage);
  if (a.emit != "halide") {
    std::cout << compiler::printModule(*m);
    return 0;
  }
  auto params = runtime::initialize(dsl::parameterSpecs(n.network), runtime::InitScheme::He, 1);
  std::vector<std::string> steps;
  if (a.train)
    steps = runtime::Trainer(*m, params, {}).describeSteps();
  else
    steps = runtime::Executor(*m, params, {}).describeSteps();
  for (const std::string &s : steps)
    std::cout << s << '\n';
  return 0;
}

// run --target: a GPU target only (this CPU is what run uses without one).
int runOnTarget(const RunArgs &a, const dsl::LoadedNetwork &n, const runtime::NamedTensor &input,
                const std::vector<runtime::NamedTensor> &params) {
  if (!aot::parseTarget(a.target).has_gpu_feature())
    throw std::runtime_error("--target picks a GPU (cuda, cuda-80, ... or an OpenCL target); "
                             "without it netc run uses this machine's CPU");
  if (a.bench)
    throw std::runtime_error("--bench times the CPU; time a GPU with make gpu-check (docs/gpu.md)");
  std::vector<int64_t> shape;
  std::vector<float> out = runOnDevice(a, n, input, params, shape);
  if (!a.output.empty())
    runtime::writeNpy(a.output, shape, out.data());
  if (a.json) {
    nlohmann::ordered_json j;
    j["network"] = n.network.name;
    j["batch"] = shape[0];
    j["target"] = a.target;
    if (shape.size() == 2)
      j["outputs"] = out;
    std::cout << j.dump(2) << '\n';
  } else if (shape.size() == 2) {
    printTop5(out, shape[0], shape[1]);
  }
  return 0;
}

int run(const RunArgs &a) {
  setThreads(a.threads);
  dsl::LoadedNetwork n = loadNetworkArgs(a.net);
  runtime::NamedTensor input = inputFor(a, n.network);
  auto params = weightsFor(n, a.weights, a.init, a.seed);
  if (!a.target.empty())
    return runOnTarget(a, n, input, params);
  mlir::MLIRContext ctx;
  auto m = compiler::compileNetwork(ctx, n.network, "fused");
  runtime::ExecOptions opts;
  opts.batch = static_cast<int>(input.shape[0]);
  auto t0 = std::chrono::steady_clock::now();
  runtime::Executor ex(*m, params, opts);
  std::vector<float> out(static_cast<size_t>(
      std::accumulate(ex.outputShape().begin(), ex.outputShape().end(), int64_t(1), std::multiplies<>())));
  ex.forward(input.data.data(), out.data()); // the first pass also compiles
  double compileS = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!a.output.empty())
    runtime::writeNpy(a.output, ex.outputShape(), out.data());
  nlohmann::ordered_json j;
  j["network"] = n.network.name;
  j["batch"] = opts.batch;
  j["arena_bytes"] = ex.arenaBytes();
  j["compile_seconds"] = compileS;
  {
    const halide::KernelCache &kc = halide::KernelCache::global();
    halide::KernelCache::Stats st = kc.stats();
    j["kernel_cache"] = {{"dir", kc.diskDir()},
                         {"loaded", st.diskLoads},
                         {"aot_compiled", st.aotCompiles},
                         {"jit_compiled", st.jitCompiles},
                         {"rejected", st.diskRejects}};
  }
  if (a.bench) {
    for (int k = 0; k < 3; ++k)
      ex.forward(input.data.data(), out.data());
    ex.resetTimes();  // NETC_PROFILE then shows the timed passes, not the first touches
    std::vector<double> times;
    for (int k = 0; k < a.iterations; ++k) {
      auto s = std::chrono::steady_clock::now();
      ex.forward(input.data.data(), out.data());
      times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - s).count());
    }
    double med = medianSeconds(times);
    j["threads"] = a.threads;
    j["median_ms"] = med * 1e3;
    j["images_per_second"] = opts.batch / med;
    if (!a.json)
      std::printf("%s: batch %d, median %.3f ms over %d runs, %.1f images/s\n",
                  n.network.name.c_str(), opts.batch, med * 1e3, a.iterations, opts.batch / med);
  }
  const auto &os = ex.outputShape();
  if (a.json) {
    if (os.size() == 2)
      j["outputs"] = out;
    std::cout << j.dump(2) << '\n';
  } else if (!a.bench && os.size() == 2) {
    printTop5(out, os[0], os[1]);
  }
  return 0;
}

int weightsImport(const ImportArgs &a) {
  dsl::LoadedNetwork n = loadNetworkArgs(a.net);
  runtime::WeightsFile w;
  w.networkName = n.network.name;
  w.networkText = n.canonical;
  w.tensors = runtime::bindOnnxInitializers(dsl::parameterSpecs(n.network),
                                            runtime::loadOnnxModel(a.onnx));
  runtime::saveWeights(a.out, w);
  std::cout << "wrote " << w.tensors.size() << " tensors for '" << w.networkName << "' to " << a.out
            << '\n';
  return 0;
}

int weightsInit(const InitArgs &a) {
  dsl::LoadedNetwork n = loadNetworkArgs(a.net);
  runtime::WeightsFile w;
  w.networkName = n.network.name;
  w.networkText = n.canonical;
  w.tensors = runtime::initialize(dsl::parameterSpecs(n.network),
                                  runtime::parseInitScheme(a.init), a.seed);
  runtime::saveWeights(a.out, w);
  return 0;
}

} // namespace netc::cli
