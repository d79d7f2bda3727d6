// BatchNorm training, pooling, FC, loss, relu, dropout and shortcut
// gradients against double finite differences of the reference forwards.
#include "compiler/halide/HostTarget.h"
#include "GradCheck.h"
#include "RefOps.h"
#include "schedules/cpu/backward/TrainKernels.h"

#include <gtest/gtest.h>

#include <cmath>

namespace netc::test::bwd {
namespace {

namespace nh = netc::halide;
namespace nb = netc::halide::backward;
namespace sb = netc::schedules::backward;

Halide::Target host() { return netc::halide::hostTarget(); }

std::vector<int> nhwc(const nh::Shape3 &s, int n) { return {s.c, s.w, s.h, n}; }

// ---- BatchNorm (training mode) ----

struct BnFixture {
  nh::Shape3 shape{5, 4, 3};
  int n = 3;
  Vec x, gamma, beta, runMean, runVar, dOut;
  explicit BnFixture(unsigned seed) {
    std::mt19937 rng(seed);
    x = randomVec(rng, size_t(n) * 60);
    gamma = randomVec(rng, 5, true), beta = randomVec(rng, 5), runMean = randomVec(rng, 5);
    runVar = randomVec(rng, 5, true);
    for (double &v : runVar) v = std::abs(v);
    dOut = randomVec(rng, x.size());
  }
  // y and stats from the Halide forward.
  std::pair<Halide::Buffer<float>, Halide::Buffer<float>> forward(const nb::BnTrainSpec &s) {
    auto y = zeros(nhwc(shape, n)), stats = zeros({5, nb::kBnStats});
    sb::bnTrainForwardKernel(s, host())
        ->run({toBuf(x, nhwc(shape, n)), toBuf(gamma, {5}), toBuf(beta, {5}),
               toBuf(runMean, {5}), toBuf(runVar, {5})},
              {y, stats});
    return {y, stats};
  }
};

TEST(BatchNormTrain, ForwardUsesBatchStatisticsAndUpdatesRunningStats) {
  BnFixture f(21);
  nb::BnTrainSpec s{f.shape, 1e-5f, 0.1f, false};
  auto [y, stats] = f.forward(s);
  BnOut ref = refBnTrain(f.shape, f.n, f.x, f.gamma, f.beta, 1e-5, false);
  EXPECT_LT(relError(y, ref.y), 1e-5);
  const double m = f.n * 12.0;
  for (int c = 0; c < 5; ++c) {
    EXPECT_NEAR(stats(c, nb::kBnMean), ref.mean[c], 1e-6);
    EXPECT_NEAR(stats(c, nb::kBnInvStd), 1 / std::sqrt(ref.var[c] + 1e-5), 1e-4);
    EXPECT_NEAR(stats(c, nb::kBnRunMean), 0.9 * f.runMean[c] + 0.1 * ref.mean[c], 1e-6);
    // Running variance uses the unbiased estimate.
    EXPECT_NEAR(stats(c, nb::kBnRunVar), 0.9 * f.runVar[c] + 0.1 * ref.var[c] * m / (m - 1), 1e-6);
  }
}

void checkBnBackward(bool relu) {
  BnFixture f(relu ? 22 : 23);
  nb::BnTrainSpec s{f.shape, 1e-5f, 0.1f, relu};
  auto [y, stats] = f.forward(s);
  auto bn = [&](const Vec &x, const Vec &g, const Vec &b) {
    return refBnTrain(f.shape, f.n, x, g, b, 1e-5, relu).y;
  };
  const double h = 1e-5;  // far below the distance of any output to the relu kink
  Vec dx = fdGradient([&](const Vec &x) { return bn(x, f.gamma, f.beta); }, f.x, f.dOut, h);
  Vec dg = fdGradient([&](const Vec &g) { return bn(f.x, g, f.beta); }, f.gamma, f.dOut, h);
  Vec dbt = fdGradient([&](const Vec &b) { return bn(f.x, f.gamma, b); }, f.beta, f.dOut, h);
  auto dxH = zeros(nhwc(f.shape, f.n)), dparams = zeros({5, 2});
  std::vector<Halide::Buffer<>> in = {toBuf(f.dOut, nhwc(f.shape, f.n))};
  if (relu) in.push_back(y);
  in.insert(in.end(), {toBuf(f.x, nhwc(f.shape, f.n)), stats, toBuf(f.gamma, {5})});
  sb::bnTrainBackwardKernel(s, host())->run(in, {dxH, dparams});
  EXPECT_LT(relError(dxH, dx), kGradTol);
  Vec got = fromBuf(dparams);
  EXPECT_LT(relError(Vec(got.begin(), got.begin() + 5), dg), kGradTol);
  EXPECT_LT(relError(Vec(got.begin() + 5, got.end()), dbt), kGradTol);
}

TEST(BatchNormTrain, BackwardMatchesFiniteDifferences) { checkBnBackward(false); }
TEST(BatchNormTrain, BackwardFusedWithReluMatchesFiniteDifferences) { checkBnBackward(true); }

// ---- Pooling ----

nh::PoolSpec pool(int c, int inH, int inW, int k, int stride, int pad, bool ceil) {
  nh::PoolSpec s;
  s.c = c, s.inH = inH, s.inW = inW, s.kh = s.kw = k, s.stride = stride, s.pad = pad;
  s.ceilMode = ceil;
  return s;
}

std::vector<int> poolIn(const nh::PoolSpec &s, int n) { return {s.c, s.inW, s.inH, n}; }
std::vector<int> poolOut(const nh::PoolSpec &s, int n) { return {s.c, s.outW(), s.outH(), n}; }

class PoolBackward : public ::testing::TestWithParam<nh::PoolSpec> {};

TEST_P(PoolBackward, MaxMatchesFiniteDifferences) {
  const nh::PoolSpec s = GetParam();
  const int n = 2;
  std::mt19937 rng(31);
  Vec x = randomVec(rng, size_t(n) * s.inH * s.inW * s.c);
  Vec dy = randomVec(rng, size_t(n) * s.outH() * s.outW() * s.c);
  Vec ref = fdGradient([&](const Vec &v) { return refMaxPool(s, n, v); }, x, dy, 1e-5);
  auto dx = zeros(poolIn(s, n));
  sb::maxPoolBackwardKernel(s, host())->run({toBuf(x, poolIn(s, n)), toBuf(dy, poolOut(s, n))}, {dx});
  EXPECT_LT(relError(dx, ref), kGradTol);
}

TEST_P(PoolBackward, AvgMatchesFiniteDifferences) {
  const nh::PoolSpec s = GetParam();
  const int n = 2;
  std::mt19937 rng(32);
  Vec x = randomVec(rng, size_t(n) * s.inH * s.inW * s.c);
  Vec dy = randomVec(rng, size_t(n) * s.outH() * s.outW() * s.c);
  Vec ref = fdGradient([&](const Vec &v) { return refAvgPool(s, n, v); }, x, dy);
  auto dx = zeros(poolIn(s, n));
  sb::avgPoolBackwardKernel(s, host())->run({toBuf(dy, poolOut(s, n))}, {dx});
  EXPECT_LT(relError(dx, ref), kGradTol);
}

INSTANTIATE_TEST_SUITE_P(Shapes, PoolBackward,
                         ::testing::Values(pool(3, 7, 6, 3, 2, 1, false),
                                           pool(5, 5, 5, 2, 2, 0, true),
                                           pool(17, 6, 6, 3, 1, 1, false)));

// Ties: PyTorch routes the gradient to the first maximum in row-major
// (ky, kx) order. Inputs from {0, 1, 2} tie in most windows.
TEST(PoolBackwardTies, MaxRoutesToTheFirstMaximum) {
  nh::PoolSpec s = pool(4, 7, 7, 3, 2, 1, false);
  const int n = 2;
  std::mt19937 rng(33);
  std::uniform_int_distribution<int> level(0, 2);
  Vec x(size_t(n) * 49 * 4), dy;
  for (double &v : x) v = level(rng);
  dy = randomVec(rng, size_t(n) * s.outH() * s.outW() * 4);
  Vec ref(x.size(), 0.0);
  for (int b = 0; b < n; ++b)
    for (int oy = 0; oy < s.outH(); ++oy)
      for (int ox = 0; ox < s.outW(); ++ox)
        for (int c = 0; c < 4; ++c) {
          long best = -1;
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
              int iy = oy * 2 + ky - 1, ix = ox * 2 + kx - 1;
              if (iy < 0 || iy >= 7 || ix < 0 || ix >= 7) continue;
              long i = ((long(b) * 7 + iy) * 7 + ix) * 4 + c;
              if (best < 0 || x[i] > x[best]) best = i;
            }
          ref[best] += dy[((size_t(b) * s.outH() + oy) * s.outW() + ox) * 4 + c];
        }
  auto dx = zeros(poolIn(s, n));
  sb::maxPoolBackwardKernel(s, host())->run({toBuf(x, poolIn(s, n)), toBuf(dy, poolOut(s, n))}, {dx});
  EXPECT_LT(relError(dx, ref), 1e-6);
}

TEST(PoolBackwardGlobal, AvgMatchesFiniteDifferences) {
  nh::GlobalPoolSpec s{5, 3, 4};
  const int n = 3;
  std::mt19937 rng(34);
  Vec x = randomVec(rng, size_t(n) * 60), dy = randomVec(rng, size_t(n) * 5);
  Vec ref = fdGradient([&](const Vec &v) { return refGlobalAvgPool(s, n, v); }, x, dy);
  auto dx = zeros({5, 4, 3, n});
  sb::globalAvgPoolBackwardKernel(s, host())->run({toBuf(dy, {5, 1, 1, n})}, {dx});
  EXPECT_LT(relError(dx, ref), kGradTol);
}

// ---- Fully connected ----

TEST(FcBackward, DxDwDbMatchFiniteDifferences) {
  const int in = 19, out = 7, n = 3;
  nh::FcSpec s{in, out, true, false};
  std::mt19937 rng(41);
  Vec x = randomVec(rng, size_t(in) * n), w = randomVec(rng, size_t(in) * out);
  Vec b = randomVec(rng, out), dy = randomVec(rng, size_t(out) * n);
  Vec rdx = fdGradient([&](const Vec &v) { return refFc(in, out, n, v, w, b); }, x, dy);
  Vec rdw = fdGradient([&](const Vec &v) { return refFc(in, out, n, x, v, b); }, w, dy);
  Vec rdb = fdGradient([&](const Vec &v) { return refFc(in, out, n, x, w, v); }, b, dy);
  auto dx = zeros({in, n}), dw = zeros({in, out}), db = zeros({out});
  sb::fcBackwardKernel(s, host())
      ->run({toBuf(dy, {out, n}), toBuf(x, {in, n}), toBuf(w, {in, out})}, {dx, dw, db});
  EXPECT_LT(relError(dx, rdx), kGradTol);
  EXPECT_LT(relError(dw, rdw), kGradTol);
  EXPECT_LT(relError(db, rdb), kGradTol);
}

// ---- Softmax cross-entropy ----

TEST(SoftmaxCrossEntropy, LossAndGradientMatchTheReference) {
  const int classes = 10, n = 5;
  std::mt19937 rng(51);
  Vec z = randomVec(rng, size_t(classes) * n);
  for (double &v : z) v *= 4;  // a spread that makes softmax non-trivial
  std::vector<int> labels = {3, 0, 9, 3, 7};
  Halide::Buffer<int32_t> lab(labels.data(), n);
  auto loss = zeros({1}), dz = zeros({classes, n});
  sb::softmaxXentKernel({classes}, host())->run({toBuf(z, {classes, n}), lab}, {loss, dz});
  double refLoss = refXent(classes, n, z, labels);
  EXPECT_NEAR(loss(0), refLoss, 1e-5 * std::abs(refLoss));
  Vec ref = fdGradient([&](const Vec &v) { return Vec{refXent(classes, n, v, labels)}; }, z,
                       Vec{1.0}, 1e-5);
  EXPECT_LT(relError(dz, ref), kGradTol);
}

// ---- Element-wise ----

TEST(Eltwise, ReluBackwardMatchesFiniteDifferences) {
  const int len = 1000;
  std::mt19937 rng(61);
  Vec x = randomVec(rng, len, true), dy = randomVec(rng, len);
  Vec ref = fdGradient(refRelu, x, dy);
  auto dx = zeros({len});
  sb::reluBackwardKernel(host())->run({toBuf(dy, {len}), toBuf(refRelu(x), {len})}, {dx});
  EXPECT_LT(relError(dx, ref), kGradTol);
}

TEST(Eltwise, DropoutForwardAndBackwardWithAGivenMask) {
  const int len = 777;
  const float p = 0.3f;
  std::mt19937 rng(62);
  Vec x = randomVec(rng, len), dy = randomVec(rng, len), mask(len);
  std::bernoulli_distribution keep(1 - p);
  for (double &m : mask) m = keep(rng) ? 1.0 : 0.0;
  auto drop = [&](const Vec &v) {
    Vec y(v.size());
    for (size_t i = 0; i < v.size(); ++i) y[i] = v[i] * mask[i] / (1 - double(p));
    return y;
  };
  auto k = sb::dropoutKernel(p, host());
  auto y = zeros({len}), dx = zeros({len});
  k->run({toBuf(x, {len}), toBuf(mask, {len})}, {y});
  EXPECT_LT(relError(y, drop(x)), 1e-6);
  k->run({toBuf(dy, {len}), toBuf(mask, {len})}, {dx});
  EXPECT_LT(relError(dx, fdGradient(drop, x, dy)), kGradTol);
}

TEST(Eltwise, ZeroPadShortcutBackwardMatchesFiniteDifferences) {
  nh::ZeroPadSpec s{{3, 7, 5}, 8, 2};
  const int n = 2;
  std::mt19937 rng(63);
  Vec x = randomVec(rng, size_t(n) * 35 * 3);
  Vec g = randomVec(rng, size_t(n) * s.outH() * s.outW() * 8);
  Vec ref = fdGradient([&](const Vec &v) { return refZeroPad(s, n, v); }, x, g);
  auto dx = zeros({3, 7, 5, n});
  sb::zeroPadShortcutBackwardKernel(s, host())->run({toBuf(g, {8, s.outW(), s.outH(), n})}, {dx});
  EXPECT_LT(relError(dx, ref), kGradTol);
}

TEST(TrainKernelCache, SameSpecCompilesOnce) {
  auto a = sb::reluBackwardKernel(host());
  size_t before = sb::trainKernelCompiles();
  auto b = sb::reluBackwardKernel(host());
  EXPECT_EQ(a, b);
  EXPECT_EQ(sb::trainKernelCompiles(), before);
}

}  // namespace
}  // namespace netc::test::bwd
