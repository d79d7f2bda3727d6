// The memory planner: no two live values share bytes, and a chain reuses
// memory instead of growing with depth.
#include "runtime/MemoryPlan.h"

#include <gtest/gtest.h>

#include <random>

namespace netc::runtime {
namespace {

TEST(MemoryPlan, ChainNeedsOnlyTwoBuffers) {
  // Each step reads the previous value and writes the next: like a plain net.
  std::vector<Lifetime> v;
  for (int k = 0; k < 50; ++k)
    v.push_back({1000, k, k + 1});
  MemoryPlan p = planMemory(v);
  EXPECT_TRUE(planIsValid(v, p));
  EXPECT_EQ(p.arenaBytes, 2 * 1024); // 1000 rounded up to the 256-byte alignment
}

TEST(MemoryPlan, RandomLifetimesNeverOverlap) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<Lifetime> v;
    int n = 1 + static_cast<int>(rng() % 40);
    int64_t total = 0;
    for (int k = 0; k < n; ++k) {
      int first = static_cast<int>(rng() % 30);
      v.push_back({1 + static_cast<int64_t>(rng() % 5000), first, first + static_cast<int>(rng() % 10)});
      total += (v.back().bytes + MemoryPlan::kAlignment - 1) / MemoryPlan::kAlignment * MemoryPlan::kAlignment;
    }
    MemoryPlan p = planMemory(v);
    ASSERT_TRUE(planIsValid(v, p)) << "trial " << trial;
    EXPECT_LE(p.arenaBytes, total);
  }
}

TEST(MemoryPlan, ResidualKeepsTheSkipAlive) {
  // x (0..3) is read by the add at step 3; a and b live in between.
  std::vector<Lifetime> v = {{4096, 0, 3}, {4096, 1, 2}, {4096, 2, 3}, {4096, 3, 4}};
  MemoryPlan p = planMemory(v);
  EXPECT_TRUE(planIsValid(v, p));
  EXPECT_NE(p.offsets[0], p.offsets[2]);
  EXPECT_EQ(p.arenaBytes, 3 * 4096);
}

} // namespace
} // namespace netc::runtime
