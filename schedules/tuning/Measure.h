// What every tuner shares: random inputs, cold-cache medians, and the
// output check against the reference schedule.
#pragma once

#include <Halide.h>

#include <functional>
#include <random>
#include <vector>

namespace netc::schedules {

/// Standard normal values (never zeros: a schedule that skips work must show).
Halide::Buffer<float> randomBuffer(std::mt19937 &rng, const std::vector<int> &dims);

/// Writes 64 MiB so L2 and L3 hold nothing of the layer: in a network a
/// layer's weights and input come from memory, not from a cache warmed by
/// the previous run of the same layer (hot-cache timings favoured tiles that
/// lose in the network).
void evictCaches();

/// Median milliseconds of `run` after one warm-up call: at least 5 timed
/// calls, more (up to 30) while under `budgetMs`, each after evictCaches().
double medianColdMs(const std::function<void()> &run, double budgetMs = 300);

/// max |a - b| / max |b| (the tuners' acceptance bound is 1e-4).
double relError(const Halide::Buffer<float> &a, const Halide::Buffer<float> &b);

/// Accumulators must stay in registers: 32 vector registers with AVX-512,
/// 16 with AVX2, less room for a weight vector and a broadcast per FMA.
inline int registerBudget(int vec) { return vec >= 16 ? 28 : 12; }

}  // namespace netc::schedules
