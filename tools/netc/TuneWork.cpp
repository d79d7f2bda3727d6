#include "tools/netc/TuneWork.h"

#include "compiler/halide/KernelCache.h"
#include "runtime/Executor.h"
#include "runtime/Init.h"
#include "runtime/Trainer.h"
#include "schedules/cpu/backward/ConvBwdTuned.h"
#include "schedules/cpu/backward/TrainKernel.h"
#include "schedules/tuning/ConvBwdTuner.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace netc::cli {

namespace {

namespace hl = netc::halide;
namespace nb = netc::halide::backward;
namespace sc = netc::schedules;
namespace sb = netc::schedules::backward;
using sc::TuningDb;

std::string describe(const char *kind, const hl::ConvSpec &s, const char *extra = "") {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s %dx%d/%d %d->%d %dx%d%s%s%s%s", kind, s.kh, s.kw, s.sH(),
                s.cin, s.cout, s.inH, s.inW, s.scaleShift || s.bias ? " +bn" : "",
                s.residual != hl::Residual::None ? " +add" : "", s.relu ? " +relu" : "", extra);
  return buf;
}

std::string describeDx(const nb::ConvDxSpec &d) {
  std::string extra = d.add != nb::GradAdd::None ? " +add" : "";
  if (d.reluMask) extra += " +mask";
  return describe("dX", d.conv.geometry(), extra.c_str());
}

// Median over rounds, per kernel.
std::vector<double> medianPerKernel(const std::vector<std::vector<double>> &rounds) {
  std::vector<double> med(rounds[0].size());
  for (size_t i = 0; i < med.size(); ++i) {
    std::vector<double> v;
    for (const auto &r : rounds) v.push_back(r[i]);
    std::sort(v.begin(), v.end());
    med[i] = v[v.size() / 2];
  }
  return med;
}

// A forward conv: of the inference pass (batch 1) or of the training step.
TuneItem convItem(const hl::ConvSpec &spec, const Halide::Target &t, int batch, bool training) {
  TuneItem it;
  it.key = TuningDb::convKey(spec, t, sc::currentThreads(), batch, training);
  it.what = describe("conv", spec);
  std::string key = it.key;
  sc::ConvSchedule builtin = sc::builtinCandidate(spec, t, {batch, training});
  it.known = [=]() -> std::optional<TuneResult> {
    auto hit = TuningDb::global().conv(key);
    if (!hit) return std::nullopt;
    return TuneResult{hit->ms, hit->defaultMs, hit->schedule.key(),
                      hit->schedule.key() == builtin.key()};
  };
  it.tune = [=](auto deadline, const auto &progress) {
    sc::TunedConv r = sc::tuneConv(spec, t, deadline, progress, {batch, training});
    TuningDb::global().setConv(key, r);
    return TuneResult{r.ms, r.defaultMs, r.schedule.key(), r.schedule.key() == builtin.key()};
  };
  it.revert = [=] {
    double ms = TuningDb::global().conv(key).value_or(sc::TunedConv{}).defaultMs;
    TuningDb::global().setConv(key, sc::TunedConv{builtin, ms, ms});
  };
  return it;
}

// A conv gradient; S is its schedule type, kept as database fields.
template <typename S, typename Tune>
TuneItem gradientItem(std::string key, std::string what, const char *section, S builtin,
                      S (*fromFields)(const std::map<std::string, int> &), Tune tune) {
  TuneItem it;
  it.key = key;
  it.what = std::move(what);
  it.known = [=]() -> std::optional<TuneResult> {
    auto hit = TuningDb::global().record(section, key);
    if (!hit) return std::nullopt;
    std::string k = fromFields(hit->fields).key();
    return TuneResult{hit->ms, hit->defaultMs, k, k == builtin.key()};
  };
  it.tune = [=](auto deadline, const auto &progress) {
    sc::TunedSchedule<S> r = tune(deadline, progress);
    TuningDb::global().setRecord(section, key, {sb::toFields(r.schedule), r.ms, r.defaultMs});
    return TuneResult{r.ms, r.defaultMs, r.schedule.key(), r.schedule.key() == builtin.key()};
  };
  it.revert = [=] {
    double ms = TuningDb::global().record(section, key).value_or(sc::TunedRecord{}).defaultMs;
    TuningDb::global().setRecord(section, key, {sb::toFields(builtin), ms, ms});
  };
  return it;
}

// Adds `it` unless an item has its key; returns the item's index.
int addItem(TuneWork &w, std::map<std::string, int> &index, TuneItem it) {
  auto [pos, fresh] = index.insert({it.key, static_cast<int>(w.items.size())});
  if (fresh) w.items.push_back(std::move(it));
  ++w.items[pos->second].repeats;
  return pos->second;
}

class InferenceWork : public TuneWork {
 public:
  InferenceWork(mlir::ModuleOp m, const std::vector<runtime::NamedTensor> &params,
                const Halide::Target &t, int batch)
      : m_(m), params_(params), t_(t), batch_(batch) {
    unit = "inference, batch " + std::to_string(batch);
    runtime::ExecPlan plan;
    {
      auto deferred = hl::KernelCache::deferred();
      hl::KernelCache::Scope scope(*deferred);
      runtime::ExecOptions eo;
      eo.target = t;
      eo.batch = batch;
      eo.planOnly = true;
      plan = runtime::Executor(m, params, eo).plan();
    }
    std::map<std::string, int> index;
    for (const runtime::PlanStep &s : plan.steps)
      itemOfStep.push_back(s.conv ? addItem(*this, index, convItem(*s.conv, t, batch, false)) : -1);
  }

  // Median of 3 rounds of 5 passes each, after 3 warm-up passes.
  std::vector<double> kernelSeconds() override {
    runtime::ExecOptions eo;
    eo.target = t_;
    eo.batch = batch_;
    eo.timeSteps = true;
    runtime::Executor ex(m_, params_, eo);
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
    return medianPerKernel(rounds);
  }

 private:
  mlir::ModuleOp m_;
  const std::vector<runtime::NamedTensor> &params_;
  Halide::Target t_;
  int batch_;
};

class TrainingWork : public TuneWork {
 public:
  TrainingWork(mlir::ModuleOp m, const std::vector<runtime::NamedTensor> &params,
               const Halide::Target &t, int batch)
      : m_(m), params_(params), t_(t), batch_(batch) {
    unit = "training step, batch " + std::to_string(batch);
    runtime::TrainPlan plan;
    {
      auto deferred = hl::KernelCache::deferred();
      hl::KernelCache::Scope scope(*deferred);
      sb::DeferTrainKernels deferTrain;
      plan = runtime::Trainer(m, params, options(true)).plan();
    }
    std::map<std::string, int> index;
    for (const runtime::TrainPlanStep &s : plan.steps)
      itemOfStep.push_back(itemFor(s.conv) ? addItem(*this, index, *itemFor(s.conv)) : -1);
  }

  // Median of 3 rounds of 2 steps each, after 2 warm-up steps.
  std::vector<double> kernelSeconds() override {
    runtime::Trainer tr(m_, params_, options(false));
    const auto &s = tr.inputShape();
    std::vector<float> images(static_cast<size_t>(s[0] * s[1] * s[2] * s[3]));
    std::vector<int32_t> labels(static_cast<size_t>(s[0]));
    runtime::Rng rng(7);
    for (float &v : images) v = static_cast<float>(rng.normal());
    for (int32_t &l : labels) l = static_cast<int32_t>(rng.next() % uint64_t(tr.classes()));
    for (uint64_t k = 0; k < 2; ++k) tr.step(images.data(), labels.data(), k);
    std::vector<std::vector<double>> rounds;
    for (int r = 0; r < 3; ++r) {
      tr.resetTimes();
      for (uint64_t k = 0; k < 2; ++k) tr.step(images.data(), labels.data(), k);
      rounds.push_back(tr.stepSeconds());
    }
    return medianPerKernel(rounds);
  }

 private:
  runtime::TrainerOptions options(bool planOnly) const {
    runtime::TrainerOptions o;
    o.batch = batch_;
    o.target = t_;
    o.planOnly = planOnly;
    o.timeSteps = !planOnly;
    return o;
  }

  std::optional<TuneItem> itemFor(const runtime::TrainConvWork &w) const {
    using Kind = runtime::TrainConvWork::Kind;
    int threads = sc::currentThreads();
    Halide::Target t = t_;
    int n = batch_;
    if (w.kind == Kind::Forward) return convItem(w.conv, t, n, true);
    if (w.kind == Kind::Dx) {
      nb::ConvDxSpec d = w.dx;
      return gradientItem(sb::convDxDbKey(d, t, threads, n), describeDx(d), sb::kConvDxSection,
                          sb::clampConvDxSchedule(d, sb::defaultConvDxSchedule(d, t)),
                          &sb::convDxFromFields, [=](auto deadline, const auto &progress) {
                            return sc::tuneConvDx(d, t, n, deadline, progress);
                          });
    }
    if (w.kind == Kind::Dw) {
      hl::ConvSpec c = w.conv.geometry();
      return gradientItem(sb::convDwDbKey(c, t, threads, n), describe("dW", c), sb::kConvDwSection,
                          sb::clampConvDwSchedule(c, sb::defaultConvDwSchedule(c, t)),
                          &sb::convDwFromFields, [=](auto deadline, const auto &progress) {
                            return sc::tuneConvDw(c, t, n, deadline, progress);
                          });
    }
    return std::nullopt;
  }

  mlir::ModuleOp m_;
  const std::vector<runtime::NamedTensor> &params_;
  Halide::Target t_;
  int batch_;
};

}  // namespace

std::unique_ptr<TuneWork> inferenceWork(mlir::ModuleOp m,
                                        const std::vector<runtime::NamedTensor> &params,
                                        const Halide::Target &t, int batch) {
  return std::make_unique<InferenceWork>(m, params, t, batch);
}

std::unique_ptr<TuneWork> trainingWork(mlir::ModuleOp m,
                                       const std::vector<runtime::NamedTensor> &params,
                                       const Halide::Target &t, int batch) {
  return std::make_unique<TrainingWork>(m, params, t, batch);
}

}  // namespace netc::cli
