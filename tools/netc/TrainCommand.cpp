// `netc train`: a training run with the network's recipe (its `train`
// section or the family defaults), overridden by --set and the shortcuts
// --epochs/--iterations/--batch; or, with --bench, the time of training
// steps on synthetic data.
#include "tools/netc/Commands.h"

#include "compiler/Compile.h"
#include "dsl/Params.h"
#include "dsl/TrainRecipe.h"
#include "runtime/Init.h"
#include "runtime/Trainer.h"
#include "runtime/train/Sgd.h"
#include "runtime/train/TrainLoop.h"

#include "mlir/IR/MLIRContext.h"

#include <nlohmann/json.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <stdexcept>

namespace netc::cli {

namespace {

dsl::TrainRecipe recipeFor(const TrainArgs &a, const dsl::Network &net) {
  dsl::TrainRecipe r = net.train;
  for (const std::string &kv : a.set)
    dsl::applyTrainOverride(r, kv);
  if (a.epochs > 0)
    dsl::applyTrainOverride(r, "epochs=" + std::to_string(a.epochs));
  if (a.iterations > 0)
    dsl::applyTrainOverride(r, "iterations=" + std::to_string(a.iterations));
  if (a.batch > 0)
    dsl::applyTrainOverride(r, "batch=" + std::to_string(a.batch));
  return r;
}

double peakRssMiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;
}

// Median time of `steps` training steps (forward, backward, SGD) after 3
// warm-up steps, on N(0, 1) images and uniform labels.
int bench(const TrainArgs &a, const dsl::LoadedNetwork &n, const dsl::TrainRecipe &r) {
  mlir::MLIRContext ctx;
  auto m = compiler::compileNetwork(ctx, n.network, "train");
  runtime::TrainerOptions to;
  to.batch = static_cast<int>(r.batch);
  auto params = runtime::initialize(dsl::parameterSpecs(n.network), runtime::InitScheme::He, 1);
  runtime::Trainer trainer(*m, params, to);
  runtime::train::SgdOptimizer sgd;
  for (const auto &g : trainer.gradients())
    sgd.addParameter(g.name, g.param, g.grad, g.count);
  const auto &s = trainer.inputShape();
  std::vector<float> images(static_cast<size_t>(s[0] * s[1] * s[2] * s[3]));
  std::vector<int32_t> labels(static_cast<size_t>(s[0]));
  runtime::Rng rng(7);
  for (float &v : images)
    v = static_cast<float>(rng.normal());
  for (int32_t &l : labels)
    l = static_cast<int32_t>(rng.next() % static_cast<uint64_t>(trainer.classes()));
  std::vector<double> times;
  for (int k = 0; k < 3 + a.benchSteps; ++k) {
    auto t0 = std::chrono::steady_clock::now();
    trainer.step(images.data(), labels.data(), static_cast<uint64_t>(k));
    sgd.step(0.01, r.momentum, r.weightDecay);
    double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (k >= 3)
      times.push_back(dt);
  }
  std::sort(times.begin(), times.end());
  double median = times[times.size() / 2], ips = double(r.batch) / median;
  if (a.json) {
    nlohmann::ordered_json j;
    j["network"] = n.network.name;
    j["batch"] = r.batch;
    j["threads"] = a.threads;
    j["images_per_s"] = ips;
    j["median_step_ms"] = median * 1e3;
    j["arena_mib"] = double(trainer.arenaBytes()) / (1 << 20);
    j["peak_rss_mib"] = peakRssMiB();
    std::cout << j.dump() << '\n';
  } else {
    std::printf("%s: batch %lld, %.1f images/s (median step %.1f ms over %d), arena %.1f MiB, "
                "peak RSS %.1f MiB\n",
                n.network.name.c_str(), static_cast<long long>(r.batch), ips, median * 1e3,
                a.benchSteps, double(trainer.arenaBytes()) / (1 << 20), peakRssMiB());
  }
  return 0;
}

} // namespace

int train(const TrainArgs &a) {
  if (!a.target.empty())
    throw std::runtime_error(
        "--target " + a.target + ": netc train runs on this machine's CPU; to train on a GPU, "
        "build the step as a library (netc compile NET --train --target cuda -o DIR) and drive "
        "NAME_train_step from your loop (docs/aot.md)");
  setThreads(a.threads);
  dsl::LoadedNetwork n = loadNetworkArgs(a.net);
  dsl::TrainRecipe r = recipeFor(a, n.network);
  if (a.bench)
    return bench(a, n, r);
  std::fprintf(stderr, "netc train %s on %s: %s\n", n.network.name.c_str(), a.data.c_str(),
               dsl::describeRecipe(r).c_str());
  runtime::train::TrainConfig cfg;
  cfg.net = n.network;
  cfg.canonical = n.canonical;
  cfg.recipe = r;
  cfg.data = a.data;
  cfg.trainLimit = static_cast<size_t>(a.trainLimit);
  cfg.testLimit = static_cast<size_t>(a.testLimit);
  cfg.outDir = a.out;
  cfg.resume = a.resume;
  cfg.stopAfter = a.stopAfter;
  runtime::train::TrainResult res = runtime::train::runTraining(cfg);
  if (a.json) {
    nlohmann::ordered_json j;
    j["steps"] = res.steps;
    j["seconds"] = res.seconds;
    j["images_per_s"] = res.imagesPerSecond;
    j["final_loss"] = res.finalLoss;
    j["top1_error"] = res.top1Error;
    j["top5_error"] = res.top5Error;
    j["images"] = res.evalImages;
    j["checkpoint"] = res.checkpoint;
    std::cout << j.dump() << '\n';
  } else if (res.evalImages == 0) {
    std::printf("%s: stopped after %lld steps; resume from %s with --resume\n",
                n.network.name.c_str(), static_cast<long long>(res.steps), res.checkpoint.c_str());
  } else {
    std::printf("%s: %lld steps in %.1f s (%.0f images/s); test accuracy %.2f%% (top-1 error "
                "%.2f%%, top-5 error %.2f%%, %lld images); weights and state in %s\n",
                n.network.name.c_str(), static_cast<long long>(res.steps), res.seconds,
                res.imagesPerSecond, 100 * (1 - res.top1Error), 100 * res.top1Error,
                100 * res.top5Error, static_cast<long long>(res.evalImages),
                res.checkpoint.c_str());
  }
  return 0;
}

} // namespace netc::cli
