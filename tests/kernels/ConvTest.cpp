// Fused conv kernels against the naive reference, on both vector widths.
#include "Reference.h"
#include "schedules/cpu/CpuKernels.h"

#include <gtest/gtest.h>

namespace netc::test {
namespace {

using netc::halide::ConvSpec;
using netc::halide::Residual;
using netc::schedules::ConvSchedule;

struct ConvCase {
  const char *name;
  ConvSpec spec;
  int batch;
};

// gtest prints parameters on failure; the name is what identifies a case.
void PrintTo(const ConvCase &c, std::ostream *os) { *os << c.name; }

ConvSpec spec(int cin, int cout, int k, int stride, int pad, int h, int w) {
  ConvSpec s;
  s.cin = cin, s.cout = cout, s.kh = s.kw = k, s.stride = stride, s.pad = pad;
  s.inH = h, s.inW = w;
  return s;
}

ConvSpec withPostOps(ConvSpec s, bool bias, bool bn, bool relu) {
  s.bias = bias, s.scaleShift = bn, s.relu = relu;
  return s;
}

ConvSpec withShortcutA(ConvSpec s, int resC, int resH, int resW, int resStride) {
  s.residual = Residual::ZeroPadded;
  s.resC = resC, s.resH = resH, s.resW = resW, s.resStride = resStride;
  return s;
}

// ONNX-style: different strides per axis, pads top/left/bottom/right.
ConvSpec asymmetric(ConvSpec s) {
  s.strideH = 2, s.strideW = 1;
  s.padTop = 1, s.padLeft = 0, s.padBottom = 2, s.padRight = 1;
  return s;
}

ConvSpec withSameResidual(ConvSpec s) {
  s.residual = Residual::Same;
  return s;
}

std::vector<ConvCase> convCases() {
  return {
      {"k3s1_c3to10_odd_hw_bias_relu", withPostOps(spec(3, 10, 3, 1, 1, 9, 7), 1, 0, 1), 2},
      {"k3s1_c16to32_bn_res_relu",
       withSameResidual(withPostOps(spec(16, 32, 3, 1, 1, 8, 8), 0, 1, 1)), 2},
      {"k3s2_c16to32_shortcutA",
       withShortcutA(withPostOps(spec(16, 32, 3, 2, 1, 9, 9), 1, 0, 1), 16, 9, 9, 2), 1},
      {"k1s2_c32to64_bn", withPostOps(spec(32, 64, 1, 2, 0, 8, 8), 0, 1, 0), 2},
      {"k7s2p3_c3to16_bias_relu", withPostOps(spec(3, 16, 7, 2, 3, 20, 20), 1, 0, 1), 1},
      {"k5s1p0_c1to6_bias", withPostOps(spec(1, 6, 5, 1, 0, 12, 12), 1, 0, 0), 2},
      {"k1s1_c64to24", spec(64, 24, 1, 1, 0, 5, 5), 1},
      {"k3s1_c64to64_7x7_tile7", withPostOps(spec(64, 64, 3, 1, 1, 7, 7), 1, 0, 1), 2},
      // 1x1 on small maps: channel tiles outermost with a 4x7 tile.
      {"k1s1_c64to128_7x7_bn_res_relu_tile7",
       withSameResidual(withPostOps(spec(64, 128, 1, 1, 0, 7, 7), 0, 1, 1)), 2},
      {"k1s2_c32to64_28x28_bn_tile7", withPostOps(spec(32, 64, 1, 2, 0, 28, 28), 0, 1, 0), 1},
      {"k3_s2x1_asymmetric_pads", asymmetric(spec(8, 16, 3, 1, 0, 7, 6)), 2},
  };
}

ConvInputs randomConvInputs(std::mt19937 &rng, const ConvSpec &s, int batch) {
  ConvInputs in;
  in.x = randomBuffer(rng, {s.cin, s.inW, s.inH, batch});
  in.w = randomBuffer(rng, {s.cout, s.cin, s.kw, s.kh});
  if (s.bias) in.bias = randomBuffer(rng, {s.cout});
  if (s.scaleShift) {
    in.scale = randomBuffer(rng, {s.cout}, 0.5f, 1.5f);
    in.shift = randomBuffer(rng, {s.cout});
  }
  if (s.residual == Residual::Same)
    in.residual = randomBuffer(rng, {s.cout, s.outW(), s.outH(), batch});
  if (s.residual == Residual::ZeroPadded)
    in.residual = randomBuffer(rng, {s.resC, s.resW, s.resH, batch});
  return in;
}

std::vector<Buf> kernelArgs(const ConvSpec &s, const ConvInputs &in) {
  std::vector<Buf> args = {in.x, in.w};
  if (s.bias) args.push_back(in.bias);
  if (s.scaleShift) args.insert(args.end(), {in.scale, in.shift});
  if (s.residual != Residual::None) args.push_back(in.residual);
  return args;
}

double runConv(const ConvSpec &s, int batch, const Halide::Target &t,
               std::optional<ConvSchedule> sched, unsigned seed) {
  std::mt19937 rng(seed);
  ConvInputs in = randomConvInputs(rng, s, batch);
  Buf out(s.cout, s.outW(), s.outH(), batch);
  netc::schedules::convKernel(s, t, sched)->run(kernelArgs(s, in), out);
  return relError(out, refConv(s, in));
}

class ConvKernel : public ::testing::TestWithParam<std::tuple<ConvCase, int>> {};

TEST_P(ConvKernel, MatchesReference) {
  const auto &[c, targetIndex] = GetParam();
  Halide::Target t = testTargets()[targetIndex];
  EXPECT_LE(runConv(c.spec, c.batch, t, std::nullopt, 1234), kTolerance) << c.spec.key();
}

INSTANTIATE_TEST_SUITE_P(Cases, ConvKernel,
                         ::testing::Combine(::testing::ValuesIn(convCases()),
                                            ::testing::Values(0, 1)),
                         [](const auto &info) {
                           return std::string(std::get<0>(info.param).name) +
                                  (std::get<1>(info.param) == 0 ? "_avx512" : "_avx2");
                         });

TEST(ConvSchedules, TargetsPickTheirVectorWidth) {
  EXPECT_EQ(netc::schedules::floatLanes(avx512Target()), 16);
  EXPECT_EQ(netc::schedules::floatLanes(avx2Target()), 8);
}

// Non-default params, as an autotuner would set them: odd pixel tile, several
// rows per task, no staging, and a cout (80) whose tile must divide it.
TEST(ConvSchedules, VariedParamsStayCorrect) {
  ConvSchedule s;
  s.vec = 16, s.coVecs = 4, s.tileX = 3, s.rowsPerTask = 2, s.stagePadded = false;
  ConvSpec c = withPostOps(spec(16, 80, 3, 1, 1, 7, 7), 1, 0, 1);
  EXPECT_EQ(netc::schedules::clampConvSchedule(c, s).coVecs, 1);
  EXPECT_LE(runConv(c, 2, avx512Target(), s, 99), kTolerance);
}

TEST(KernelCache, SameKeyCompilesOnce) {
  ConvSpec c = spec(3, 10, 3, 1, 1, 9, 7);
  auto &cache = netc::halide::KernelCache::global();
  auto a = netc::schedules::convKernel(c, avx512Target());
  size_t misses = cache.misses();
  auto b = netc::schedules::convKernel(c, avx512Target());
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(cache.misses(), misses);
  auto d = netc::schedules::convKernel(c, avx2Target());
  EXPECT_NE(a.get(), d.get());
}

TEST(ConvSpecs, ImpossibleSpecsAreRejected) {
  EXPECT_THROW(netc::halide::buildConv(spec(3, 8, 5, 1, 0, 4, 4)), std::invalid_argument);
  ConvSpec c = withShortcutA(spec(16, 32, 3, 2, 1, 9, 9), 16, 4, 4, 2);
  EXPECT_THROW(netc::halide::buildConv(c), std::invalid_argument);
}

TEST(KernelCache, WrongShapeThrows) {
  ConvSpec c = spec(3, 10, 3, 1, 1, 9, 7);
  std::mt19937 rng(5);
  Buf x = randomBuffer(rng, {4, 7, 9, 1}), w = randomBuffer(rng, {10, 3, 3, 3});
  Buf out(10, 7, 9, 1);
  auto k = netc::schedules::convKernel(c, avx512Target());
  EXPECT_THROW(k->run({x, w}, out), Halide::RuntimeError);
  EXPECT_THROW(k->run({x}, out), std::invalid_argument);
}

}  // namespace
}  // namespace netc::test
