// Pooling, FC, softmax, LRN and elementwise kernels against the reference.
#include "Reference.h"
#include "schedules/cpu/CpuKernels.h"

#include <gtest/gtest.h>

namespace netc::test {
namespace {

namespace nh = netc::halide;
namespace ns = netc::schedules;

// Runs `k` on `inputs` into a fresh buffer shaped like `ref`; returns the error.
double check(const ns::KernelPtr &k, const std::vector<Buf> &inputs, const Buf &ref) {
  std::vector<int> dims;
  for (int d = 0; d < ref.dimensions(); ++d) dims.push_back(ref.dim(d).extent());
  Buf out(dims);
  k->run(inputs, out);
  return relError(out, ref);
}

nh::PoolSpec pool(int c, int h, int w, int k, int s, int p) {
  nh::PoolSpec spec;
  spec.c = c, spec.inH = h, spec.inW = w, spec.kh = spec.kw = k, spec.stride = s, spec.pad = p;
  return spec;
}

class OpsOnTarget : public ::testing::TestWithParam<int> {
 protected:
  Halide::Target target() const { return testTargets()[GetParam()]; }
  std::mt19937 rng{42};
};

TEST_P(OpsOnTarget, MaxPool3x3s2Pad1) {
  nh::PoolSpec s = pool(20, 9, 8, 3, 2, 1);
  Buf x = randomBuffer(rng, {s.c, s.inW, s.inH, 2});
  EXPECT_LE(check(ns::maxPoolKernel(s, target()), {x}, refMaxPool(s, x)), kTolerance);
}

TEST_P(OpsOnTarget, MaxPool2x2OddChannels) {
  nh::PoolSpec s = pool(3, 6, 6, 2, 2, 0);
  Buf x = randomBuffer(rng, {s.c, s.inW, s.inH, 1});
  EXPECT_LE(check(ns::maxPoolKernel(s, target()), {x}, refMaxPool(s, x)), kTolerance);
}

TEST_P(OpsOnTarget, AvgPoolCountIncludePad) {
  nh::PoolSpec s = pool(17, 7, 7, 3, 2, 1);
  Buf x = randomBuffer(rng, {s.c, s.inW, s.inH, 2});
  EXPECT_LE(check(ns::avgPoolKernel(s, target()), {x}, refAvgPool(s, x)), kTolerance);
}

TEST_P(OpsOnTarget, AvgPoolExcludePadCeilMode) {
  nh::PoolSpec s = pool(16, 8, 7, 3, 2, 1);
  s.countIncludePad = false, s.ceilMode = true;
  Buf x = randomBuffer(rng, {s.c, s.inW, s.inH, 2});
  EXPECT_LE(check(ns::avgPoolKernel(s, target()), {x}, refAvgPool(s, x)), kTolerance);
}

TEST_P(OpsOnTarget, PoolsWithPerAxisStrideAndPad) {
  nh::PoolSpec s = pool(16, 9, 8, 3, 1, 1);
  s.strideH = 2, s.padW = 0, s.ceilMode = true;
  Buf x = randomBuffer(rng, {s.c, s.inW, s.inH, 2});
  EXPECT_LE(check(ns::maxPoolKernel(s, target()), {x}, refMaxPool(s, x)), kTolerance);
  EXPECT_LE(check(ns::avgPoolKernel(s, target()), {x}, refAvgPool(s, x)), kTolerance);
}

TEST_P(OpsOnTarget, GlobalAvgPool) {
  nh::GlobalPoolSpec s{24, 5, 6};
  Buf x = randomBuffer(rng, {s.c, s.inW, s.inH, 2});
  EXPECT_LE(check(ns::globalAvgPoolKernel(s, target()), {x}, refGlobalAvgPool(x)), kTolerance);
}

TEST_P(OpsOnTarget, FcBiasRelu) {
  nh::FcSpec s{64, 10, true, true};
  Buf x = randomBuffer(rng, {s.in, 2}), w = randomBuffer(rng, {s.in, s.out});
  Buf b = randomBuffer(rng, {s.out});
  EXPECT_LE(check(ns::fcKernel(s, target()), {x, w, b}, refFc(s, x, w, b)), kTolerance);
}

TEST_P(OpsOnTarget, FcRaggedInputs) {
  nh::FcSpec s{27, 33, false, false};  // no vector width divides 27: scalar path
  Buf x = randomBuffer(rng, {s.in, 3}), w = randomBuffer(rng, {s.in, s.out});
  EXPECT_LE(check(ns::fcKernel(s, target()), {x, w}, refFc(s, x, w, Buf())), kTolerance);
}

TEST_P(OpsOnTarget, Softmax) {
  nh::SoftmaxSpec s{10};
  Buf x = randomBuffer(rng, {s.features, 3}, -8.f, 8.f);
  EXPECT_LE(check(ns::softmaxKernel(s, target()), {x}, refSoftmax(x)), kTolerance);
}

TEST_P(OpsOnTarget, LrnAcrossChannels) {
  nh::LrnSpec s{{19, 5, 4}, 5, 1e-2f, 0.75f, 2.f};
  Buf x = randomBuffer(rng, {s.shape.c, s.shape.w, s.shape.h, 2}, -3.f, 3.f);
  EXPECT_LE(check(ns::lrnKernel(s, target()), {x}, refLrn(s, x)), kTolerance);
}

TEST_P(OpsOnTarget, AddRelu) {
  nh::Shape3 sh{20, 5, 3};
  Buf a = randomBuffer(rng, {sh.c, sh.w, sh.h, 2}), b = randomBuffer(rng, {sh.c, sh.w, sh.h, 2});
  Buf ref(a.dim(0).extent(), a.dim(1).extent(), a.dim(2).extent(), 2);
  ref.for_each_element([&](int c, int x, int y, int n) {
    ref(c, x, y, n) = std::max(a(c, x, y, n) + b(c, x, y, n), 0.f);
  });
  EXPECT_LE(check(ns::addKernel(sh, true, target()), {a, b}, ref), kTolerance);
}

TEST_P(OpsOnTarget, Relu) {
  nh::Shape3 sh{3, 4, 5};
  Buf a = randomBuffer(rng, {sh.c, sh.w, sh.h, 2});
  Buf ref = a.copy();
  ref.for_each_value([](float &v) { v = std::max(v, 0.f); });
  EXPECT_LE(check(ns::reluKernel(sh, target()), {a}, ref), kTolerance);
}

TEST_P(OpsOnTarget, BatchNormInference) {
  nh::Shape3 sh{18, 3, 3};
  Buf a = randomBuffer(rng, {sh.c, sh.w, sh.h, 2});
  Buf scale = randomBuffer(rng, {sh.c}, 0.5f, 1.5f), shift = randomBuffer(rng, {sh.c});
  Buf ref = a.copy();
  ref.for_each_element([&](int c, int x, int y, int n) {
    ref(c, x, y, n) = float(double(a(c, x, y, n)) * scale(c) + shift(c));
  });
  EXPECT_LE(check(ns::batchNormKernel(sh, false, target()), {a, scale, shift}, ref), kTolerance);
}

TEST_P(OpsOnTarget, ZeroPadShortcut) {
  nh::ZeroPadSpec s{{16, 9, 9}, 32, 2};
  Buf x = randomBuffer(rng, {s.in.c, s.in.w, s.in.h, 2});
  EXPECT_LE(check(ns::zeroPadShortcutKernel(s, target()), {x}, refZeroPad(s, x)), kTolerance);
}

INSTANTIATE_TEST_SUITE_P(Targets, OpsOnTarget, ::testing::Values(0, 1),
                         [](const auto &info) { return info.param == 0 ? "avx512" : "avx2"; });

}  // namespace
}  // namespace netc::test
