#include "runtime/aot/AotLibrary.h"

#include "compiler/halide/AotKernel.h"
#include "compiler/halide/KernelCache.h"
#include "runtime/Executor.h"
#include "runtime/aot/AotTarget.h"
#include "runtime/aot/CSource.h"
#include "runtime/aot/LibraryLayout.h"
#include "runtime/aot/Toolchain.h"
#include "runtime/aot/WeightsBlob.h"

#include <cctype>
#include <chrono>
#include <map>
#include <sstream>
#include <stdexcept>

namespace netc::aot {

namespace hl = netc::halide;

namespace {

LibraryLayout layoutOf(const runtime::ExecPlan &plan, const LibraryOptions &o,
                       std::vector<std::shared_ptr<hl::DeferredKernel>> &kernels) {
  LibraryLayout l;
  l.name = o.name;
  l.origin = o.origin;
  l.target = o.target.to_string();
  l.gpu = o.target.has_gpu_feature();
  l.embedded = o.embedWeights;
  l.batch = plan.batch;
  l.arenaBytes = (plan.arenaBytes + 63) / 64 * 64;
  l.weightFloats = static_cast<int64_t>((plan.weights.size() + 15) / 16 * 16);
  l.inputOffset = plan.inputOffset;
  l.outputOffset = plan.outputOffset;
  l.inputShape = plan.inputShape;
  l.outputShape = plan.outputShape;
  l.outC = plan.outC, l.outH = plan.outH, l.outW = plan.outW;
  std::map<std::string, std::string> fnOf;  // kernel key -> entry name
  std::ostringstream signature;
  signature << hl::DiskCache::stamp() << '|' << l.target << '|' << l.weightFloats;
  for (const runtime::PlanStep &s : plan.steps) {
    auto d = std::dynamic_pointer_cast<hl::DeferredKernel>(s.kernel);
    if (!d)
      throw std::logic_error("AOT plan holds a compiled kernel: " + s.kernel->key());
    auto [it, fresh] = fnOf.emplace(d->key(), o.name + "_k" + std::to_string(fnOf.size()));
    if (fresh) {
      kernels.push_back(d);
      l.kernels.push_back(it->second);
    }
    KernelCall call{it->second, static_cast<int>(l.args.size()), static_cast<int>(s.args.size()),
                    s.name + "  " + s.what, s.conv ? s.conv->flops(1) / 2 : 0.0};
    signature << '|' << d->key();
    for (size_t a = 0; a < s.args.size(); ++a) {
      const runtime::PlanBuffer &b = s.args[a];
      signature << ';' << b.weight << ',' << b.offset;
      if (b.act == plan.inputAct && a + 1 < s.args.size())
        l.inputArgs.push_back(static_cast<int>(l.args.size()));
      if (b.act == plan.outputAct && a + 1 == s.args.size())
        l.outputArg = static_cast<int>(l.args.size());
      l.args.push_back(b);
    }
    l.calls.push_back(call);
  }
  if (l.outputArg < 0)
    throw std::runtime_error("the network's output is not computed by any kernel");
  std::string sig = signature.str();
  l.networkId = hl::fnv1a64(sig.data(), sig.size());
  return l;
}

}  // namespace

void checkLibraryName(const std::string &name) {
  bool ok = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
  for (char c : name)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (!ok)
    throw std::runtime_error("library name '" + name +
                             "' is not a C identifier (letters, digits, '_'; not starting with a "
                             "digit): pass --name");
}

LibraryResult buildLibrary(mlir::ModuleOp module, const std::vector<runtime::NamedTensor> &params,
                           const LibraryOptions &o) {
  auto t0 = std::chrono::steady_clock::now();
  checkLibraryName(o.name);
  if (o.batch < 1)
    throw std::runtime_error("--batch must be at least 1");
  cCompiler(o.target);  // fail before planning when no C compiler is there
  cTriple(o.target);    // refuses architectures we cannot link C for

  // Plan with kernels described, not compiled.
  auto deferred = hl::KernelCache::deferred();
  runtime::ExecPlan plan;
  {
    hl::KernelCache::Scope scope(*deferred);
    runtime::ExecOptions eo;
    eo.batch = o.batch;
    eo.target = o.target;
    eo.planOnly = true;
    plan = runtime::Executor(module, params, eo).plan();
  }
  std::vector<std::shared_ptr<hl::DeferredKernel>> kernels;
  checkGpuWorkspace(o.target, plan.arenaBytes, o.batch);
  LibraryLayout layout = layoutOf(plan, o, kernels);

  std::vector<Halide::Pipeline> pipelines;
  std::vector<std::vector<Halide::Argument>> args;
  for (const auto &k : kernels) {
    pipelines.emplace_back(k->pipeline().out);
    args.emplace_back(k->pipeline().inputs.begin(), k->pipeline().inputs.end());
  }
  LibraryResult r = packageLibrary(o, pipelines, args, layout.kernels, headerSource(layout),
                                   driverSource(layout), weightsBlob(plan.weights, layout.networkId));
  r.workspaceBytes = layout.arenaBytes;
  r.calls = layout.calls.size();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace netc::aot
