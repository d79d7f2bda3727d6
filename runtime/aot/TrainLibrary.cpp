// `netc compile --train --target T -o DIR`: the Trainer's step, planned with
// deferred kernels (forward and training), compiled into a static library
// whose driver also does the SGD update and the BN running statistics.
#include "runtime/aot/AotLibrary.h"

#include "compiler/halide/AotKernel.h"
#include "compiler/halide/KernelCache.h"
#include "runtime/Trainer.h"
#include "runtime/aot/AotTarget.h"
#include "runtime/aot/CSource.h"
#include "runtime/aot/LibraryLayout.h"
#include "runtime/aot/Toolchain.h"
#include "runtime/aot/WeightsBlob.h"
#include "schedules/cpu/backward/TrainKernels.h"

#include <chrono>
#include <map>
#include <sstream>
#include <stdexcept>

namespace netc::aot {

namespace hl = netc::halide;
namespace sb = netc::schedules::backward;
namespace nb = netc::halide::backward;

namespace {

struct Pipelines {
  std::vector<Halide::Pipeline> pipelines;
  std::vector<std::vector<Halide::Argument>> args;
};

TrainLayout trainLayoutOf(const runtime::TrainPlan &plan, const TrainLibraryOptions &o,
                          Pipelines &out) {
  TrainLayout l;
  l.name = o.lib.name;
  l.origin = o.lib.origin;
  l.target = o.lib.target.to_string();
  l.gpu = o.lib.target.has_gpu_feature();
  l.embedded = o.lib.embedWeights;
  l.batch = plan.batch;
  l.classes = plan.classes;
  l.arenaBytes = (plan.arenaBytes + 63) / 64 * 64;
  l.blockFloats = static_cast<int64_t>((plan.block.size() + 15) / 16 * 16);
  l.inputOffset = plan.inputOffset;
  l.lossOffset = plan.lossOffset;
  l.logitsOffset = plan.logitsOffset;
  l.inputShape = plan.inputShape;
  l.params = plan.params;
  l.copies = plan.statCopies;
  l.lr = o.lr, l.momentum = o.momentum, l.weightDecay = o.weightDecay;
  std::map<std::string, std::string> fnOf;
  std::ostringstream signature;
  signature << hl::DiskCache::stamp() << "|train|" << l.target << '|' << l.blockFloats;
  for (const runtime::TrainPlanStep &s : plan.steps) {
    std::string key = s.fwd ? s.fwd->key() : s.train->key();
    auto [it, fresh] = fnOf.emplace(key, l.name + "_k" + std::to_string(fnOf.size()));
    if (fresh) {
      l.kernels.push_back(it->second);
      if (s.fwd) {
        auto d = std::dynamic_pointer_cast<hl::DeferredKernel>(s.fwd);
        if (!d)
          throw std::logic_error("AOT plan holds a compiled kernel: " + key);
        out.pipelines.emplace_back(d->pipeline().out);
        out.args.emplace_back(d->pipeline().inputs.begin(), d->pipeline().inputs.end());
      } else {
        if (s.train->compiled() || !s.train->algo().scalars.empty())
          throw std::logic_error("AOT train plan: unexpected kernel " + key);
        out.pipelines.emplace_back(s.train->algo().outs);
        out.args.emplace_back(s.train->algo().inputs.begin(), s.train->algo().inputs.end());
      }
    }
    KernelCall call{it->second, static_cast<int>(l.args.size()),
                    static_cast<int>(s.in.size() + s.out.size()), s.name + "  " + s.what,
                    s.conv.kind == runtime::TrainConvWork::Kind::None ? 0.0
                                                                      : s.conv.conv.flops(1) / 2};
    signature << '|' << key;
    for (const auto *group : {&s.in, &s.out})
      for (const runtime::TrainPlanArg &a : *group) {
        TrainLayout::Arg t{static_cast<int>(a.kind), a.offset, a.dims};
        signature << ';' << t.kind << ',' << t.offset;
        l.args.push_back(t);
      }
    l.calls.push_back(call);
  }
  std::string sig = signature.str();
  l.networkId = hl::fnv1a64(sig.data(), sig.size());
  return l;
}

}  // namespace

LibraryResult buildTrainLibrary(mlir::ModuleOp module,
                                const std::vector<runtime::NamedTensor> &params,
                                const TrainLibraryOptions &o) {
  auto t0 = std::chrono::steady_clock::now();
  const LibraryOptions &lo = o.lib;
  checkLibraryName(lo.name);
  if (lo.batch < 2)
    throw std::runtime_error("--train needs a batch of at least 2 (batch norm statistics)");
  cCompiler(lo.target);
  cTriple(lo.target);

  auto deferred = hl::KernelCache::deferred();
  runtime::TrainPlan plan;
  sb::TrainKernelPtr sgd, copy, toNhwc;  // a GPU library's plumbing (CTrainGpuSource.cpp)
  {
    hl::KernelCache::Scope scope(*deferred);
    sb::DeferTrainKernels deferTrain;
    runtime::TrainerOptions to;
    to.batch = lo.batch;
    to.target = lo.target;
    to.planOnly = true;
    plan = runtime::Trainer(module, params, to).plan();
    if (lo.target.has_gpu_feature()) {
      sgd = sb::sgdKernel(lo.target);
      copy = sb::flatCopyKernel(lo.target);
      const auto &in = plan.inputShape;  // C, H, W
      toNhwc = sb::nchwToNhwcKernel(
          {static_cast<int>(in[0]), static_cast<int>(in[2]), static_cast<int>(in[1])}, lo.target);
    }
  }
  if (plan.dropout)
    throw std::runtime_error("--train libraries do not support dropout yet (the masks are drawn "
                             "by the runtime): compile the network without dropout");
  checkGpuWorkspace(lo.target, plan.arenaBytes, lo.batch);
  Pipelines pl;
  TrainLayout layout = trainLayoutOf(plan, o, pl);
  std::vector<std::string> names = layout.kernels;
  if (layout.gpu)
    for (const auto &[k, name] :
         {std::pair{sgd, "_sgd"}, std::pair{copy, "_copy"}, std::pair{toNhwc, "_layout"}}) {
      const nb::TrainAlgo &a = k->algo();
      pl.pipelines.emplace_back(a.outs);
      std::vector<Halide::Argument> args(a.inputs.begin(), a.inputs.end());
      args.insert(args.end(), a.scalars.begin(), a.scalars.end());
      pl.args.push_back(args);
      names.push_back(layout.name + name);
    }

  LibraryResult r =
      packageLibrary(lo, pl.pipelines, pl.args, names, trainHeaderSource(layout),
                     trainDriverSource(layout), weightsBlob(plan.block, layout.networkId));
  r.workspaceBytes = layout.arenaBytes;
  r.calls = layout.calls.size();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace netc::aot
