// Conv dX, dW, db and the fused dX epilogue against double finite
// differences of the reference convolution.
#include "compiler/halide/HostTarget.h"
#include "GradCheck.h"
#include "RefOps.h"
#include "schedules/cpu/backward/TrainKernels.h"

#include <gtest/gtest.h>

namespace netc::test::bwd {
namespace {

namespace nh = netc::halide;
namespace nb = netc::halide::backward;
namespace sb = netc::schedules::backward;

struct ConvCase {
  const char *name;
  int cin, cout, k, stride, pad, inH, inW, n;
  int padTop = -1, padLeft = -1, padBottom = -1, padRight = -1;
};

nh::ConvSpec specOf(const ConvCase &c) {
  nh::ConvSpec s;
  s.cin = c.cin, s.cout = c.cout, s.kh = s.kw = c.k, s.stride = c.stride, s.pad = c.pad;
  s.inH = c.inH, s.inW = c.inW;
  s.padTop = c.padTop, s.padLeft = c.padLeft, s.padBottom = c.padBottom, s.padRight = c.padRight;
  return s;
}

struct Tensors {
  Vec x, w, dy;
};

Tensors randomTensors(const nh::ConvSpec &s, int n, unsigned seed) {
  std::mt19937 rng(seed);
  Tensors t;
  t.x = randomVec(rng, size_t(n) * s.inH * s.inW * s.cin);
  t.w = randomVec(rng, size_t(s.kh) * s.kw * s.cin * s.cout);
  t.dy = randomVec(rng, size_t(n) * s.outH() * s.outW() * s.cout);
  return t;
}

std::vector<int> xDims(const nh::ConvSpec &s, int n) { return {s.cin, s.inW, s.inH, n}; }
std::vector<int> wDims(const nh::ConvSpec &s) { return {s.cout, s.cin, s.kw, s.kh}; }
std::vector<int> yDims(const nh::ConvSpec &s, int n) { return {s.cout, s.outW(), s.outH(), n}; }

class ConvBackward : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvBackward, DxMatchesFiniteDifferences) {
  const ConvCase &c = GetParam();
  nh::ConvSpec s = specOf(c);
  Tensors t = randomTensors(s, c.n, 1);
  Vec ref = fdGradient([&](const Vec &x) { return refConv(s, c.n, x, t.w); }, t.x, t.dy);
  nb::ConvDxSpec d;
  d.conv = s;
  auto dx = zeros(xDims(s, c.n));
  sb::convDxKernel(d, netc::halide::hostTarget())
      ->run({toBuf(t.dy, yDims(s, c.n)), toBuf(t.w, wDims(s))}, {dx});
  EXPECT_LT(relError(dx, ref), kGradTol);
}

TEST_P(ConvBackward, DwMatchesFiniteDifferences) {
  const ConvCase &c = GetParam();
  nh::ConvSpec s = specOf(c);
  Tensors t = randomTensors(s, c.n, 2);
  Vec ref = fdGradient([&](const Vec &w) { return refConv(s, c.n, t.x, w); }, t.w, t.dy);
  auto dw = zeros(wDims(s));
  sb::convDwKernel(s, netc::halide::hostTarget())
      ->run({toBuf(t.dy, yDims(s, c.n)), toBuf(t.x, xDims(s, c.n))}, {dw});
  EXPECT_LT(relError(dw, ref), kGradTol);
}

TEST_P(ConvBackward, DbIsTheSumOfDy) {
  const ConvCase &c = GetParam();
  nh::ConvSpec s = specOf(c);
  Tensors t = randomTensors(s, c.n, 3);
  Vec ref(s.cout, 0.0);
  for (size_t i = 0; i < t.dy.size(); ++i) ref[i % s.cout] += t.dy[i];
  auto db = zeros({s.cout});
  sb::convDbKernel(s, netc::halide::hostTarget())->run({toBuf(t.dy, yDims(s, c.n))}, {db});
  EXPECT_LT(relError(db, ref), kGradTol);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ConvBackward,
    ::testing::Values(ConvCase{"k3s1p1_odd", 3, 5, 3, 1, 1, 6, 5, 2},
                      ConvCase{"k3s2p1_odd", 3, 7, 3, 2, 1, 7, 7, 2},
                      ConvCase{"k1s2", 5, 3, 1, 2, 0, 6, 6, 2},
                      ConvCase{"k5s2p2", 2, 4, 5, 2, 2, 9, 8, 1},
                      ConvCase{"k3s1p0_vectors", 16, 32, 3, 1, 0, 5, 6, 2},
                      ConvCase{"k3s2_asymmetric_pads", 4, 16, 3, 2, 0, 8, 7, 1, 0, 1, 1, 0}),
    [](const ::testing::TestParamInfo<ConvCase> &i) { return std::string(i.param.name); });

// A residual block input X = relu(Z) feeds a conv and the shortcut: the
// fused dX adds the shortcut's gradient and applies the relu mask, so it
// must equal d/dZ of <dy, conv(relu Z)> + <g, shortcut(relu Z)>.
void checkFusedEpilogue(nb::GradAdd add) {
  nh::ConvSpec s = specOf({"", 3, 6, 3, 2, 1, 7, 7, 2});
  const int n = 2;
  std::mt19937 rng(7);
  Vec z = randomVec(rng, size_t(n) * 7 * 7 * 3, true), w = randomVec(rng, 9 * 3 * 6);
  Vec dy = randomVec(rng, size_t(n) * s.outH() * s.outW() * 6);
  nh::ZeroPadSpec zp{{3, 7, 7}, 6, 2};
  nb::ConvDxSpec d;
  d.conv = s;
  d.add = add;
  d.reluMask = true;
  d.addC = 6, d.addH = zp.outH(), d.addW = zp.outW(), d.addStride = 2;
  bool shortcut = add == nb::GradAdd::ZeroPadded;
  Vec g = randomVec(rng, shortcut ? size_t(n) * zp.outH() * zp.outW() * 6 : z.size());
  auto f = [&](const Vec &zz) {
    Vec x = refRelu(zz), y = refConv(s, n, x, w);
    Vec other = shortcut ? refZeroPad(zp, n, x) : x;
    y.insert(y.end(), other.begin(), other.end());
    return y;
  };
  Vec weights = dy;
  weights.insert(weights.end(), g.begin(), g.end());
  Vec ref = fdGradient(f, z, weights);
  std::vector<int> gDims = shortcut ? std::vector<int>{6, zp.outW(), zp.outH(), n} : xDims(s, n);
  auto dx = zeros(xDims(s, n));
  sb::convDxKernel(d, netc::halide::hostTarget())
      ->run({toBuf(dy, yDims(s, n)), toBuf(w, wDims(s)), toBuf(g, gDims),
             toBuf(refRelu(z), xDims(s, n))},
            {dx});
  EXPECT_LT(relError(dx, ref), kGradTol);
}

TEST(ConvBackwardFused, DxPlusSameGradientAndReluMask) { checkFusedEpilogue(nb::GradAdd::Same); }

TEST(ConvBackwardFused, DxPlusOptionAShortcutAndReluMask) {
  checkFusedEpilogue(nb::GradAdd::ZeroPadded);
}

TEST(ConvBackwardFused, RejectsAMismatchedShortcutGradient) {
  nb::ConvDxSpec d;
  d.conv = specOf({"", 3, 6, 3, 2, 1, 7, 7, 2});
  d.add = nb::GradAdd::ZeroPadded;
  d.addC = 6, d.addH = 3, d.addW = 4, d.addStride = 2;
  EXPECT_THROW(nb::buildConvDx(d), std::invalid_argument);
}

}  // namespace
}  // namespace netc::test::bwd

namespace netc::test::bwd {
namespace {

// The ResNet layer shapes (64 channels, 8x8 maps, batch 8) are too big for
// finite differences: against the gradients written as direct double sums.
struct Direct {
  Vec dx, dw;
};
Direct directGrads(const nh::ConvSpec &s, int n, const Tensors &t) {
  Direct d{Vec(t.x.size(), 0.0), Vec(t.w.size(), 0.0)};
  for (int b = 0; b < n; ++b)
    for (int oy = 0; oy < s.outH(); ++oy)
      for (int ox = 0; ox < s.outW(); ++ox)
        for (int ky = 0; ky < s.kh; ++ky)
          for (int kx = 0; kx < s.kw; ++kx) {
            int iy = oy * s.stride + ky - s.pad, ix = ox * s.stride + kx - s.pad;
            if (iy < 0 || ix < 0 || iy >= s.inH || ix >= s.inW) continue;
            for (int ci = 0; ci < s.cin; ++ci)
              for (int co = 0; co < s.cout; ++co) {
                size_t yi = ((size_t(b) * s.outH() + oy) * s.outW() + ox) * s.cout + co;
                size_t xi = ((size_t(b) * s.inH + iy) * s.inW + ix) * s.cin + ci;
                size_t wi = ((size_t(ky) * s.kw + kx) * s.cin + ci) * s.cout + co;
                d.dw[wi] += t.dy[yi] * t.x[xi];
                d.dx[xi] += t.dy[yi] * t.w[wi];
              }
          }
  return d;
}

class ConvBackwardLarge : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvBackwardLarge, DxAndDwMatchDirectSums) {
  const ConvCase &c = GetParam();
  nh::ConvSpec s = specOf(c);
  Tensors t = randomTensors(s, c.n, 4);
  Direct ref = directGrads(s, c.n, t);
  nb::ConvDxSpec d;
  d.conv = s;
  auto dx = zeros(xDims(s, c.n)), dw = zeros(wDims(s));
  sb::convDxKernel(d, netc::halide::hostTarget())
      ->run({toBuf(t.dy, yDims(s, c.n)), toBuf(t.w, wDims(s))}, {dx});
  sb::convDwKernel(s, netc::halide::hostTarget())
      ->run({toBuf(t.dy, yDims(s, c.n)), toBuf(t.x, xDims(s, c.n))}, {dw});
  EXPECT_LT(relError(dx, ref.dx), 1e-5);
  EXPECT_LT(relError(dw, ref.dw), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(
    ResNet20, ConvBackwardLarge,
    ::testing::Values(ConvCase{"s1_16_32x32", 16, 16, 3, 1, 1, 32, 32, 2},
                      ConvCase{"s2_16to32", 16, 32, 3, 2, 1, 32, 32, 2},
                      ConvCase{"s1_64_8x8", 64, 64, 3, 1, 1, 8, 8, 8},
                      ConvCase{"s1_64_7x7", 64, 64, 3, 1, 1, 7, 7, 8},
                      ConvCase{"s2_32to64_16", 32, 64, 3, 2, 1, 16, 16, 8},
                      ConvCase{"first_3to16", 3, 16, 3, 1, 1, 32, 32, 8}),
    [](const ::testing::TestParamInfo<ConvCase> &i) { return std::string(i.param.name); });

} // namespace
} // namespace netc::test::bwd
