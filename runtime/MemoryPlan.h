// One arena for every activation of a network at a given batch size, planned
// once: tensors whose lifetimes do not overlap share bytes. Executing then
// allocates nothing (page faults cost ~2 us per 4 KiB page on these
// machines, so a per-step malloc/free of activations is a real cost).
#pragma once

#include <cstdint>
#include <vector>

namespace netc::runtime {

/// A value to place: its size and the steps [first, last] it is live in.
struct Lifetime {
  int64_t bytes = 0;
  int first = 0, last = 0;
};

struct MemoryPlan {
  std::vector<int64_t> offsets; // per Lifetime, aligned to kAlignment
  int64_t arenaBytes = 0;
  // 256 bytes: more than a cache line or an AVX-512 vector needs, but what
  // OpenCL sub-buffers (a GPU library's views of its workspace) need too.
  static constexpr int64_t kAlignment = 256;
};

/// Greedy best-fit by decreasing size: each value goes to the lowest offset
/// that does not overlap a placed value with an intersecting lifetime.
MemoryPlan planMemory(const std::vector<Lifetime> &values);

/// True if no two values with intersecting lifetimes share a byte.
bool planIsValid(const std::vector<Lifetime> &values, const MemoryPlan &plan);

} // namespace netc::runtime
