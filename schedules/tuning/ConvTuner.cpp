#include "schedules/tuning/ConvTuner.h"

#include "schedules/cpu/CpuKernels.h"
#include "schedules/tuning/Measure.h"

#include <algorithm>
#include <random>
#include <set>

namespace netc::schedules {

namespace nh = netc::halide;
using Clock = std::chrono::steady_clock;
using Buf = Halide::Buffer<float>;

namespace {

// The layer's inputs in call order, with HWIO weights; blocked per candidate.
struct LayerData {
  Buf x, hwio, bias, scale, shift, residual;
  LayerData(const nh::ConvSpec &s, int n) {
    std::mt19937 rng(1234);
    x = randomBuffer(rng, {s.cin, s.inW, s.inH, n});
    hwio = randomBuffer(rng, {s.cout, s.cin, s.kw, s.kh});
    bias = randomBuffer(rng, {s.cout});
    scale = randomBuffer(rng, {s.cout});
    shift = randomBuffer(rng, {s.cout});
    if (s.residual == nh::Residual::Same)
      residual = randomBuffer(rng, {s.cout, s.outW(), s.outH(), n});
    else if (s.residual == nh::Residual::ZeroPadded)
      residual = randomBuffer(rng, {s.resC, s.resW, s.resH, n});
  }
};

struct Measured {
  double ms = 0;
  Buf out;
};

// The candidate's weights: HWIO, blocked, or Winograd-transformed.
Buf candidateWeights(const nh::ConvSpec &spec, const Buf &hwio) {
  nh::ConvWeights kw = nh::convKernelWeights(spec, hwio.data());
  Buf w(kw.dims);
  std::copy(kw.data.begin(), kw.data.end(), w.data());
  return w;
}

Measured measure(const nh::ConvSpec &plain, const ConvSchedule &cand, const LayerData &d,
                 const Halide::Target &t, const ConvTuneOptions &o) {
  nh::ConvSpec spec = plain;
  spec.winograd = cand.winograd;
  spec.wBlock = weightBlockFor(spec, cand);
  // The Trainer binds HWIO weights (they change every step).
  if (o.training) spec = trainingConvSpec(plain, cand);
  nh::PipelineDef def = convPipeline(spec, t, clampConvSchedule(spec, cand));
  Halide::Pipeline p(def.out);
  p.compile_jit(t);
  // Inputs in call order: x, w, then bias, scale, shift, residual as enabled.
  std::vector<const Buf *> args = {&d.x};
  Buf w = candidateWeights(spec, d.hwio);
  args.push_back(&w);
  if (spec.bias) args.push_back(&d.bias);
  if (spec.scaleShift) args.push_back(&d.scale), args.push_back(&d.shift);
  if (spec.residual != nh::Residual::None) args.push_back(&d.residual);
  Halide::ParamMap params;
  for (size_t i = 0; i < args.size(); ++i) params.set(def.inputs[i], *args[i]);
  Measured m;
  m.out = Buf(spec.cout, spec.outW(), spec.outH(), o.batch);
  m.ms = medianColdMs([&] { p.realize(m.out, t, params); });
  return m;
}

}  // namespace

namespace {

// clampConvSchedule for the candidate's own algorithm.
ConvSchedule clampFor(const nh::ConvSpec &plain, ConvSchedule s) {
  nh::ConvSpec spec = plain;
  spec.winograd = s.winograd;
  return clampConvSchedule(spec, s);
}

}  // namespace

ConvSchedule builtinCandidate(const nh::ConvSpec &spec, const Halide::Target &t,
                              const ConvTuneOptions &o) {
  nh::ConvSpec plain = spec;
  plain.wBlock = 0;
  plain.winograd = 0;
  return clampFor(plain, builtinConvSchedule(plain, t, o.batch, o.training));
}

std::vector<ConvSchedule> tileCandidates(const nh::ConvSpec &spec, const Halide::Target &t) {
  ConvSchedule base = directConvSchedule(spec, t);
  std::vector<ConvSchedule> out;
  std::set<std::string> seen;
  auto add = [&](ConvSchedule c) {
    c = clampFor(spec, c);
    if (seen.insert(c.key()).second) out.push_back(c);
  };
  for (int cv : {1, 2, 3, 4, 6, 8})
    for (int tx : {1, 2, 3, 4, 5, 6, 7, 8, 14}) {
      if (cv * tx > registerBudget(base.vec) || cv * tx < 2) continue;
      ConvSchedule c = base;
      c.coVecs = cv;
      c.tileX = tx;
      add(c);
    }
  if (!spec.winogradApplies() || t.has_gpu_feature()) return out;
  // Winograd: the algorithm, its register tile (channel vectors x tiles) and
  // how many tile rows a task takes (all of them reuse the larger weights).
  for (int m : {2, 4}) {
    int tilesY = (spec.outH() + m - 1) / m;
    for (auto [cv, tx] : {std::pair{4, 4}, {4, 6}, {2, 8}, {2, 12}, {4, 3}, {3, 8}})
      for (int rows : {1, 2, tilesY}) {
        if (cv * tx > registerBudget(base.vec)) continue;
        ConvSchedule c = base;
        c.winograd = m, c.coVecs = cv, c.tileX = tx, c.rowsPerTask = rows;
        add(c);
      }
  }
  return out;
}

TunedConv tuneConv(const nh::ConvSpec &plainIn, const Halide::Target &t, Clock::time_point deadline,
                   const std::function<void(const TuneProgress &)> &progress,
                   const ConvTuneOptions &o) {
  nh::ConvSpec plain = plainIn;
  plain.wBlock = 0;
  plain.winograd = 0;
  LayerData data(plain, o.batch);
  // Every candidate is checked against the direct built-in schedule.
  ConvSchedule direct = clampFor(plain, directConvSchedule(plain, t));
  Measured ref = measure(plain, direct, data, t, o);
  ConvSchedule base = builtinCandidate(plain, t, o);
  TuneProgress pr;
  std::set<std::string> tried = {direct.key()};
  std::vector<std::pair<double, ConvSchedule>> ranked = {{ref.ms, direct}};
  TunedConv best{direct, ref.ms, ref.ms};
  auto tryOne = [&](const ConvSchedule &raw) {
    ConvSchedule c = clampFor(plain, raw);
    if (!tried.insert(c.key()).second) return;
    pr.next = c.key();
    if (progress) progress(pr);
    Measured m = measure(plain, c, data, t, o);
    if (relError(m.out, ref.out) <= 1e-4) {
      ranked.push_back({m.ms, c});
      if (m.ms < best.ms) best.schedule = c, best.ms = m.ms;
    }
    ++pr.done;
    pr.bestMs = best.ms;
    pr.next.clear();
    if (progress) progress(pr);
  };
  tryOne(base);  // the built-in schedule, when it is not the direct one
  double baseMs = ref.ms;
  for (const auto &[ms, c] : ranked)
    if (c.key() == base.key()) baseMs = ms;
  best.defaultMs = pr.defaultMs = baseMs;
  std::vector<ConvSchedule> tiles = tileCandidates(plain, t);
  pr.total = static_cast<int>(tiles.size());
  for (const ConvSchedule &c : tiles) {
    if (Clock::now() > deadline) break;
    tryOne(c);
  }
  // Stage 2: loop-structure flags on the three best.
  std::sort(ranked.begin(), ranked.end(),
            [](const auto &a, const auto &b) { return a.first < b.first; });
  ranked.resize(std::min<size_t>(ranked.size(), 3));
  std::vector<ConvSchedule> flags;
  for (const auto &[ms, c] : ranked) {
    ConvSchedule f = c;
    f.stagePadded = !c.stagePadded;
    flags.push_back(f);
    f = c;
    f.coOuter = !c.coOuter;
    flags.push_back(f);
    f = c;
    f.rowsPerTask = c.rowsPerTask * 2;
    flags.push_back(f);
  }
  pr.total += static_cast<int>(flags.size());
  for (const ConvSchedule &c : flags) {
    if (Clock::now() > deadline) break;
    tryOne(c);
  }
  // Within 3% is noise on this machine: keep the built-in schedule then.
  if (best.ms > 0.97 * baseMs) best = TunedConv{base, baseMs, baseMs};
  return best;
}

}  // namespace netc::schedules
