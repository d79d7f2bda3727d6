#include "runtime/TrainerImpl.h"

#include "runtime/Init.h"
#include "runtime/WeightLayout.h"

#include <cmath>
#include <cstdio>

namespace netc::runtime {

void Trainer::Impl::planArena() {
  std::vector<Lifetime> lives(vals.size());
  auto root = [&](int v) { return vals[v].owner < 0 ? v : vals[v].owner; };
  auto touch = [&](int v, int step) {
    Lifetime &l = lives[root(v)];
    l.last = std::max(l.last, step);
  };
  for (size_t v = 0; v < vals.size(); ++v)
    if (vals[v].owner < 0)
      lives[v].bytes = vals[v].floats() * 4;
  int end = static_cast<int>(steps.size()) + 1;
  for (size_t k = 0; k < steps.size(); ++k) {
    int step = static_cast<int>(k) + 1;
    for (const Arg &a : steps[k].out)
      if (a.val >= 0) {
        if (lives[root(a.val)].first == 0)
          lives[root(a.val)].first = step;
        touch(a.val, step);
      }
    for (const Arg &a : steps[k].in)
      if (a.val >= 0)
        touch(a.val, step);
  }
  // Read after the last kernel: the loss, the logits, the gradients (by
  // the optimiser) and the batch statistics (running-stat update).
  touch(loss, end);
  touch(logits, end);
  for (const Param &p : params)
    if (p.grad >= 0)
      touch(p.grad, end);
  for (const BnUpdate &u : bnUpdates)
    touch(u.stats, end);
  plan = planMemory(lives);
  if (!opts.planOnly)
    arena = alignedFloats(static_cast<size_t>(plan.arenaBytes / 4 + 16));
  for (size_t v = 0; v < vals.size(); ++v)
    vals[v].offset = plan.offsets[root(static_cast<int>(v))] / 4 + vals[v].shift;
}

Halide::Buffer<> Trainer::Impl::buffer(const Arg &a) {
  if (a.labels)
    return Halide::Buffer<int32_t>(labelData.data(), a.dims);
  float *p = a.param ? a.param->ptr : arena.get() + vals[a.val].offset;
  return Halide::Buffer<float>(p, a.dims);
}

void Trainer::Impl::placeParams() {
  // Every tensor starts 256 bytes in: aligned for the CPU's vectors and for
  // a GPU library's views of its parameter block (OpenCL sub-buffers).
  auto padded = [](size_t n) { return (n + 63) / 64 * 64; };
  size_t total = 0;
  for (const Param &p : params)
    total += padded(p.data.size());
  paramBlock = alignedFloats(total);
  float *next = paramBlock.get();
  for (Param &p : params) {
    p.ptr = next;
    p.count = static_cast<int64_t>(p.data.size());
    std::copy(p.data.begin(), p.data.end(), p.ptr);
    next += padded(p.data.size());
    std::vector<float>().swap(p.data);
  }
}

void Trainer::Impl::makeBuffers() {
  const auto &x = shapeOf(input);
  inShape = {opts.batch, x[1], x[2], x[3]};
  if (opts.planOnly)
    return;
  for (Step &s : steps) {
    for (const Arg &a : s.in)
      s.inBufs.push_back(buffer(a));
    for (const Arg &a : s.out)
      s.outBufs.push_back(buffer(a));
    if (s.fwd) {
      for (Halide::Buffer<> &b : s.inBufs)
        s.args.push_back(b.raw_buffer());
      s.args.push_back(s.outBufs[0].raw_buffer());
    }
  }
}

void Trainer::Impl::fillMask(Step &s, uint64_t stepIndex, size_t k) {
  // A fresh Bernoulli(1 - rate) mask per (seed, step, op): deterministic
  // and resumable from the step index alone.
  float *m = arena.get() + vals[s.dropoutMask].offset;
  int64_t n = vals[s.dropoutMask].floats();
  if (maskSource)
    return maskSource(s.name, stepIndex, m, n);
  Rng rng(opts.seed * 0x9E3779B97F4A7C15ull ^ (stepIndex << 20) ^ k);
  for (int64_t i = 0; i < n; ++i)
    m[i] = rng.uniform() >= s.dropoutRate ? 1.f : 0.f;
}

namespace {
bool allFinite(const Halide::Buffer<> &b) {
  if (b.type() != Halide::Float(32))
    return true;
  Halide::Buffer<float> f(b);
  bool ok = true;
  f.for_each_value([&](float v) { ok = ok && std::isfinite(v); });
  return ok;
}
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
} // namespace

void Trainer::Impl::runSteps(uint64_t stepIndex, bool check, std::string *bad) {
  for (size_t k = 0; k < steps.size(); ++k) {
    Step &s = steps[k];
    Clock::time_point t0;
    if (profile)
      t0 = Clock::now();
    if (s.dropoutMask >= 0)
      fillMask(s, stepIndex, k);
    if (s.fwd)
      s.fwd->run(s.args.data());
    else
      s.train->run(s.inBufs, s.outBufs);
    if (profile)
      s.seconds += since(t0);
    if (check)
      for (const Halide::Buffer<> &b : s.outBufs)
        if (!allFinite(b)) {
          *bad = s.name + " (" + s.what + ")";
          return;
        }
  }
}

// ---------------------------------------------------------------------------

Trainer::Trainer(mlir::ModuleOp module, const std::vector<NamedTensor> &params,
                 const TrainerOptions &opts)
    : impl_(std::make_unique<Impl>()) {
  Impl &m = *impl_;
  m.opts = opts;
  const char *prof = std::getenv("NETC_PROFILE");
  m.printProfile = prof && *prof && std::strcmp(prof, "0") != 0;
  m.profile = m.printProfile || opts.timeSteps;
  for (const NamedTensor &t : params)
    m.given[t.name] = &t;
  m.labelData.assign(static_cast<size_t>(opts.batch), 0);
  m.lower(module);
  m.planArena();
  m.placeParams();
  m.makeBuffers();
}

Trainer::~Trainer() {
  const Impl &m = *impl_;
  if (!m.printProfile || m.stepsRun == 0)
    return;
  double n = double(m.stepsRun), total = 0;
  for (const Step &s : m.steps)
    total += s.seconds / n;
  std::fprintf(stderr, "netc train profile: %lld steps, batch %d, mean ms per step\n",
               static_cast<long long>(m.stepsRun), m.opts.batch);
  for (size_t k = 0; k < m.steps.size(); ++k) {
    const Step &s = m.steps[k];
    std::fprintf(stderr, "%4zu %9.3f %6.2f  %s  %s\n", k, s.seconds / n * 1e3,
                 100 * s.seconds / n / total, s.name.c_str(), s.what.c_str());
  }
  std::fprintf(stderr, "     %9.3f  total\n", total * 1e3);
}


double Trainer::step(const float *images, const int32_t *labels, uint64_t stepIndex) {
  Impl &m = *impl_;
  if (m.opts.planOnly)
    throw std::logic_error("Trainer::step on a plan-only trainer");
  const auto &s = m.inShape;
  nchwToNhwc(images, m.arena.get() + m.vals[m.input].offset, s[0], s[1], s[2], s[3]);
  int k = classes();
  for (int i = 0; i < m.opts.batch; ++i) {
    if (labels[i] < 0 || labels[i] >= k)
      throw std::runtime_error("label " + std::to_string(labels[i]) + " of image " +
                               std::to_string(i) + " is outside [0, " + std::to_string(k) + ")");
    m.labelData[static_cast<size_t>(i)] = labels[i];
  }
  m.runSteps(stepIndex, false, nullptr);
  ++m.stepsRun;
  double loss = m.arena[static_cast<size_t>(m.vals[m.loss].offset)];
  if (!std::isfinite(loss))
    return loss;
  for (const BnUpdate &u : m.bnUpdates) {
    const float *st = m.arena.get() + m.vals[u.stats].offset;
    size_t c = static_cast<size_t>(u.mean->count);
    std::memcpy(u.mean->ptr, st + nb::kBnRunMean * c, c * 4);
    std::memcpy(u.var->ptr, st + nb::kBnRunVar * c, c * 4);
  }
  return loss;
}

std::string Trainer::findNonFinite(const float *images, const int32_t *labels,
                                   uint64_t stepIndex) {
  Impl &m = *impl_;
  const auto &s = m.inShape;
  nchwToNhwc(images, m.arena.get() + m.vals[m.input].offset, s[0], s[1], s[2], s[3]);
  for (int i = 0; i < m.opts.batch; ++i)
    m.labelData[static_cast<size_t>(i)] = labels[i];
  for (const Param &p : m.params)
    for (int64_t i = 0; i < p.count; ++i)
      if (!std::isfinite(p.ptr[i]))
        return "parameter '" + p.name + "'";
  std::string bad;
  m.runSteps(stepIndex, true, &bad);
  return bad;
}

void Trainer::setMaskSource(MaskSource source) { impl_->maskSource = std::move(source); }

const float *Trainer::logits() const {
  return impl_->arena.get() + impl_->vals[impl_->logits].offset;
}
int Trainer::classes() const { return int(impl_->vals[impl_->logits].shape[1]); }

std::vector<Trainer::Gradient> Trainer::gradients() {
  Impl &m = *impl_;
  std::vector<Gradient> g;
  for (Param &p : m.params)
    if (p.grad >= 0)
      g.push_back({p.name, p.ptr, m.arena.get() + m.vals[p.grad].offset, p.count});
  return g;
}

std::vector<NamedTensor> Trainer::parameters() const {
  std::vector<NamedTensor> out;
  for (const Param &p : impl_->params) {
    NamedTensor t;
    t.name = p.name;
    t.shape = p.shape;
    std::vector<float> v(p.ptr, p.ptr + p.count);
    if (p.layout == Param::Layout::Hwio)
      t.data = hwioToOihw(v, p.shape[0], p.shape[1], p.shape[2], p.shape[3]);
    else if (p.layout == Param::Layout::FcNhwc)
      t.data = fcNhwcToNchw(v, p.shape[0], p.fcC, p.fcH, p.fcW);
    else
      t.data = std::move(v);
    out.push_back(std::move(t));
  }
  return out;
}

const std::vector<int64_t> &Trainer::inputShape() const { return impl_->inShape; }
int64_t Trainer::arenaBytes() const { return impl_->plan.arenaBytes; }

TrainPlan Trainer::plan() const {
  const Impl &m = *impl_;
  TrainPlan p;
  p.batch = m.opts.batch;
  p.arenaBytes = m.plan.arenaBytes;
  p.classes = classes();
  p.inputOffset = m.vals[m.input].offset;
  p.lossOffset = m.vals[m.loss].offset;
  p.logitsOffset = m.vals[m.logits].offset;
  p.inputShape.assign(m.inShape.begin() + 1, m.inShape.end());
  const float *base = m.paramBlock.get();
  auto arg = [&](const Arg &a) {
    TrainPlanArg t;
    t.dims = a.dims;
    if (a.labels)
      t.kind = TrainPlanArg::Kind::Labels;
    else if (a.param)
      t.kind = TrainPlanArg::Kind::Param, t.offset = a.param->ptr - base;
    else
      t.offset = m.vals[a.val].offset;
    return t;
  };
  for (const Step &s : m.steps) {
    TrainPlanStep ps{s.name, s.what, s.fwd, s.train, {}, {}, s.conv};
    for (const Arg &a : s.in)
      ps.in.push_back(arg(a));
    for (const Arg &a : s.out)
      ps.out.push_back(arg(a));
    p.dropout = p.dropout || s.dropoutMask >= 0;
    p.steps.push_back(std::move(ps));
  }
  int64_t end = 0;
  for (const Param &q : m.params) {
    static const char *layouts[] = {"plain", "hwio", "fc-nhwc"};
    TrainPlanParam t{q.name, layouts[static_cast<int>(q.layout)], q.shape, q.ptr - base, q.count,
                     q.grad >= 0 ? m.vals[q.grad].offset : -1};
    end = std::max(end, t.offset + (q.count + 63) / 64 * 64);
    p.params.push_back(std::move(t));
  }
  p.block.assign(base, base + end);
  for (const BnUpdate &u : m.bnUpdates) {
    int64_t c = u.mean->count, st = m.vals[u.stats].offset;
    p.statCopies.push_back({st + nb::kBnRunMean * c, u.mean->ptr - base, c});
    p.statCopies.push_back({st + nb::kBnRunVar * c, u.var->ptr - base, c});
  }
  return p;
}

std::vector<double> Trainer::stepSeconds() const {
  std::vector<double> out;
  double n = double(std::max<int64_t>(impl_->stepsRun, 1));
  for (const Step &s : impl_->steps)
    out.push_back(s.seconds / n);
  return out;
}

void Trainer::resetTimes() {
  for (Step &s : impl_->steps)
    s.seconds = 0;
  impl_->stepsRun = 0;
}

std::vector<std::string> Trainer::describeSteps() const {
  std::vector<std::string> out;
  for (const Step &s : impl_->steps)
    out.push_back(s.name + "  " + s.what);
  return out;
}

} // namespace netc::runtime
