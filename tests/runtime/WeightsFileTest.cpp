// .nw weights files: round trips, the verifier on damaged files, and the
// check that a file is applied only to the network it was saved for.
#include "runtime/WeightsFile.h"

#include "Helpers.h"
#include "runtime/weights_generated.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

using namespace netc::runtime;
using netc::runtime::testing::TempDir;

namespace {

const char *kNetText = "network tiny {\n  input x: [3, 8, 8]\n  conv c1: 4, 3x3\n}\n";

std::vector<float> randomData(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

WeightsFile sample(bool withTraining) {
  WeightsFile w;
  w.networkName = "tiny";
  w.networkText = kNetText;
  w.tensors = {{"c1.weight", {4, 3, 3, 3}, randomData(108, 1)},
               {"c1.bias", {4}, randomData(4, 2)},
               {"scalar", {}, {42.0f}}};
  if (withTraining) {
    TrainingState s;
    s.optimizer = "sgd_momentum";
    s.momentum = {{"c1.weight", {4, 3, 3, 3}, randomData(108, 3)},
                  {"c1.bias", {4}, randomData(4, 4)}};
    s.step = 1234;
    s.rngState = {1, 2, 3, 250, 0, 7};
    s.dataPosition = 987654321;
    w.training = s;
  }
  return w;
}

void expectSameTensors(const std::vector<NamedTensor> &a, const std::vector<NamedTensor> &b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].shape, b[i].shape);
    EXPECT_EQ(a[i].data, b[i].data) << a[i].name;
  }
}

void writeBytes(const std::string &path, const std::vector<uint8_t> &b) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char *>(b.data()), long(b.size()));
}

} // namespace

TEST(WeightsFile, RoundTripsWeights) {
  TempDir dir;
  WeightsFile w = sample(false);
  saveWeights(dir.file("w.nw"), w);
  WeightsFile back = loadWeightsFor(dir.file("w.nw"), "tiny", kNetText);
  EXPECT_EQ(back.networkName, "tiny");
  EXPECT_EQ(back.networkText, kNetText);
  expectSameTensors(back.tensors, w.tensors);
  EXPECT_FALSE(back.training.has_value());
  ASSERT_NE(back.find("c1.bias"), nullptr);
  EXPECT_EQ(back.find("nope"), nullptr);
}

TEST(WeightsFile, RoundTripsTrainingState) {
  WeightsFile w = sample(true);
  std::vector<uint8_t> bytes = encodeWeights(w);
  WeightsFile back = decodeWeights(bytes.data(), bytes.size(), "mem");
  ASSERT_TRUE(back.training.has_value());
  EXPECT_EQ(back.training->optimizer, "sgd_momentum");
  expectSameTensors(back.training->momentum, w.training->momentum);
  EXPECT_EQ(back.training->step, 1234);
  EXPECT_EQ(back.training->rngState, w.training->rngState);
  EXPECT_EQ(back.training->dataPosition, 987654321);
}

TEST(WeightsFile, AlignsTensorDataTo32Bytes) {
  WeightsFile w = sample(true);
  std::vector<uint8_t> bytes = encodeWeights(w);
  for (const NamedTensor &t : w.tensors) {
    auto *raw = reinterpret_cast<const uint8_t *>(t.data.data());
    auto at = std::search(bytes.begin(), bytes.end(), raw, raw + t.data.size() * sizeof(float));
    ASSERT_NE(at, bytes.end()) << t.name;
    EXPECT_EQ((at - bytes.begin()) % 32, 0) << t.name;
  }
}

TEST(WeightsFile, HasIdentifierAndVersion) {
  std::vector<uint8_t> bytes = encodeWeights(sample(false));
  EXPECT_EQ(std::string(reinterpret_cast<const char *>(bytes.data()) + 4, 4), "NETW");
  EXPECT_EQ(netc::fb::GetWeights(bytes.data())->schema_version(), kWeightsSchemaVersion);
}

TEST(WeightsFile, RejectsNewerSchemaVersion) {
  flatbuffers::FlatBufferBuilder b;
  auto tensors = b.CreateVector(std::vector<flatbuffers::Offset<netc::fb::Tensor>>{});
  auto root = netc::fb::CreateWeights(b, kWeightsSchemaVersion + 1, b.CreateString("n"),
                                      b.CreateString("t"), tensors);
  b.Finish(root, netc::fb::WeightsIdentifier());
  EXPECT_IO_ERROR(decodeWeights(b.GetBufferPointer(), b.GetSize(), "new.nw"),
                  "new.nw: weights schema version 2 is not supported");
}

TEST(WeightsFile, RejectsShapeDataMismatchInFile) {
  // A structurally valid flatbuffer whose data does not match its shape.
  flatbuffers::FlatBufferBuilder b;
  auto t =
      netc::fb::CreateTensor(b, b.CreateString("w"), b.CreateVector(std::vector<int64_t>{2, 3}),
                             netc::fb::DType_F32, b.CreateVector(std::vector<float>{1, 2, 3}));
  auto root = netc::fb::CreateWeights(b, 1, b.CreateString("n"), b.CreateString("t"),
                                      b.CreateVector(std::vector{t}));
  b.Finish(root, netc::fb::WeightsIdentifier());
  EXPECT_IO_ERROR(decodeWeights(b.GetBufferPointer(), b.GetSize(), "m.nw"),
                  "m.nw: tensor 'w' has 3 values but shape [2, 3] needs 6");
}

TEST(WeightsFile, RejectsWrongIdentifier) {
  std::vector<uint8_t> bytes = encodeWeights(sample(false));
  bytes[4] = 'X';
  EXPECT_IO_ERROR(decodeWeights(bytes.data(), bytes.size(), "x.nw"), "not a netc weights file");
  EXPECT_IO_ERROR(decodeWeights(bytes.data(), 3, "x.nw"), "not a netc weights file");
}

TEST(WeightsFile, RejectsTruncatedFile) {
  TempDir dir;
  std::vector<uint8_t> bytes = encodeWeights(sample(true));
  bytes.resize(bytes.size() / 2);
  writeBytes(dir.file("t.nw"), bytes);
  EXPECT_IO_ERROR(loadWeights(dir.file("t.nw")), "corrupt or truncated weights file");
}

TEST(WeightsFile, EveryTruncationFailsCleanlyOrKeepsAllData) {
  // Only trailing alignment padding may be cut without losing anything.
  WeightsFile w = sample(true);
  std::vector<uint8_t> bytes = encodeWeights(w);
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + long(n));
    try {
      WeightsFile back = decodeWeights(cut.data(), cut.size(), "cut");
      expectSameTensors(back.tensors, w.tensors);
    } catch (const IoError &) {
    }
  }
}

TEST(WeightsFile, CorruptedBytesFailCleanly) {
  // Flipped bytes must give an IoError or a decodable file, never a crash
  // (run under NETC_SANITIZE to catch out-of-bounds reads).
  std::vector<uint8_t> bytes = encodeWeights(sample(true));
  std::mt19937 rng(7);
  int rejected = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::vector<uint8_t> bad = bytes;
    for (int k = 0; k < 3; ++k)
      bad[rng() % bad.size()] ^= uint8_t(1 + rng() % 255);
    try {
      decodeWeights(bad.data(), bad.size(), "fuzz");
    } catch (const IoError &) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 0);
}

TEST(WeightsFile, RejectsOtherNetwork) {
  WeightsFile w = sample(false);
  EXPECT_IO_ERROR(checkNetwork(w, "big", kNetText, "w.nw"),
                  "weights in 'w.nw' were saved for network 'tiny', not for network 'big'");
  std::string changed = "network tiny {\n  input x: [3, 8, 8]\n  conv c1: 8, 3x3\n}\n";
  EXPECT_IO_ERROR(checkNetwork(w, "tiny", changed, "w.nw"),
                  "with a different definition than the current one (first difference at line 3: "
                  "saved `  conv c1: 4, 3x3`, current `  conv c1: 8, 3x3`)");
}

TEST(WeightsFile, LoadForRejectsOtherNetwork) {
  TempDir dir;
  saveWeights(dir.file("w.nw"), sample(false));
  EXPECT_IO_ERROR(loadWeightsFor(dir.file("w.nw"), "other", "x"), "not for network 'other'");
}

TEST(WeightsFile, SaveRejectsBadTensorsAndKeepsOldFile) {
  TempDir dir;
  std::string path = dir.file("w.nw");
  saveWeights(path, sample(false));
  WeightsFile bad = sample(false);
  bad.tensors[0].data.pop_back();
  EXPECT_IO_ERROR(saveWeights(path, bad),
                  "tensor 'c1.weight' has 107 elements but shape [4, 3, 3, 3]");
  bad = sample(false);
  bad.tensors[1].name = "c1.weight";
  EXPECT_IO_ERROR(saveWeights(path, bad), "tensor name 'c1.weight' occurs twice");
  // The failed saves left the old file intact and no temporary files behind.
  expectSameTensors(loadWeights(path).tensors, sample(false).tensors);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(WeightsFile, RejectsMissingFile) {
  EXPECT_IO_ERROR(loadWeights("/nonexistent/w.nw"), "cannot open '/nonexistent/w.nw'");
}
