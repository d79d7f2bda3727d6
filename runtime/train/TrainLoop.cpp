#include "runtime/train/TrainLoop.h"

#include "compiler/Compile.h"
#include "dsl/Params.h"
#include "runtime/Executor.h"
#include "runtime/Init.h"
#include "runtime/Trainer.h"
#include "runtime/data/ColourStats.h"
#include "runtime/data/Loader.h"
#include "runtime/train/Checkpoint.h"
#include "runtime/train/DataSource.h"
#include "runtime/train/Evaluate.h"
#include "runtime/train/LrSchedule.h"
#include "runtime/train/Progress.h"
#include "runtime/train/Sgd.h"
#include "runtime/train/TrainLog.h"

#include "mlir/IR/MLIRContext.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace netc::runtime::train {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int64_t correctCount(const float *logits, const int32_t *labels, int64_t n, int64_t k) {
  int64_t hits = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float *row = logits + i * k;
    int64_t best = 0;
    for (int64_t j = 1; j < k; ++j)
      if (row[j] > row[best])
        best = j;
    hits += best == labels[i];
  }
  return hits;
}

std::string fmt(double v, int prec) {
  std::ostringstream o;
  o.precision(prec);
  o << std::fixed << v;
  return o.str();
}

/// Everything one run holds; the member functions are the loop's phases.
class Run {
public:
  explicit Run(const TrainConfig &cfg) : cfg_(cfg), r_(cfg.recipe) {}
  TrainResult go();

private:
  void openData();
  std::vector<NamedTensor> startingParams();
  void evaluateNow(Progress &progress);
  void checkpoint();
  void guard(double loss, const data::BatchView &v);

  const TrainConfig &cfg_;
  const dsl::TrainRecipe &r_;
  std::shared_ptr<const data::Dataset> train_, test_;
  data::ColourStats stats_;
  InputNorm norm_;
  std::unique_ptr<data::Loader> loader_, evalLoader_;
  mlir::MLIRContext ctx_;
  mlir::OwningOpRef<mlir::ModuleOp> fused_;
  std::unique_ptr<Trainer> trainer_;
  std::unique_ptr<SgdOptimizer> sgd_;
  std::unique_ptr<LrSchedule> sched_;
  std::unique_ptr<TrainLog> log_;
  std::optional<Checkpoint> resumed_;
  int64_t step_ = 0, total_ = 0, perEpoch_ = 1;
  TrainResult result_;
  std::string ckPath_;
};

void Run::openData() {
  DataSplits s = openDataSource(cfg_.data, true);
  train_ = firstSamples(s.train, cfg_.trainLimit);
  test_ = firstSamples(s.test, cfg_.testLimit);
  checkDataFits(cfg_.net, *train_, cfg_.data);
  checkDataFits(cfg_.net, *test_, cfg_.data);
  stats_ = data::computeColourStats(*train_);
  norm_ = resumed_ ? readInputNorm(resumed_->tensors, cfg_.net.input.c)
                   : inputNormFromStats(stats_, r_.mean, *train_);
  data::LoaderConfig lc;
  lc.batchSize = static_cast<size_t>(r_.batch);
  lc.seed = r_.seed;
  loader_ = std::make_unique<data::Loader>(train_, trainAugment(r_, norm_, cfg_.net.input, stats_),
                                           lc);
  if (loader_->batchesPerEpoch() == 0)
    throw std::runtime_error("the training data has " + std::to_string(train_->size()) +
                             " images, fewer than one batch of " + std::to_string(r_.batch));
  data::LoaderConfig ec;
  ec.batchSize = static_cast<size_t>(cfg_.evalBatch);
  ec.shuffle = false;
  ec.dropLast = false;
  evalLoader_ = std::make_unique<data::Loader>(test_, evalAugment(norm_, cfg_.net.input, *test_),
                                               ec);
}

std::vector<NamedTensor> Run::startingParams() {
  if (resumed_)
    return resumed_->tensors;
  return initialize(dsl::parameterSpecs(cfg_.net), InitScheme::He, r_.seed);
}

void Run::evaluateNow(Progress &progress) {
  ExecOptions eo;
  eo.batch = cfg_.evalBatch;
  Executor ex(*fused_, trainer_->parameters(), eo);
  EvalCounts c = evaluate(ex, *evalLoader_);
  double epoch = double(step_) / double(perEpoch_);
  log_->logEval({step_, epoch, c.top1Error(), c.top5Error(), NAN, c.images, 0});
  progress.note("epoch " + fmt(epoch, 2) + ": test top-1 error " + fmt(100 * c.top1Error(), 2) +
                "%, top-5 error " + fmt(100 * c.top5Error(), 2) + "% (" +
                std::to_string(c.images) + " images)");
  sched_->endEpoch(c.top1Error());
  result_.top1Error = c.top1Error();
  result_.top5Error = c.top5Error();
  result_.evalImages = c.images;
}

void Run::checkpoint() {
  Checkpoint c;
  c.tensors = trainer_->parameters();
  storeInputNorm(norm_, c.tensors);
  c.momentum = sgd_->exportMomentum();
  c.step = step_;
  c.samplesConsumed = step_ * r_.batch;
  c.loader = loader_->state();
  c.schedule = sched_->state();
  saveCheckpoint(ckPath_, cfg_.net.name, cfg_.canonical, c);
}

void Run::guard(double loss, const data::BatchView &v) {
  if (std::isfinite(loss))
    return;
  std::string where = trainer_->findNonFinite(v.images, v.labels, static_cast<uint64_t>(step_));
  throw std::runtime_error("the loss became " + std::string(std::isnan(loss) ? "nan" : "inf") +
                           " at step " + std::to_string(step_ + 1) +
                           (where.empty() ? "" : "; the first non-finite value is in " + where) +
                           "\nhint: lower the learning rate (--set lr=...) or check the data");
}

TrainResult Run::go() {
  std::filesystem::create_directories(cfg_.outDir);
  ckPath_ = cfg_.outDir + "/checkpoint.nw";
  if (cfg_.resume) {
    std::vector<std::string> names;
    for (const dsl::ParamSpec &p : dsl::parameterSpecs(cfg_.net))
      names.push_back(p.name);
    resumed_ = loadCheckpoint(ckPath_, cfg_.net.name, cfg_.canonical, names);
  }
  openData();
  perEpoch_ = static_cast<int64_t>(loader_->batchesPerEpoch());
  total_ = totalIterations(r_, static_cast<int64_t>(train_->size()));

  fused_ = compiler::compileNetwork(ctx_, cfg_.net, "fused");
  auto trainModule = compiler::compileNetwork(ctx_, cfg_.net, "train");
  TrainerOptions to;
  to.batch = static_cast<int>(r_.batch);
  to.seed = r_.seed;
  trainer_ = std::make_unique<Trainer>(*trainModule, startingParams(), to);
  sgd_ = std::make_unique<SgdOptimizer>();
  for (const Trainer::Gradient &g : trainer_->gradients())
    sgd_->addParameter(g.name, g.param, g.grad, g.count);
  sched_ = std::make_unique<LrSchedule>(r_, total_, perEpoch_);
  if (resumed_) {
    sgd_->importState(resumed_->momentum, resumed_->step);
    sched_->restore(resumed_->schedule);
    loader_->restore(resumed_->loader);
    step_ = resumed_->step;
  }
  log_ = std::make_unique<TrainLog>(cfg_.outDir, resumed_ ? step_ : -1);

  ProgressConfig pc;
  pc.totalSteps = total_;
  pc.stepsPerEpoch = perEpoch_;
  pc.firstStep = step_;
  pc.tty = cfg_.progress ? -1 : 0;
  pc.everySteps = cfg_.progress ? 0 : INT64_MAX;
  pc.everySeconds = cfg_.progress ? 10 : 1e30;
  Progress progress(pc);

  int64_t k = trainer_->classes(), stop = cfg_.stopAfter ? cfg_.stopAfter : total_;
  double trainSeconds = 0;
  Clock::time_point start = Clock::now();
  while (step_ < total_ && step_ < stop) {
    Clock::time_point t0 = Clock::now();
    data::BatchView v = loader_->acquire();
    double lr = sched_->lr(step_);
    double loss = trainer_->step(v.images, v.labels, static_cast<uint64_t>(step_));
    guard(loss, v);
    int64_t hits = correctCount(trainer_->logits(), v.labels, r_.batch, k);
    loader_->release();
    sgd_->step(lr, r_.momentum, r_.weightDecay);
    ++step_;
    double dt = since(t0);
    trainSeconds += dt;
    progress.update(step_, loss, hits, r_.batch);
    sched_->reportTrainingError(1 - progress.smoothedAccuracy());
    log_->logStep({step_, double(step_) / double(perEpoch_), lr, loss,
                   1 - double(hits) / double(r_.batch), double(r_.batch) / dt, since(start)});
    result_.finalLoss = loss;
    if (step_ % perEpoch_ == 0 || step_ == total_) {
      evaluateNow(progress);
      checkpoint();
    } else if (step_ == stop) {
      checkpoint();
    }
  }
  progress.finish();
  int64_t ran = step_ - (resumed_ ? resumed_->step : 0);
  result_.steps = step_;
  result_.seconds = since(start);
  result_.imagesPerSecond = trainSeconds > 0 ? double(ran * r_.batch) / trainSeconds : 0;
  result_.checkpoint = ckPath_;
  return result_;
}

} // namespace

int64_t totalIterations(const dsl::TrainRecipe &r, int64_t samples) {
  if (r.iterations > 0)
    return r.iterations;
  int64_t perEpoch = samples / r.batch; // the loader drops the last partial batch
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(r.epochs * double(perEpoch))));
}

TrainResult runTraining(const TrainConfig &cfg) {
  Run run(cfg);
  return run.go();
}

} // namespace netc::runtime::train
