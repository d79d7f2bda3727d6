#include "runtime/MemoryPlan.h"

#include <algorithm>
#include <numeric>

namespace netc::runtime {

namespace {

int64_t alignUp(int64_t v, int64_t a) { return (v + a - 1) / a * a; }

bool livesOverlap(const Lifetime &a, const Lifetime &b) {
  return a.first <= b.last && b.first <= a.last;
}

} // namespace

MemoryPlan planMemory(const std::vector<Lifetime> &values) {
  MemoryPlan plan;
  plan.offsets.assign(values.size(), 0);
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return values[a].bytes > values[b].bytes; });
  std::vector<size_t> placed;
  for (size_t v : order) {
    int64_t size = alignUp(std::max<int64_t>(values[v].bytes, 1), MemoryPlan::kAlignment);
    // Busy ranges of live neighbours, by offset; take the first gap that fits.
    std::vector<std::pair<int64_t, int64_t>> busy;
    for (size_t p : placed)
      if (livesOverlap(values[v], values[p]))
        busy.push_back({plan.offsets[p],
                        plan.offsets[p] + alignUp(values[p].bytes, MemoryPlan::kAlignment)});
    std::sort(busy.begin(), busy.end());
    int64_t at = 0;
    for (const auto &[lo, hi] : busy) {
      if (at + size <= lo)
        break;
      at = std::max(at, hi);
    }
    plan.offsets[v] = at;
    plan.arenaBytes = std::max(plan.arenaBytes, at + size);
    placed.push_back(v);
  }
  return plan;
}

bool planIsValid(const std::vector<Lifetime> &values, const MemoryPlan &plan) {
  for (size_t a = 0; a < values.size(); ++a) {
    if (plan.offsets[a] % MemoryPlan::kAlignment || plan.offsets[a] + values[a].bytes > plan.arenaBytes)
      return false;
    for (size_t b = a + 1; b < values.size(); ++b)
      if (livesOverlap(values[a], values[b]) &&
          plan.offsets[a] < plan.offsets[b] + values[b].bytes &&
          plan.offsets[b] < plan.offsets[a] + values[a].bytes)
        return false;
  }
  return true;
}

} // namespace netc::runtime
