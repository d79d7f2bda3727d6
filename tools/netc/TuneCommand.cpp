// `netc tune`: measures the best schedule for every distinct conv kernel of
// a network (TuneWork.h: of its inference pass, or with --train of its
// training step) and stores it in the tuning database (schedules/tuning).
#include "tools/netc/Commands.h"

#include "compiler/Compile.h"
#include "dsl/Params.h"
#include "dsl/TrainRecipe.h"
#include "runtime/Init.h"
#include "runtime/aot/AotTarget.h"
#include "tools/netc/TuneWork.h"

#include "mlir/IR/MLIRContext.h"

#include <chrono>
#include <cstdio>
#include <iostream>
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

struct Totals {
  int tuned = 0, known = 0, skipped = 0;
  double defaultSum = 0, bestSum = 0;  // ms, weighted by repeats
};

// Tunes every item not in the database before `deadline`, saving after each
// (interrupting loses at most the item in progress).
Totals tuneItems(TuneWork &w, Clock::time_point deadline, bool quiet) {
  schedules::TuningDb &db = schedules::TuningDb::global();
  Totals tot;
  size_t n = w.items.size();
  for (size_t i = 0; i < n; ++i) {
    const TuneItem &it = w.items[i];
    if (std::optional<TuneResult> hit = it.known()) {
      ++tot.known;
      tot.defaultSum += hit->defaultMs * it.repeats;
      tot.bestSum += hit->ms * it.repeats;
      std::printf("[%2zu/%zu] %-40s x%d  in the database: %.3f ms (built-in %.3f)\n", i + 1, n,
                  it.what.c_str(), it.repeats, hit->ms, hit->defaultMs);
      continue;
    }
    if (Clock::now() > deadline) {
      ++tot.skipped;
      continue;
    }
    TuneResult r = it.tune(deadline, [&](const schedules::TuneProgress &p) {
      if (quiet) return;
      std::fprintf(stderr,
                   "\r[%2zu/%zu] %-40s candidate %d/%d  best %.3f ms (built-in %.3f) %s\033[K",
                   i + 1, n, it.what.c_str(), p.done, p.total, p.bestMs, p.defaultMs,
                   p.next.c_str());
    });
    if (!quiet) std::fprintf(stderr, "\r\033[K");
    db.save();
    ++tot.tuned;
    tot.defaultSum += r.defaultMs * it.repeats;
    tot.bestSum += r.ms * it.repeats;
    std::printf("[%2zu/%zu] %-40s x%d  %.3f ms -> %.3f ms (%.2fx)  %s\n", i + 1, n,
                it.what.c_str(), it.repeats, r.defaultMs, r.ms, r.defaultMs / r.ms,
                r.schedule.c_str());
  }
  return tot;
}

// An item measured alone is not a kernel inside the network (its inputs
// arrive from other kernels; caches differ), so every tuned item is checked
// in place: the network runs with the built-in and with the tuned schedules,
// and an item whose kernels got slower there goes back to its built-in
// schedule.
void checkInNetwork(TuneWork &w, const std::string &path) {
  schedules::TuningDb::use("");
  std::vector<double> base = w.kernelSeconds();
  schedules::TuningDb::use(path);
  std::vector<double> with = w.kernelSeconds();
  std::vector<double> b(w.items.size()), t(w.items.size());
  double builtinNet = 0, tunedNet = 0;
  for (size_t k = 0; k < base.size(); ++k) {
    builtinNet += base[k];
    tunedNet += with[k];
    if (int i = w.itemOfStep[k]; i >= 0) b[i] += base[k], t[i] += with[k];
  }
  int reverted = 0;
  for (size_t i = 0; i < w.items.size(); ++i) {
    const TuneItem &it = w.items[i];
    std::optional<TuneResult> hit = it.known();
    if (!hit || hit->builtin || t[i] <= b[i]) continue;
    it.revert();
    ++reverted;
    tunedNet += b[i] - t[i];  // the network time once this item is built-in again
    std::printf("in the network: %s is %.3f ms tuned vs %.3f ms built-in: kept built-in\n",
                it.what.c_str(), t[i] * 1e3, b[i] * 1e3);
  }
  schedules::TuningDb::global().save();
  std::printf("network, %s: built-in %.2f ms, tuned %.2f ms (%.2fx; %d kept built-in)\n",
              w.unit.c_str(), builtinNet * 1e3, tunedNet * 1e3, builtinNet / tunedNet, reverted);
}

}  // namespace

int tune(const TuneArgs &a) {
  setThreads(a.threads);
  std::string path = a.db.empty() ? schedules::TuningDb::defaultPath() : a.db;
  if (path.empty())
    throw std::runtime_error("no tuning database location (NETC_CACHE is off): pass --db PATH");
  schedules::TuningDb::use(path);
  if (a.show) {
    std::cout << schedules::TuningDb::global().text();
    return 0;
  }
  double budget = parseBudget(a.budget);
  Halide::Target target = aot::parseTarget(a.target);
  if (!aot::runsHere(target))
    throw std::runtime_error("target " + target.to_string() +
                             " cannot run on this machine, so it cannot be measured here");
  dsl::LoadedNetwork n = loadNetworkArgs(a.net);
  // Inference is tuned at batch 1 unless told; a training step at its recipe's batch.
  int batch = static_cast<int>(a.batch > 0 ? a.batch : a.train ? n.network.train.batch : 1);
  if (a.train && batch < 2)
    throw std::runtime_error("--train needs a batch of at least 2 (batch norm statistics)");
  mlir::MLIRContext ctx;
  auto m = compiler::compileNetwork(ctx, n.network, a.train ? "train" : "fused");
  // Any weights do: plans and timings depend on shapes only.
  auto params = runtime::initialize(dsl::parameterSpecs(n.network), runtime::InitScheme::He, 1);
  std::unique_ptr<TuneWork> work = a.train ? trainingWork(*m, params, target, batch)
                                           : inferenceWork(*m, params, target, batch);
  Clock::time_point start = Clock::now();
  Clock::time_point deadline = start + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(budget));
  std::printf("netc tune: %zu distinct conv kernels of %s (%s), target %s, %d thread(s), budget "
              "%.0f s\ndatabase: %s\n",
              work->items.size(), n.network.name.c_str(), work->unit.c_str(),
              target.to_string().c_str(), schedules::currentThreads(), budget, path.c_str());
  Totals tot = tuneItems(*work, deadline, a.quiet);
  if (tot.tuned + tot.known > 0) checkInNetwork(*work, path);
  double took = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("tuned %d, already known %d, left for a later run %d, in %.1f s; conv time per "
              "%s %.2f ms -> %.2f ms (%.2fx)\n",
              tot.tuned, tot.known, tot.skipped, took, a.train ? "step" : "image", tot.defaultSum,
              tot.bestSum, tot.bestSum > 0 ? tot.defaultSum / tot.bestSum : 1.0);
  return 0;
}

}  // namespace netc::cli
