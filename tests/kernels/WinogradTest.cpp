// Winograd F(2x2,3x3) and F(4x4,3x3) convs against the naive double
// reference (on the untransformed weights), on both vector widths; ragged
// tiles, every post-op, varied schedules, and the accuracy of a deep layer.
#include "Reference.h"
#include "schedules/cpu/CpuKernels.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace netc::test {
namespace {

using netc::halide::ConvSpec;
using netc::halide::Residual;
using netc::schedules::ConvSchedule;

// The bound for Winograd against direct convolution.
constexpr double kWinogradTolerance = 1e-4;

ConvSpec spec3x3(int cin, int cout, int pad, int h, int w) {
  ConvSpec s;
  s.cin = cin, s.cout = cout, s.kh = s.kw = 3, s.pad = pad, s.inH = h, s.inW = w;
  return s;
}

struct WgCase {
  const char *name;
  ConvSpec spec;
  int batch;
};
void PrintTo(const WgCase &c, std::ostream *os) { *os << c.name; }

std::vector<WgCase> cases() {
  ConvSpec bnRes = spec3x3(16, 32, 1, 8, 8);
  bnRes.scaleShift = bnRes.relu = true, bnRes.residual = Residual::Same;
  ConvSpec ragged = spec3x3(8, 16, 1, 9, 7);  // 9x7: partial tiles on both axes
  ragged.bias = ragged.relu = true;
  ConvSpec valid = spec3x3(16, 16, 0, 11, 10);  // no padding, 9x8 output
  valid.bias = true;
  ConvSpec shortcut = spec3x3(16, 32, 1, 6, 6);
  shortcut.residual = Residual::ZeroPadded, shortcut.resC = 16, shortcut.resH = 6;
  shortcut.resW = 6, shortcut.resStride = 1, shortcut.relu = true;
  ConvSpec asym = spec3x3(8, 16, 0, 7, 6);
  asym.padTop = 1, asym.padLeft = 0, asym.padBottom = 2, asym.padRight = 1;
  ConvSpec tiny = spec3x3(8, 16, 1, 1, 1);  // one output pixel
  return {{"bn_res_relu_8x8", bnRes, 2},   {"ragged_9x7_bias_relu", ragged, 2},
          {"valid_11x10", valid, 1},       {"shortcutA_6x6", shortcut, 2},
          {"asymmetric_pads", asym, 2},    {"one_pixel", tiny, 3}};
}

Buf winogradBuffer(const ConvSpec &s, const Buf &hwio) {
  std::vector<float> u =
      netc::halide::winogradWeights(hwio.data(), s.cout, s.cin, s.winograd, s.wBlock);
  Buf b(netc::halide::winogradWeightDims(s));
  std::copy(u.begin(), u.end(), b.data());
  return b;
}

// The Winograd kernel's error against the direct double reference.
// fromHwio: the kernel takes the HWIO weights and transforms them itself
// (the training step's forward conv).
double runWinograd(ConvSpec s, int m, int batch, const Halide::Target &t,
                   std::optional<ConvSchedule> sched, unsigned seed, float lo = -1, float hi = 1,
                   bool fromHwio = false) {
  std::mt19937 rng(seed);
  ConvInputs in;
  in.x = randomBuffer(rng, {s.cin, s.inW, s.inH, batch}, lo, hi);
  in.w = randomBuffer(rng, {s.cout, s.cin, 3, 3}, lo, hi);
  if (s.bias) in.bias = randomBuffer(rng, {s.cout});
  if (s.scaleShift) {
    in.scale = randomBuffer(rng, {s.cout}, 0.5f, 1.5f);
    in.shift = randomBuffer(rng, {s.cout});
  }
  if (s.residual == Residual::Same) in.residual = randomBuffer(rng, {s.cout, s.outW(), s.outH(), batch});
  if (s.residual == Residual::ZeroPadded)
    in.residual = randomBuffer(rng, {s.resC, s.resW, s.resH, batch});
  Buf ref = refConv(s, in);
  s.winograd = m;
  s.winogradFromHwio = fromHwio;
  std::vector<Buf> args = {in.x, fromHwio ? in.w : winogradBuffer(s, in.w)};
  if (s.bias) args.push_back(in.bias);
  if (s.scaleShift) args.insert(args.end(), {in.scale, in.shift});
  if (s.residual != Residual::None) args.push_back(in.residual);
  Buf out(s.cout, s.outW(), s.outH(), batch);
  netc::schedules::convKernel(s, t, sched)->run(args, out);
  return relError(out, ref);
}

class WinogradKernel : public ::testing::TestWithParam<std::tuple<WgCase, int, int>> {};

TEST_P(WinogradKernel, MatchesDirectReference) {
  const auto &[c, m, targetIndex] = GetParam();
  EXPECT_LE(runWinograd(c.spec, m, c.batch, testTargets()[targetIndex], std::nullopt, 77),
            kWinogradTolerance)
      << c.spec.key() << " F(" << m << "x" << m << ",3x3)";
}

INSTANTIATE_TEST_SUITE_P(Cases, WinogradKernel,
                         ::testing::Combine(::testing::ValuesIn(cases()), ::testing::Values(2, 4),
                                            ::testing::Values(0, 1)),
                         [](const auto &info) {
                           return std::string(std::get<0>(info.param).name) + "_F" +
                                  std::to_string(std::get<1>(info.param)) +
                                  (std::get<2>(info.param) == 0 ? "_avx512" : "_avx2");
                         });

// Schedules a tuner may pick: odd register tiles, several tile rows per task
// (more than there are), no staging, two channel vectors.
TEST(WinogradSchedules, VariedParamsStayCorrect) {
  ConvSpec s = spec3x3(32, 64, 1, 13, 11);
  s.bias = s.relu = true;
  for (int m : {2, 4})
    for (auto [cv, tx, rows, stage] : {std::tuple{2, 3, 2, true}, {4, 5, 100, false},
                                       {1, 12, 1, true}, {3, 8, 3, false}}) {
      ConvSchedule sc;
      sc.coVecs = cv, sc.tileX = tx, sc.rowsPerTask = rows, sc.stagePadded = stage;
      sc.winograd = m;
      EXPECT_LE(runWinograd(s, m, 2, avx512Target(), sc, 5), kWinogradTolerance)
          << "F" << m << " " << sc.key();
    }
}

// Weights blocked by the channel tile (what the executor binds), and the
// whole-batch phases (coOuter) that read each weight once.
TEST(WinogradSchedules, BlockedWeightsAndPhases) {
  ConvSpec s = spec3x3(32, 64, 1, 9, 10);
  s.scaleShift = s.relu = true;
  for (int m : {2, 4})
    for (bool phases : {false, true}) {
      ConvSchedule sc;
      sc.coVecs = 2, sc.tileX = 3, sc.rowsPerTask = 2, sc.coOuter = phases, sc.winograd = m;
      ConvSpec blocked = s;
      blocked.winograd = m;
      blocked.wBlock = netc::schedules::weightBlockFor(blocked, sc);
      ASSERT_EQ(blocked.wBlock, 32);
      blocked.winograd = 0;  // runWinograd sets it
      EXPECT_LE(runWinograd(blocked, m, 2, avx512Target(), sc, 9), kWinogradTolerance)
          << "F" << m << (phases ? " phases" : "");
    }
}

// The training step's forward: HWIO weights transformed in the kernel on
// every call, plain or blocked by the channel tile, per task or in phases.
TEST(WinogradSchedules, HwioWeightsTransformedInTheKernel) {
  for (const WgCase &c : cases())
    for (int m : {2, 4})
      for (int ti : {0, 1})
        for (bool phases : {false, true}) {
          ConvSchedule sc = netc::schedules::directConvSchedule(c.spec, testTargets()[ti]);
          sc.coVecs = 1, sc.tileX = 3, sc.rowsPerTask = 2, sc.coOuter = phases, sc.winograd = m;
          ConvSpec k = netc::schedules::trainingConvSpec(c.spec, sc);
          ASSERT_TRUE(k.winogradFromHwio && k.winograd == m) << k.key();
          k.winograd = 0, k.winogradFromHwio = false;  // runWinograd sets them
          EXPECT_LE(runWinograd(k, m, c.batch, testTargets()[ti], sc, 21, -1, 1, true),
                    kWinogradTolerance)
              << c.spec.key() << " F" << m << " wb" << k.wBlock << (phases ? " phases" : "");
        }
}

// The built-in schedules of the training step's forward convs (a CIFAR
// ResNet's stride-1 layers) at a small batch.
TEST(WinogradSchedules, TrainingBuiltInMatchesDirect) {
  for (auto [c, hw] : {std::pair{16, 32}, {32, 16}, {64, 8}})
    for (int ti : {0, 1}) {
      ConvSpec s = spec3x3(c, c, 1, hw, hw);
      ConvSchedule sc = netc::schedules::builtinConvSchedule(s, testTargets()[ti], 8, true);
      ASSERT_EQ(sc.winograd, 4) << s.key();
      ConvSpec k = netc::schedules::trainingConvSpec(s, sc);
      k.winograd = 0, k.winogradFromHwio = false;  // runWinograd sets them
      EXPECT_LE(runWinograd(k, 4, 8, testTargets()[ti], sc, 23, -1, 1, true), kWinogradTolerance)
          << s.key() << " [" << sc.key() << "] " << testTargets()[ti].to_string();
    }
}

// A ResNet-50 conv4_x layer (256 channels: the longest sums) with normally
// scaled data: the fp32 transforms stay within 1e-4 of direct convolution.
TEST(WinogradAccuracy, DeepLayerWithin1e4) {
  ConvSpec s = spec3x3(256, 256, 1, 14, 14);
  s.bias = s.relu = true;
  for (int m : {2, 4}) {
    double err = runWinograd(s, m, 1, avx512Target(), std::nullopt, 11);
    EXPECT_LE(err, kWinogradTolerance) << "F" << m;
    RecordProperty(m == 2 ? "err_F2" : "err_F4", std::to_string(err));
  }
}

TEST(WinogradSpecs, OnlyThreeByThreeStrideOne) {
  ConvSpec s = spec3x3(16, 16, 1, 8, 8);
  EXPECT_TRUE(s.winogradApplies());
  ConvSpec strided = s;
  strided.stride = 2;
  EXPECT_FALSE(strided.winogradApplies());
  ConvSpec five = s;
  five.kh = five.kw = 5;
  EXPECT_FALSE(five.winogradApplies());
  ConvSpec odd = s;
  odd.cout = 10;
  EXPECT_FALSE(odd.winogradApplies());
  strided.winograd = 2;
  EXPECT_THROW(strided.validate(), std::invalid_argument);
  s.winograd = 3;
  EXPECT_THROW(s.validate(), std::invalid_argument);
  s.winograd = 4;
  EXPECT_THROW(netc::halide::buildConv(s), std::invalid_argument);  // not the direct builder
}

// The built-in choice: Winograd on large maps and on 7x7 maps with many
// channels, direct on small layers, on GPU targets and with NETC_WINOGRAD=0; Winograd weights are blocked by the
// channel tile (56x56: 2 vectors of 16).
TEST(WinogradSchedules, BuiltInChoice) {
  Halide::Target t = avx512Target();
  ConvSpec big = spec3x3(64, 64, 1, 56, 56), deep = spec3x3(512, 512, 1, 7, 7);
  ConvSpec small = spec3x3(64, 64, 1, 8, 8);
  EXPECT_EQ(netc::schedules::preferredWinograd(big, t, 1), 4);
  EXPECT_EQ(netc::schedules::preferredWinograd(deep, t, 1), 2);
  EXPECT_EQ(netc::schedules::preferredWinograd(small, t, 1), 0);
  EXPECT_EQ(netc::schedules::preferredWinograd(big, Halide::Target("x86-64-linux-cuda"), 1), 0);
  ConvSpec wg = big;
  wg.winograd = 4;
  EXPECT_EQ(netc::schedules::preferredWeightBlock(wg, t, 1), 32);
  setenv("NETC_WINOGRAD", "0", 1);
  EXPECT_EQ(netc::schedules::preferredWinograd(big, t, 1), 0);
  unsetenv("NETC_WINOGRAD");
}

}  // namespace
}  // namespace netc::test
