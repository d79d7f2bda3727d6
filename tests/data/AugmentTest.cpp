// Augmentation properties: crops stay in bounds, flips mirror, identical
// seeds give identical bytes, mean/scale/lighting apply as documented.
#include "runtime/data/Augment.h"
#include "runtime/data/ColourStats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

using namespace netc::runtime::data;

namespace {

// A sample whose pixel value encodes its position: 1 + (c*H + y)*W + x.
Sample coded(int64_t c, int64_t h, int64_t w) {
  Sample s;
  s.shape = SampleShape{c, h, w};
  s.pixels.resize(size_t(c * h * w));
  for (size_t i = 0; i < s.pixels.size(); ++i)
    s.pixels[i] = static_cast<uint8_t>(1 + i % 250);
  return s;
}

std::vector<float> run(Augmenter &a, const Sample &s, uint64_t seed) {
  std::vector<float> out(size_t(a.outputShape().elements()));
  a.apply(s, seed, out.data());
  return out;
}

AugmentConfig cifar() {
  AugmentConfig cfg;
  cfg.pad = 4;
  cfg.flip = true;
  return cfg;
}

} // namespace

TEST(Augment, NoAugmentationIsTheIdentity) {
  Sample s = coded(3, 5, 6);
  Augmenter a(AugmentConfig{}, 3, s.shape);
  std::vector<float> out = run(a, s, 1);
  for (size_t i = 0; i < out.size(); ++i)
    ASSERT_EQ(out[i], float(s.pixels[i]));
}

TEST(Augment, PadCropStaysInBoundsAndCopiesTheWindow) {
  Sample s = coded(3, 8, 8);
  Augmenter a(cifar(), 3, s.shape);
  for (uint64_t seed = 0; seed < 300; ++seed) {
    Rng rng(seed);
    Draw d = a.draw(s.shape, rng);
    ASSERT_GE(d.top, 0);
    ASSERT_LE(d.top, 8);
    ASSERT_GE(d.left, 0);
    ASSERT_LE(d.left, 8);
    d.flip = false;
    std::vector<float> out(3 * 8 * 8);
    a.render(s, d, out.data());
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t y = 0; y < 8; ++y)
        for (int64_t x = 0; x < 8; ++x) {
          int64_t sy = d.top + y - 4, sx = d.left + x - 4;
          bool in = sy >= 0 && sy < 8 && sx >= 0 && sx < 8;
          float want = in ? s.pixels[size_t((c * 8 + sy) * 8 + sx)] : 0.0f;
          ASSERT_EQ(out[size_t((c * 8 + y) * 8 + x)], want);
        }
  }
}

TEST(Augment, FlipIsAMirror) {
  for (Geometry g : {Geometry::PadCrop, Geometry::ScaleCrop}) {
    AugmentConfig cfg = cifar();
    cfg.geometry = g;
    cfg.outH = cfg.outW = 6;
    cfg.scaleMin = 7;
    cfg.scaleMax = 12;
    Sample s = coded(3, 9, 11);
    Augmenter a(cfg, 3, std::nullopt);
    Rng rng(5);
    Draw d = a.draw(s.shape, rng);
    std::vector<float> plain(3 * 36), mirror(3 * 36);
    d.flip = false;
    a.render(s, d, plain.data());
    d.flip = true;
    a.render(s, d, mirror.data());
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 6; ++y)
        for (int x = 0; x < 6; ++x)
          ASSERT_EQ(mirror[(c * 6 + y) * 6 + x], plain[(c * 6 + y) * 6 + 5 - x]);
  }
}

TEST(Augment, FlipsAboutHalfTheTime) {
  Sample s = coded(1, 4, 4);
  Augmenter a(cifar(), 1, s.shape);
  int flips = 0;
  for (uint64_t seed = 0; seed < 1000; ++seed) {
    Rng rng(seed);
    flips += a.draw(s.shape, rng).flip;
  }
  EXPECT_GT(flips, 400);
  EXPECT_LT(flips, 600);
}

TEST(Augment, ScaleCropSamplesTheShorterSideInRange) {
  AugmentConfig cfg;
  cfg.geometry = Geometry::ScaleCrop;
  cfg.outH = cfg.outW = 224;
  cfg.scaleMin = 256;
  cfg.scaleMax = 480; // ResNet
  Augmenter a(cfg, 3, std::nullopt);
  SampleShape in{3, 300, 400};
  int64_t lo = 1000, hi = 0;
  for (uint64_t seed = 0; seed < 500; ++seed) {
    Rng rng(seed);
    Draw d = a.draw(in, rng);
    ASSERT_GE(d.scaledH, 256); // the shorter side is S
    ASSERT_LE(d.scaledH, 480);
    ASSERT_EQ(d.scaledW, std::llround(400.0 * d.scaledH / 300));
    ASSERT_GE(d.top, 0);
    ASSERT_LE(d.top + 224, d.scaledH);
    ASSERT_GE(d.left, 0);
    ASSERT_LE(d.left + 224, d.scaledW);
    lo = std::min(lo, d.scaledH);
    hi = std::max(hi, d.scaledH);
  }
  EXPECT_LT(lo, 270);
  EXPECT_GT(hi, 465);
}

TEST(Augment, ScaleCropAtScaleOneIsAnExactCrop) {
  AugmentConfig cfg;
  cfg.geometry = Geometry::ScaleCrop;
  cfg.outH = cfg.outW = 4;
  cfg.scaleMin = cfg.scaleMax = 6; // = the shorter side: no resampling
  Sample s = coded(3, 6, 9);
  Augmenter a(cfg, 3, std::nullopt);
  for (uint64_t seed = 0; seed < 50; ++seed) {
    Rng rng(seed);
    Draw d = a.draw(s.shape, rng);
    d.flip = false;
    std::vector<float> out(3 * 16);
    a.render(s, d, out.data());
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 4; ++y)
        for (int x = 0; x < 4; ++x)
          ASSERT_EQ(out[(c * 4 + y) * 4 + x], s.pixels[size_t((c * 6 + d.top + y) * 9 + d.left + x)]);
  }
}

TEST(Augment, ScaleCropOfAConstantImageIsConstant) {
  AugmentConfig cfg;
  cfg.geometry = Geometry::ScaleCrop;
  cfg.outH = cfg.outW = 16;
  cfg.scaleMin = 16;
  cfg.scaleMax = 40;
  cfg.flip = true;
  Sample s;
  s.shape = {3, 7, 13};
  s.pixels.assign(3 * 7 * 13, 77);
  Augmenter a(cfg, 3, std::nullopt);
  for (uint64_t seed = 0; seed < 20; ++seed)
    for (float v : run(a, s, seed))
      ASSERT_NEAR(v, 77.0f, 1e-4);
}

TEST(Augment, SameSeedSameBytesDifferentSeedDifferent) {
  AugmentConfig cfg = cifar();
  cfg.lightingStd = 0.1f;
  cfg.stats.eigval = {0.2175f, 0.0188f, 0.0045f}; // AlexNet's ImageNet values
  cfg.stats.eigvec = {{{-0.5675f, -0.5808f, -0.5836f}, {0.7192f, -0.0045f, -0.6948f}, {0.4009f, -0.8140f, 0.4203f}}};
  Sample s = coded(3, 32, 32);
  Augmenter a(cfg, 3, s.shape), b(cfg, 3, s.shape);
  std::vector<float> x = run(a, s, 42), y = run(b, s, 42), z = run(a, s, 43);
  EXPECT_EQ(std::memcmp(x.data(), y.data(), x.size() * sizeof(float)), 0);
  EXPECT_NE(std::memcmp(x.data(), z.data(), x.size() * sizeof(float)), 0);
}

TEST(Augment, LightingShiftsAlongThePrincipalComponents) {
  AugmentConfig cfg;
  cfg.lightingStd = 0.1f;
  cfg.stats.eigval = {0.5f, 0.0f, 0.0f};
  cfg.stats.eigvec = {{{0.6f, 0.8f, 0.0f}, {0, 0, 1}, {1, 0, 0}}};
  Augmenter a(cfg, 3, SampleShape{3, 2, 2});
  double sumSq = 0;
  for (uint64_t seed = 0; seed < 2000; ++seed) {
    Rng rng(seed);
    Draw d = a.draw(SampleShape{3, 2, 2}, rng);
    ASSERT_NEAR(d.shift[0] * 0.8f, d.shift[1] * 0.6f, 1e-3); // along (0.6, 0.8, 0)
    ASSERT_EQ(d.shift[2], 0.0f);
    sumSq += d.shift[0] * d.shift[0] + d.shift[1] * d.shift[1];
  }
  // |shift| = 255 * |alpha| * 0.5 with alpha ~ N(0, 0.1): rms 12.75.
  EXPECT_NEAR(std::sqrt(sumSq / 2000), 12.75, 1.0);
}

TEST(Augment, MeanSubtractionAndScale) {
  Sample s = coded(2, 2, 2);
  AugmentConfig perChannel;
  perChannel.mean = {1.0f, 2.0f};
  perChannel.scale = {0.5f, 2.0f};
  Augmenter a(perChannel, 2, s.shape);
  std::vector<float> out = run(a, s, 0);
  EXPECT_EQ(out[0], (s.pixels[0] - 1.0f) * 0.5f);
  EXPECT_EQ(out[7], (s.pixels[7] - 2.0f) * 2.0f);
  AugmentConfig perPixel;
  perPixel.mean.assign(s.pixels.begin(), s.pixels.end()); // subtracts itself
  Augmenter b(perPixel, 2, s.shape);
  for (float v : run(b, s, 0))
    EXPECT_EQ(v, 0.0f);
}

TEST(Augment, InconsistentConfigsAreRejected) {
  AugmentConfig c;
  EXPECT_THROW(Augmenter(c, 3, std::nullopt), std::invalid_argument); // no size
  c.outH = c.outW = 224;
  c.geometry = Geometry::ScaleCrop;
  c.scaleMin = 200;
  EXPECT_THROW(Augmenter(c, 3, std::nullopt), std::invalid_argument); // S < crop
  c.scaleMin = 256;
  c.mean = {1, 2};
  EXPECT_THROW(Augmenter(c, 3, std::nullopt), std::invalid_argument); // mean size
  c.mean.clear();
  c.lightingStd = 0.1f;
  EXPECT_THROW(Augmenter(c, 3, std::nullopt), std::invalid_argument); // no PCA stats
}

TEST(ColourStats, MeansAndPcaOfATinyDataset) {
  // Two 3x1x2 images; channel 2 = 2 * channel 0, channel 1 constant.
  std::vector<uint8_t> px = {10, 30, 100, 100, 20, 60, /**/ 50, 70, 100, 100, 100, 140};
  InMemoryDataset ds({3, 1, 2}, px, {0, 1}, {"a", "b"});
  ColourStats st = computeColourStats(ds);
  EXPECT_FLOAT_EQ(st.channelMean[0], 40.0f);
  EXPECT_FLOAT_EQ(st.channelMean[1], 100.0f);
  EXPECT_FLOAT_EQ(st.channelMean[2], 80.0f);
  ASSERT_EQ(st.pixelMean.size(), 6u);
  EXPECT_FLOAT_EQ(st.pixelMean[0], 30.0f);
  EXPECT_FLOAT_EQ(st.pixelMean[5], 100.0f);
  // All variance lies along (1, 0, 2)/sqrt(5).
  EXPECT_GT(st.eigval[0], 0.01f);
  EXPECT_NEAR(st.eigval[1], 0.0f, 1e-6);
  EXPECT_NEAR(std::abs(st.eigvec[0][0]), 1 / std::sqrt(5.0f), 1e-4);
  EXPECT_NEAR(std::abs(st.eigvec[0][1]), 0.0f, 1e-4);
  EXPECT_NEAR(std::abs(st.eigvec[0][2]), 2 / std::sqrt(5.0f), 1e-4);
}

TEST(ColourStats, JacobiEigenDecomposesASymmetricMatrix) {
  std::array<std::array<double, 3>, 3> m = {{{4, 1, 2}, {1, 3, 0.5}, {2, 0.5, 5}}};
  std::array<float, 3> val;
  std::array<std::array<float, 3>, 3> vec;
  symmetricEigen3(m, val, vec);
  EXPECT_GE(val[0], val[1]);
  EXPECT_GE(val[1], val[2]);
  for (int k = 0; k < 3; ++k)
    for (int r = 0; r < 3; ++r) { // M v = lambda v
      double mv = 0;
      for (int c = 0; c < 3; ++c)
        mv += m[r][c] * vec[k][c];
      EXPECT_NEAR(mv, val[k] * vec[k][r], 1e-4);
    }
}
