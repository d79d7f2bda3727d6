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
  runtime::ExecPlan plan;
  {
    auto deferred = halide::KernelCache::deferred();
    halide::KernelCache::Scope scope(*deferred);
    runtime::ExecOptions eo;
    eo.target = target;
    eo.planOnly = true;
    // Any weights do: the plan depends on shapes only.
    auto params = runtime::initialize(dsl::parameterSpecs(n.network), runtime::InitScheme::He, 1);
    plan = runtime::Executor(*m, params, eo).plan();
  }
  // Distinct layers, in network order.
  int threads = schedules::currentThreads();
  std::vector<std::pair<std::string, halide::ConvSpec>> layers;
  std::map<std::string, int> repeats;
  for (const runtime::PlanStep &s : plan.steps)
    if (s.conv) {
      std::string key = schedules::TuningDb::convKey(*s.conv, target, threads);
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
  double took = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("tuned %d, already known %d, left for a later run %d, in %.1f s; conv time per "
              "image %.2f ms -> %.2f ms (%.2fx)\n",
              tuned, known, skipped, took, defaultSum, bestSum,
              bestSum > 0 ? defaultSum / bestSum : 1.0);
  return 0;
}

}  // namespace netc::cli
