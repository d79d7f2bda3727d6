#include "schedules/tuning/ConvBwdTuner.h"

#include "schedules/cpu/backward/TrainKernels.h"
#include "schedules/tuning/Measure.h"

#include <algorithm>
#include <set>

namespace netc::schedules {

namespace nh = netc::halide;
namespace nb = netc::halide::backward;
namespace sb = netc::schedules::backward;
using Clock = std::chrono::steady_clock;
using Buf = Halide::Buffer<float>;

namespace {

// One layer's search: `run(c, out)` computes the candidate's output and
// returns its median ms; the built-in `base` is measured first and is the
// reference every candidate must match.
template <typename S, typename Clamp, typename Run, typename Vary>
TunedSchedule<S> search(const S &base, const std::vector<S> &tiles, Clamp clamp, Run run,
                        Vary vary, Clock::time_point deadline,
                        const std::function<void(const TuneProgress &)> &progress) {
  Buf ref;
  double baseMs = run(clamp(base), ref);
  TuneProgress pr;
  pr.bestMs = pr.defaultMs = baseMs;
  pr.total = static_cast<int>(tiles.size());
  std::set<std::string> tried = {clamp(base).key()};
  std::vector<std::pair<double, S>> ranked = {{baseMs, clamp(base)}};
  auto tryOne = [&](const S &raw) {
    S c = clamp(raw);
    if (!tried.insert(c.key()).second) return;
    pr.next = c.key();
    if (progress) progress(pr);
    Buf out;
    double ms = run(c, out);
    if (relError(out, ref) <= 1e-4) {
      ranked.push_back({ms, c});
      pr.bestMs = std::min(pr.bestMs, ms);
    }
    ++pr.done;
    pr.next.clear();
    if (progress) progress(pr);
  };
  for (const S &c : tiles) {
    if (Clock::now() > deadline) break;
    tryOne(c);
  }
  std::sort(ranked.begin(), ranked.end(),
            [](const auto &a, const auto &b) { return a.first < b.first; });
  std::vector<S> variants;
  for (size_t i = 0; i < std::min<size_t>(ranked.size(), 3); ++i)
    for (const S &v : vary(ranked[i].second)) variants.push_back(v);
  pr.total += static_cast<int>(variants.size());
  for (const S &c : variants) {
    if (Clock::now() > deadline) break;
    tryOne(c);
  }
  std::sort(ranked.begin(), ranked.end(),
            [](const auto &a, const auto &b) { return a.first < b.first; });
  // Within 3% is noise on this machine: keep the built-in schedule then.
  TunedSchedule<S> best{clamp(base), baseMs, baseMs};
  if (ranked[0].first < 0.97 * baseMs) best.schedule = ranked[0].second, best.ms = ranked[0].first;
  return best;
}

}  // namespace

std::vector<sb::ConvDxSchedule> convDxTileCandidates(const nb::ConvDxSpec &spec,
                                                     const Halide::Target &t) {
  // Direct tiles vary the direct built-in schedule, Winograd ones the
  // default (Winograd itself where it applies, unless NETC_WINOGRAD=0).
  sb::ConvDxSchedule direct = sb::directConvDxSchedule(spec, t);
  sb::ConvDxSchedule base = sb::defaultConvDxSchedule(spec, t);
  std::vector<sb::ConvDxSchedule> out;
  std::set<std::string> seen;
  for (int cv : {1, 2, 3, 4, 6, 8})
    for (int tx : {1, 2, 3, 4, 5, 6, 7, 8, 14, 16}) {
      if (cv * tx > registerBudget(base.vec) || cv * tx < 2) continue;
      sb::ConvDxSchedule c = direct;
      c.ciVecs = cv, c.tileX = tx;
      c = sb::clampConvDxSchedule(spec, c);
      if (seen.insert(c.key()).second) out.push_back(c);
    }
  if (!nb::winogradDxApplies(spec)) return out;
  // Winograd (stride-1 3x3): the algorithm, its register tile (vectors of
  // input channels x m x m tiles) and tile rows per task, as for the forward.
  for (int m : {2, 4})
    for (auto [cv, tx] : {std::pair{4, 4}, {4, 6}, {2, 8}, {2, 12}, {4, 3}, {1, 16}})
      for (int rows : {1, 2}) {
        if (cv * tx > registerBudget(base.vec)) continue;
        sb::ConvDxSchedule c = base;
        c.winograd = m, c.ciVecs = cv, c.tileX = tx, c.rowsPerTask = rows;
        c = sb::clampConvDxSchedule(spec, c);
        if (seen.insert(c.key()).second) out.push_back(c);
      }
  return out;
}

std::vector<sb::ConvDxSchedule> convDxStructureVariants(const sb::ConvDxSchedule &s) {
  std::vector<sb::ConvDxSchedule> v(3, s);
  v[0].stageDy = !s.stageDy;
  v[1].rowsPerTask = s.rowsPerTask * 2;
  v[2].rowsPerTask = s.rowsPerTask * 4;
  return v;
}

std::vector<sb::ConvDwSchedule> convDwTileCandidates(const nh::ConvSpec &spec,
                                                     const Halide::Target &t) {
  sb::ConvDwSchedule direct = sb::directConvDwSchedule(spec, t);  // as for dX
  sb::ConvDwSchedule base = sb::defaultConvDwSchedule(spec, t);
  std::vector<sb::ConvDwSchedule> out;
  std::set<std::string> seen;
  int taps = spec.kw * spec.kh, budget = registerBudget(base.vec);
  for (int cv : {1, 2, 3, 4})
    for (int ct : {1, 2, 4, 8, 16})
      for (bool allTaps : {false, true}) {
        int acc = cv * ct * (allTaps ? taps : 1);
        if (acc > budget || acc < 4 || (allTaps && taps == 1)) continue;
        sb::ConvDwSchedule c = direct;
        c.coVecs = cv, c.ciTile = ct, c.tapsInTile = allTaps;
        c = sb::clampConvDwSchedule(spec, c);
        if (seen.insert(c.key()).second) out.push_back(c);
      }
  if (!spec.winogradApplies()) return out;
  // Winograd F(3x3, m x m) (stride-1 3x3): the algorithm, the register tile
  // (co vectors x ci) per transformed position, images per block.
  for (int m : {2, 4})
    for (auto [cv, ct] : {std::pair{1, 8}, {1, 16}, {2, 4}, {2, 8}, {4, 4}})
      for (int nb : {1, 4}) {
        if (cv * ct > budget) continue;
        sb::ConvDwSchedule c = base;
        c.winograd = m, c.coVecs = cv, c.ciTile = ct, c.imagesPerBlock = nb;
        c.tapsInTile = false;
        c = sb::clampConvDwSchedule(spec, c);
        if (seen.insert(c.key()).second) out.push_back(c);
      }
  return out;
}

std::vector<sb::ConvDwSchedule> convDwStructureVariants(const nh::ConvSpec &spec,
                                                        const sb::ConvDwSchedule &s) {
  std::vector<sb::ConvDwSchedule> v(6, s);
  v[0].rowsPerBlock = std::max(1, s.rowsPerBlock / 2);
  v[1].rowsPerBlock = s.rowsPerBlock * 2;
  v[2].rowsPerBlock = spec.outH(), v[2].imagesPerBlock = s.imagesPerBlock * 2;
  v[3].stageX = !s.stageX;
  v[4].tasks = 1;
  v[5].tasks = 2 * std::max(1, currentThreads());
  return v;
}

TunedConvDx tuneConvDx(const nb::ConvDxSpec &spec, const Halide::Target &t, int n,
                       Clock::time_point deadline,
                       const std::function<void(const TuneProgress &)> &progress) {
  const nh::ConvSpec &c = spec.conv;
  std::mt19937 rng(1234);
  Buf dy = randomBuffer(rng, {c.cout, c.outW(), c.outH(), n});
  Buf w = randomBuffer(rng, {c.cout, c.cin, c.kw, c.kh});
  std::vector<Halide::Buffer<>> in = {dy, w};
  if (spec.add == nb::GradAdd::Same)
    in.push_back(randomBuffer(rng, {c.cin, c.inW, c.inH, n}));
  else if (spec.add == nb::GradAdd::ZeroPadded)
    in.push_back(randomBuffer(rng, {spec.addC, spec.addW, spec.addH, n}));
  if (spec.reluMask) in.push_back(randomBuffer(rng, {c.cin, c.inW, c.inH, n}));
  auto run = [&](const sb::ConvDxSchedule &s, Buf &out) {
    sb::TrainKernelPtr k = sb::convDxKernel(spec, t, s);
    out = Buf(c.cin, c.inW, c.inH, n);
    return medianColdMs([&] { k->run(in, {out}); });
  };
  auto clamp = [&](const sb::ConvDxSchedule &s) { return sb::clampConvDxSchedule(spec, s); };
  return search(sb::defaultConvDxSchedule(spec, t), convDxTileCandidates(spec, t), clamp, run,
                convDxStructureVariants, deadline, progress);
}

TunedConvDw tuneConvDw(const nh::ConvSpec &spec, const Halide::Target &t, int n,
                       Clock::time_point deadline,
                       const std::function<void(const TuneProgress &)> &progress) {
  std::mt19937 rng(1234);
  Buf dy = randomBuffer(rng, {spec.cout, spec.outW(), spec.outH(), n});
  Buf x = randomBuffer(rng, {spec.cin, spec.inW, spec.inH, n});
  auto run = [&](const sb::ConvDwSchedule &s, Buf &out) {
    sb::TrainKernelPtr k = sb::convDwKernel(spec, t, s);
    out = Buf(spec.cout, spec.cin, spec.kw, spec.kh);
    return medianColdMs([&] { k->run({dy, x}, {out}); });
  };
  auto clamp = [&](const sb::ConvDwSchedule &s) { return sb::clampConvDwSchedule(spec, s); };
  auto vary = [&](const sb::ConvDwSchedule &s) { return convDwStructureVariants(spec, s); };
  return search(sb::defaultConvDwSchedule(spec, t), convDwTileCandidates(spec, t), clamp, run,
                vary, deadline, progress);
}

}  // namespace netc::schedules
