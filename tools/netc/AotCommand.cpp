// `netc compile --target T -o DIR` and `netc targets`: networks as static
// libraries with a C header (runtime/aot).
#include "compiler/halide/HostTarget.h"
#include "tools/netc/Commands.h"

#include "compiler/Compile.h"
#include "runtime/aot/AotLibrary.h"
#include "runtime/aot/AotTarget.h"

#include "mlir/IR/MLIRContext.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdio>
#include <iostream>
#include <stdexcept>

namespace netc::cli {

namespace {

// "ResNet-20" -> "resnet_20": a C identifier from the network's name.
std::string defaultName(const std::string &network) {
  std::string s;
  for (char c : network)
    s += std::isalnum(static_cast<unsigned char>(c))
             ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
             : '_';
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0])))
    s = "net_" + s;
  return s;
}

}  // namespace

int compileLibrary(const CompileArgs &a) {
  if (a.outDir.empty())
    throw std::runtime_error("--target builds a library: give its directory with -o DIR");
  if (a.target.empty())
    throw std::runtime_error("name the library's target with --target (e.g. --target x86-64-avx2; "
                             "`netc targets` lists them; --target host for this machine only)");
  if (a.emit != "fused")
    throw std::runtime_error("--emit prints a stage; it does not combine with -o/--target");
  aot::LibraryOptions o;
  o.target = aot::parseTarget(a.target);
  dsl::LoadedNetwork n = loadNetworkArgs(a.net);
  o.name = a.name.empty() ? defaultName(n.network.name) : a.name;
  aot::checkLibraryName(o.name);
  o.outDir = a.outDir;
  o.origin = a.net.file;
  o.batch = a.batch > 0 ? a.batch : a.train ? static_cast<int>(n.network.train.batch) : 1;
  o.embedWeights = a.embedWeights;
  auto params = weightsFor(n, a.weights, a.init, a.seed);
  mlir::MLIRContext ctx;
  auto m = compiler::compileNetwork(ctx, n.network, a.train ? "train" : "fused");
  aot::LibraryResult r;
  if (a.train) {
    aot::TrainLibraryOptions t;
    t.lib = o;
    t.lr = n.network.train.lr;
    t.momentum = n.network.train.momentum;
    t.weightDecay = n.network.train.weightDecay;
    r = aot::buildTrainLibrary(*m, params, t);
  } else {
    r = aot::buildLibrary(*m, params, o);
  }
  if (a.json) {
    nlohmann::ordered_json j;
    j["library"] = r.library;
    j["header"] = r.header;
    j["weights"] = r.weights;
    j["target"] = o.target.to_string();
    j["train"] = a.train;
    j["batch"] = o.batch;
    j["kernels"] = r.kernels;
    j["calls"] = r.calls;
    j["library_bytes"] = r.libraryBytes;
    j["workspace_bytes"] = r.workspaceBytes;
    j["weight_bytes"] = r.weightBytes;
    j["seconds"] = r.seconds;
    std::cout << j.dump(2) << '\n';
    return 0;
  }
  std::printf("wrote %s (%.1f MiB: %zu kernels, %zu calls, Halide runtime, driver%s) and %s\n",
              r.library.c_str(), r.libraryBytes / 1048576.0, r.kernels, r.calls,
              a.embedWeights ? ", weights" : "", r.header.c_str());
  if (!r.weights.empty())
    std::printf("wrote %s (%.1f MiB; pass its path to %s_init)\n", r.weights.c_str(),
                r.weightBytes / 1048576.0, o.name.c_str());
  std::printf("target %s, %s %d, workspace %.1f MiB, %.1f s\n", o.target.to_string().c_str(),
              a.train ? "training step, batch" : "batch <=", o.batch, r.workspaceBytes / 1048576.0,
              r.seconds);
  return 0;
}

int targets() {
  for (const aot::NamedTarget &t : aot::namedTargets()) {
    std::string halide = t.halide.empty() ? netc::halide::hostTarget().to_string() : t.halide;
    std::printf("%-16s %s\n%-16s   %s\n", t.name.c_str(), t.description.c_str(), "", halide.c_str());
  }
  std::printf("\nAny Halide target string is accepted as well (Linux, x86-64 or arm-64).\n");
  return 0;
}

}  // namespace netc::cli
