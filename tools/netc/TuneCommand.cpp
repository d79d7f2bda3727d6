// `netc tune`: measures the best conv schedule for every distinct conv layer
// of a network and stores it in the tuning database (schedules/tuning).
#include "tools/netc/Commands.h"

#include "compiler/Compile.h"
#include "compiler/halide/KernelCache.h"
#include "dsl/Params.h"
#include "runtime/Executor.h"
#include "runtime/Init.h"
#include "runtime/aot/AotTarget.h"
#include "schedules/tuning/ConvTuner.h"

#include "mlir/IR/MLIRContext.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <stdexcept>

namespace netc::cli {

namespace {

using Clock = std::chrono::steady_clock;

// "90", "90s", "10m", "1h" -> seconds.
double parseBudget(const std::string &b) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(b, &used);
  } catch (const std::exception &) {
    used = 0;
  }
  std::string unit = b.substr(used);
  double scale = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : -1;
  if (used == 0 || scale < 0 || v <= 0)
    throw std::runtime_error("--budget '" + b + "': write a duration such as 90s, 10m or 1h");
  return v * scale;
}

std::string describe(const halide::ConvSpec &s) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "conv %dx%d/%d %d->%d %dx%d%s%s%s", s.kh, s.kw, s.sH(), s.cin,
                s.cout, s.inH, s.inW, s.scaleShift || s.bias ? " +bn" : "",
                s.residual != halide::Residual::None ? " +add" : "", s.relu ? " +relu" : "");
  return buf;
}

// Per-step seconds of the whole network at batch 1 (median of 3 rounds of
// 5 passes each, after warm-up), with whatever tuning database is global.
std::vector<double> networkStepTimes(mlir::ModuleOp m, const std::vector<runtime::NamedTensor> &params,
                                     const Halide::Target &target, double *total) {
  runtime::ExecOptions eo;
  eo.target = target;
  eo.timeSteps = true;
  runtime::Executor ex(m, params, eo);
  size_t in = 1, out = 1;
  for (int64_t d : ex.inputShape()) in *= static_cast<size_t>(d);
  for (int64_t d : ex.outputShape()) out *= static_cast<size_t>(d);
  std::vector<float> x(in, 0.5f), y(out);
  for (int k = 0; k < 3; ++k) ex.forward(x.data(), y.data());
  std::vector<std::vector<double>> rounds;
  for (int r = 0; r < 3; ++r) {
    ex.resetTimes();
    for (int k = 0; k < 5; ++k) ex.forward(x.data(), y.data());
    rounds.push_back(ex.stepSeconds());
  }
  std::vector<double> med(rounds[0].size());
  *total = 0;
  for (size_t i = 0; i < med.size(); ++i) {
    std::vector<double> v = {rounds[0][i], rounds[1][i], rounds[2][i]};
    std::sort(v.begin(), v.end());
    med[i] = v[1];
    *total += med[i];
  }
  return med;
}

}  // namespace

int tune(const TuneArgs &a) {
  setThreads(a.threads);
  std::string path = a.db.empty() ? schedules::TuningDb::defaultPath() : a.db;
  if (path.empty())
    throw std::runtime_error("no tuning database location (NETC_CACHE is off): pass --db PATH");
  schedules::TuningDb::use(path);
  schedules::TuningDb &db = schedules::TuningDb::global();
  if (a.show) {
    std::cout << db.text();
    return 0;
  }
  double budget = parseBudget(a.budget);
  Halide::Target target = aot::parseTarget(a.target);
  if (!aot::runsHere(target))
    throw std::runtime_error("target " + target.to_string() +
                             " cannot run on this machine, so it cannot be measured here");
  dsl::LoadedNetwork n = loadNetworkArgs(a.net);
  mlir::MLIRContext ctx;
  auto m = compiler::compileNetwork(ctx, n.network, "fused");
  // Any weights do: plans and timings depend on shapes only.
  auto params = runtime::initialize(dsl::parameterSpecs(n.network), runtime::InitScheme::He, 1);
  runtime::ExecPlan plan;
  {
    auto deferred = halide::KernelCache::deferred();
    halide::KernelCache::Scope scope(*deferred);
    runtime::ExecOptions eo;
    eo.target = target;
    eo.planOnly = true;
    plan = runtime::Executor(*m, params, eo).plan();
  }
  // Distinct layers, in network order.
  int threads = schedules::currentThreads();
  std::vector<std::pair<std::string, halide::ConvSpec>> layers;
  std::map<std::string, int> repeats;
  for (const runtime::PlanStep &s : plan.steps)
    if (s.conv) {
      std::string key = schedules::TuningDb::convKey(*s.conv, target, threads, 1);
      if (repeats[key]++ == 0)
        layers.push_back({key, *s.conv});
    }
  Clock::time_point start = Clock::now();
  Clock::time_point deadline = start + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(budget));
  int tuned = 0, known = 0, skipped = 0;
  double defaultSum = 0, bestSum = 0;
  std::printf("netc tune: %zu distinct conv layers of %s, target %s, %d thread(s), budget %.0f s\n"
              "database: %s\n",
              layers.size(), n.network.name.c_str(), target.to_string().c_str(), threads, budget,
              path.c_str());
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto &[key, spec] = layers[i];
    int rep = repeats[key];
    if (auto hit = db.conv(key)) {
      ++known;
      defaultSum += hit->defaultMs * rep;
      bestSum += hit->ms * rep;
      std::printf("[%2zu/%zu] %-36s x%d  in the database: %.3f ms (built-in %.3f)\n", i + 1,
                  layers.size(), describe(spec).c_str(), rep, hit->ms, hit->defaultMs);
      continue;
    }
    if (Clock::now() > deadline) {
      ++skipped;
      continue;
    }
    schedules::TunedConv t = schedules::tuneConv(
        spec, target, deadline, [&](const schedules::TuneProgress &p) {
          if (a.quiet) return;
          std::fprintf(stderr, "\r[%2zu/%zu] %-36s candidate %d/%d  best %.3f ms (built-in %.3f) %s\033[K",
                       i + 1, layers.size(), describe(spec).c_str(), p.done, p.total, p.bestMs,
                       p.defaultMs, p.next.c_str());
        });
    if (!a.quiet) std::fprintf(stderr, "\r\033[K");
    db.setConv(key, t);
    db.save();  // interrupting loses at most the layer in progress
    ++tuned;
    defaultSum += t.defaultMs * rep;
    bestSum += t.ms * rep;
    std::printf("[%2zu/%zu] %-36s x%d  %.3f ms -> %.3f ms (%.2fx)  %s\n", i + 1, layers.size(),
                describe(spec).c_str(), rep, t.defaultMs, t.ms, t.defaultMs / t.ms,
                t.schedule.key().c_str());
  }
  // A layer measured alone is not a layer inside the network (its input,
  // residual and weights arrive from other layers; caches differ), so every
  // tuned layer is checked in place: the network runs with the built-in and
  // with the tuned schedules, and a layer whose steps got slower in the
  // network goes back to its built-in schedule.
  int reverted = 0;
  double builtinNet = 0, tunedNet = 0;
  if (tuned + known > 0) {
    schedules::TuningDb::use("");
    std::vector<double> base = networkStepTimes(*m, params, target, &builtinNet);
    schedules::TuningDb::use(path);
    std::vector<double> with = networkStepTimes(*m, params, target, &tunedNet);
    std::map<std::string, std::pair<double, double>> perKey;
    for (size_t i = 0; i < plan.steps.size(); ++i)
      if (plan.steps[i].conv) {
        auto &p = perKey[schedules::TuningDb::convKey(*plan.steps[i].conv, target, threads, 1)];
        p.first += base[i];
        p.second += with[i];
      }
    schedules::TuningDb &fresh = schedules::TuningDb::global();
    for (const auto &[key, spec] : layers) {
      halide::ConvSpec plain = spec;
      plain.wBlock = 0;
      plain.winograd = 0;
      schedules::ConvSchedule builtin = schedules::defaultConvSchedule(plain, target);
      auto hit = fresh.conv(key);
      auto [b, w] = perKey[key];
      if (!hit || hit->schedule.key() == builtin.key() || w <= b)
        continue;
      schedules::TunedConv keep{builtin, hit->defaultMs, hit->defaultMs};
      fresh.setConv(key, keep);
      ++reverted;
      tunedNet += b - w;  // the network time once this layer is built-in again
      std::printf("in the network: %s is %.3f ms tuned vs %.3f ms built-in: kept built-in\n",
                  describe(spec).c_str(), w * 1e3, b * 1e3);
    }
    fresh.save();
    std::printf("network, batch 1: built-in %.2f ms, tuned %.2f ms (%.2fx; %d layer(s) kept "
                "built-in)\n",
                builtinNet * 1e3, tunedNet * 1e3, builtinNet / tunedNet, reverted);
  }
  double took = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("tuned %d, already known %d, left for a later run %d, in %.1f s; conv time per "
              "image %.2f ms -> %.2f ms (%.2fx)\n",
              tuned, known, skipped, took, defaultSum, bestSum,
              bestSum > 0 ? defaultSum / bestSum : 1.0);
  return 0;
}

}  // namespace netc::cli
