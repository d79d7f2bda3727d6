// Checkpoints: round trip, every verification error, and the input
// normalisation helpers.
#include "runtime/Error.h"
#include "runtime/train/Checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <unistd.h>

namespace netc::runtime::train {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("netc_ckpt_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string operator/(const std::string &n) const { return (path / n).string(); }
};

Checkpoint sample() {
  Checkpoint c;
  c.tensors = {{"conv1.weight", {2, 3}, {1, 2, 3, 4, 5, 6}},
               {"bn1.running_mean", {2}, {0.5f, -0.5f}},
               {"input.scale", {1}, {1 / 255.0f}}};
  c.momentum = {{"conv1.weight", {2, 3}, {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f}}};
  c.step = 1234;
  c.samplesConsumed = 1234 * 128;
  c.loader = {42, 3, 256, 60000};
  c.schedule = {1, 0.1, 0.25, 2, 0};
  return c;
}

const char *kName = "tiny", *kText = "net tiny\n";

void expectError(const std::function<void()> &f, const std::string &part) {
  try {
    f();
    ADD_FAILURE() << "no error; wanted one mentioning '" << part << "'";
  } catch (const IoError &e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(Checkpoint, RoundTrips) {
  TempDir d;
  Checkpoint c = sample();
  saveCheckpoint(d / "a.nw", kName, kText, c);
  Checkpoint r = loadCheckpoint(d / "a.nw", kName, kText, {"conv1.weight", "bn1.running_mean"});
  ASSERT_EQ(r.tensors.size(), 3u);
  EXPECT_EQ(r.tensors[0].data, c.tensors[0].data);
  EXPECT_EQ(r.momentum.at(0).data, c.momentum[0].data);
  EXPECT_EQ(r.step, 1234);
  EXPECT_EQ(r.samplesConsumed, 1234 * 128);
  EXPECT_TRUE(r.loader == c.loader);
  EXPECT_EQ(r.schedule, c.schedule);
}

TEST(Checkpoint, RngStateLayoutIsLittleEndianAndVersioned) {
  std::vector<uint8_t> b = encodeRngState({0x0102030405060708ULL, 1, 2, 3}, {1.0});
  ASSERT_EQ(b.size(), 1u + 32 + 4 + 8);
  EXPECT_EQ(b[0], kRngStateVersion);
  EXPECT_EQ(b[1], 0x08);
  EXPECT_EQ(b[8], 0x01);
  EXPECT_EQ(b[33], 1); // schedule count
  EXPECT_EQ(b[44], 0x3f); // 1.0 = 0x3ff0000000000000, high byte last
  data::LoaderState l;
  std::vector<double> s;
  decodeRngState(b, "x", l, s);
  EXPECT_EQ(l.seed, 0x0102030405060708ULL);
  EXPECT_EQ(s, std::vector<double>{1.0});
  std::vector<uint8_t> bad = b;
  bad[0] = 7;
  expectError([&] { decodeRngState(bad, "x", l, s); }, "version 7");
  bad = b;
  bad.pop_back();
  expectError([&] { decodeRngState(bad, "x", l, s); }, "bytes");
  expectError([&] { decodeRngState({}, "x", l, s); }, "no rng_state");
}

TEST(Checkpoint, VerifiesOnLoad) {
  TempDir d;
  Checkpoint c = sample();
  saveCheckpoint(d / "a.nw", kName, kText, c);
  expectError([&] { loadCheckpoint(d / "a.nw", "other", kText); }, "network");
  expectError([&] { loadCheckpoint(d / "a.nw", kName, kText, {"conv1.weight", "fc.weight"}); },
              "no tensor 'fc.weight'");
  expectError([&] { loadCheckpoint(d / "a.nw", kName, kText, {"conv1.weight"}); },
              "'bn1.running_mean', which the network does not have");

  WeightsFile plain{kName, kText, c.tensors, std::nullopt};
  saveWeights(d / "plain.nw", plain);
  expectError([&] { loadCheckpoint(d / "plain.nw", kName, kText); }, "plain weights file");

  WeightsFile w = loadWeights(d / "a.nw");
  w.training->optimizer = "adam";
  saveWeights(d / "adam.nw", w);
  expectError([&] { loadCheckpoint(d / "adam.nw", kName, kText); }, "optimizer 'adam'");

  w = loadWeights(d / "a.nw");
  w.training->rngState[0] = 2;
  saveWeights(d / "v2.nw", w);
  expectError([&] { loadCheckpoint(d / "v2.nw", kName, kText); }, "rng_state version 2");

  w = loadWeights(d / "a.nw");
  w.training->momentum[0].name = "ghost";
  saveWeights(d / "ghost.nw", w);
  expectError([&] { loadCheckpoint(d / "ghost.nw", kName, kText); }, "momentum for 'ghost'");

  w = loadWeights(d / "a.nw");
  w.training->momentum[0] = {"conv1.weight", {2}, {1, 2}};
  saveWeights(d / "size.nw", w);
  expectError([&] { loadCheckpoint(d / "size.nw", kName, kText); }, "2 elements");
}

TEST(Checkpoint, CorruptFilesFailCleanly) {
  TempDir d;
  saveCheckpoint(d / "a.nw", kName, kText, sample());
  fs::resize_file(d / "a.nw", fs::file_size(d / "a.nw") / 2);
  EXPECT_THROW(loadCheckpoint(d / "a.nw", kName, kText), IoError);
  EXPECT_THROW(loadCheckpoint(d / "missing.nw", kName, kText), IoError);
}

TEST(InputNorm, StoreReadAndDefaults) {
  std::vector<NamedTensor> t = {{"w", {1}, {1}}};
  InputNorm absent = readInputNorm(t, 3);
  EXPECT_TRUE(absent.mean.empty());
  EXPECT_EQ(absent.scale, std::vector<float>(3, 1 / 255.0f));

  InputNorm n{{3}, {125, 122, 113}, {0.5f, 0.25f, 0.125f}};
  storeInputNorm(n, t);
  storeInputNorm(n, t); // replaces, never duplicates
  EXPECT_EQ(t.size(), 3u);
  InputNorm r = readInputNorm(t, 3);
  EXPECT_EQ(r.mean, n.mean);
  EXPECT_EQ(r.meanShape, n.meanShape);
  EXPECT_EQ(r.scale, n.scale);
  EXPECT_THROW(readInputNorm(t, 1), IoError);
}

TEST(InputNorm, FromStatsAndAugmentConfigs) {
  data::InMemoryDataset ds({1, 2, 2}, {0, 10, 20, 30, 10, 20, 30, 40}, {0, 1}, {"a", "b"});
  data::ColourStats st = data::computeColourStats(ds);
  InputNorm ch = inputNormFromStats(st, dsl::TrainRecipe::Mean::Channel, ds);
  EXPECT_EQ(ch.meanShape, (std::vector<int64_t>{1}));
  EXPECT_NEAR(ch.mean.at(0), 20, 1e-4);
  InputNorm px = inputNormFromStats(st, dsl::TrainRecipe::Mean::Pixel, ds);
  EXPECT_EQ(px.meanShape, (std::vector<int64_t>{1, 2, 2}));
  EXPECT_NEAR(px.mean.at(3), 35, 1e-4);
  EXPECT_TRUE(inputNormFromStats(st, dsl::TrainRecipe::Mean::None, ds).mean.empty());

  dsl::TrainRecipe r;
  r.pad = 4;
  r.flip = true;
  data::AugmentConfig a = trainAugment(r, px, {1, 2, 2}, st);
  EXPECT_EQ(a.geometry, data::Geometry::PadCrop);
  EXPECT_EQ(a.pad, 4);
  EXPECT_TRUE(a.randomCrop && a.flip);
  EXPECT_EQ(a.mean, px.mean);
  r.scaleMin = 256;
  r.scaleMax = 480;
  a = trainAugment(r, ch, {1, 2, 2}, st);
  EXPECT_EQ(a.geometry, data::Geometry::ScaleCrop);
  EXPECT_EQ(a.scaleMax, 480);
  EXPECT_THROW(trainAugment(r, px, {1, 4, 4}, st), std::invalid_argument);

  data::AugmentConfig e = evalAugment(ch, {1, 2, 2}, ds);
  EXPECT_EQ(e.geometry, data::Geometry::PadCrop);
  EXPECT_EQ(e.pad, 0);
  EXPECT_FALSE(e.randomCrop || e.flip);
  EXPECT_EQ(e.lightingStd, 0.0f);
}

} // namespace
} // namespace netc::runtime::train
