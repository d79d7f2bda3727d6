// SGD with momentum and weight decay: two steps computed by hand
// (and identical to torch.optim.SGD(lr=0.1, momentum=0.9, weight_decay=0.01)).
#include "compiler/halide/HostTarget.h"
#include "GradCheck.h"
#include "schedules/cpu/backward/TrainKernels.h"

#include <gtest/gtest.h>

namespace netc::test::bwd {
namespace {

namespace sb = netc::schedules::backward;

// Step 1, element 0: d_p = 0.1 + 0.01*1 = 0.11; buf = d_p = 0.11;
//   p = 1 - 0.1*0.11 = 0.989.
// Step 2, element 0: d_p = -0.4 + 0.01*0.989 = -0.39011;
//   buf = 0.9*0.11 - 0.39011 = -0.29111; p = 0.989 + 0.029111 = 1.018111.
TEST(Sgd, MatchesTwoHandComputedSteps) {
  const std::vector<float> scalars1 = {0.1f, 0.9f, 0.01f, 1.f}, scalars2 = {0.1f, 0.9f, 0.01f, 0.f};
  Halide::Buffer<float> p = toBuf({1.0, -2.0, 0.5, 3.0}, {4});
  // The first step must ignore whatever the buffer holds.
  Halide::Buffer<float> buf = toBuf({7.0, 7.0, 7.0, 7.0}, {4});
  auto k = sb::sgdKernel(netc::halide::hostTarget());
  // In place: the outputs alias p and buf.
  k->run({p, toBuf({0.1, 0.2, -0.3, 0.0}, {4}), buf}, {p, buf}, scalars1);
  EXPECT_LT(relError(p, {0.989, -2.018, 0.5295, 2.997}), 1e-6);
  EXPECT_LT(relError(buf, {0.11, 0.18, -0.295, 0.03}), 1e-6);
  k->run({p, toBuf({-0.4, 0.05, 0.3, 1.0}, {4}), buf}, {p, buf}, scalars2);
  EXPECT_LT(relError(p, {1.018111, -2.037182, 0.5255205, 2.891303}), 1e-6);
  EXPECT_LT(relError(buf, {-0.29111, 0.19182, 0.039795, 1.05697}), 1e-5);
}

TEST(Sgd, LongArraysUseEveryChunkAndTail) {
  const int n = 16 * 256 * 3 + 5;  // several parallel chunks and a ragged tail
  std::mt19937 rng(11);
  Vec p = randomVec(rng, n), g = randomVec(rng, n), b = randomVec(rng, n);
  Halide::Buffer<float> newP = zeros({n}), newB = zeros({n});
  sb::sgdKernel(netc::halide::hostTarget())
      ->run({toBuf(p, {n}), toBuf(g, {n}), toBuf(b, {n})}, {newP, newB}, {0.05f, 0.5f, 0.1f, 0.f});
  Vec refP(n), refB(n);
  for (int i = 0; i < n; ++i) {
    refB[i] = 0.5 * b[i] + g[i] + 0.1 * p[i];
    refP[i] = p[i] - 0.05 * refB[i];
  }
  EXPECT_LT(relError(newP, refP), 1e-6);
  EXPECT_LT(relError(newB, refB), 1e-6);
}

}  // namespace
}  // namespace netc::test::bwd
