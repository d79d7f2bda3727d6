// IDX (MNIST / Fashion-MNIST), gzip and CIFAR-10 readers, on tiny files
// written by the tests, every malformed case, and the real Fashion-MNIST.
#include "TestFiles.h"

#include "runtime/data/Cifar.h"
#include "runtime/data/Gzip.h"
#include "runtime/data/Idx.h"
#include "runtime/data/Loader.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <set>

using namespace netc::runtime::data;
using namespace netc::testdata;

namespace {

Bytes iota(size_t n, uint8_t start = 0) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i)
    b[i] = static_cast<uint8_t>(start + i);
  return b;
}

// Writes images (3 x 2 x 2) and labels as .gz files; returns their paths.
std::pair<std::string, std::string> tinyIdx(const std::string &dir) {
  std::string img = dir + "/img.gz", lab = dir + "/lab.gz";
  writeBytes(img, gzip(idx({3, 2, 2}, iota(12))));
  writeBytes(lab, gzip(idx({3}, {7, 0, 2})));
  return {img, lab};
}

} // namespace

TEST(Gzip, RoundTripsAndConcatenatedMembers) {
  Bytes raw = iota(100000);
  EXPECT_EQ(gunzip(gzip(raw), "x.gz", 1 << 20), raw);
  Bytes two = gzip(iota(10));
  Bytes second = gzip(iota(5, 50));
  two.insert(two.end(), second.begin(), second.end());
  Bytes expect = iota(10);
  Bytes tail = iota(5, 50);
  expect.insert(expect.end(), tail.begin(), tail.end());
  EXPECT_EQ(gunzip(two, "x.gz", 1 << 20), expect);
}

TEST(Gzip, MalformedStreamsGiveClearErrors) {
  Bytes good = gzip(iota(5000));
  EXPECT_IO_ERROR(gunzip(iota(20), "a.gz", 1 << 20), "a.gz", "not a gzip file");
  Bytes truncated(good.begin(), good.begin() + static_cast<long>(good.size() / 2));
  EXPECT_IO_ERROR(gunzip(truncated, "b.gz", 1 << 20), "b.gz", "truncated");
  Bytes corrupt = good;
  corrupt[good.size() - 6] ^= 0xFF; // inside the CRC-32 trailer
  EXPECT_IO_ERROR(gunzip(corrupt, "c.gz", 1 << 20), "c.gz", "corrupt");
  Bytes trailing = good;
  trailing.push_back(42);
  EXPECT_IO_ERROR(gunzip(trailing, "d.gz", 1 << 20), "d.gz", "trailing garbage");
  EXPECT_IO_ERROR(gunzip(good, "e.gz", 1000), "e.gz", "exceeds");
}

TEST(Idx, ReadsTinyGzippedAndPlainFiles) {
  std::string dir = freshDir("idx");
  auto [img, lab] = tinyIdx(dir);
  auto ds = loadIdxDataset(img, lab);
  ASSERT_EQ(ds->size(), 3u);
  EXPECT_EQ(*ds->shape(), (SampleShape{1, 2, 2}));
  EXPECT_EQ(ds->classes().size(), 8u); // labels 0..7
  Sample s;
  ds->get(1, s);
  EXPECT_EQ(s.label, 0);
  EXPECT_EQ(s.pixels, (Bytes{4, 5, 6, 7}));
  writeBytes(dir + "/plain", idx({3}, {1, 2, 3}));
  IdxArray a = readIdx(dir + "/plain");
  EXPECT_EQ(a.dims, (std::vector<uint32_t>{3}));
  EXPECT_EQ(a.data, (Bytes{1, 2, 3}));
}

TEST(Idx, MalformedFilesGiveClearErrors) {
  std::string dir = freshDir("bad");
  auto check = [&](const std::string &name, const Bytes &bytes, const char *problem) {
    std::string p = dir + "/" + name;
    writeBytes(p, bytes);
    EXPECT_IO_ERROR(readIdx(p), name.c_str(), problem);
  };
  check("magic", {1, 2, 8, 1, 0, 0, 0, 1, 5}, "bad magic");
  check("type", idx({1}, {5}, 0x0D), "unsupported IDX element type");
  check("ndims0", {0, 0, 8, 0}, "dimensions");
  check("ndims5", idx({1, 1, 1, 1, 1}, {5}), "dimensions");
  check("header", {0, 0, 8, 3, 0, 0}, "truncated IDX header");
  check("zero", idx({0, 2}, {}), "is zero");
  check("short", idx({4, 4}, iota(15)), "truncated or corrupt");
  check("long", idx({4, 4}, iota(17)), "truncated or corrupt");
  check("huge", idx({0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, iota(8)), "truncated or corrupt");
  Bytes gz = gzip(idx({4, 4}, iota(16)));
  check("cut.gz", Bytes(gz.begin(), gz.end() - 10), "truncated gzip");
  EXPECT_IO_ERROR(readIdx(dir + "/missing"), "missing");
}

TEST(Idx, DatasetShapeMismatchesGiveClearErrors) {
  std::string dir = freshDir("ds");
  auto [img, lab] = tinyIdx(dir);
  writeBytes(dir + "/lab4", idx({4}, {1, 2, 3, 4}));
  EXPECT_IO_ERROR(loadIdxDataset(img, dir + "/lab4"), "lab4", "4 labels for 3 images");
  writeBytes(dir + "/img2d", idx({3, 4}, iota(12)));
  EXPECT_IO_ERROR(loadIdxDataset(dir + "/img2d", lab), "img2d", "3 dimensions");
  EXPECT_IO_ERROR(loadIdxDataset(img, img), "img.gz", "1 dimension");
}

TEST(Cifar, ReadsGeneratedBatchesAndStandardSplit) {
  std::string dir = freshDir("cifar");
  auto batch = [](int records, uint8_t first) {
    Bytes b;
    for (int r = 0; r < records; ++r) {
      b.push_back(static_cast<uint8_t>((first + r) % 10));
      Bytes px = iota(3072, static_cast<uint8_t>(first + r));
      b.insert(b.end(), px.begin(), px.end());
    }
    return b;
  };
  for (int i = 1; i <= 5; ++i)
    writeBytes(dir + "/data_batch_" + std::to_string(i) + ".bin", batch(2, uint8_t(10 * i)));
  writeBytes(dir + "/test_batch.bin", batch(3, 1));
  auto train = loadCifar10(dir, true);
  auto test = loadCifar10(dir, false);
  ASSERT_EQ(train->size(), 10u);
  ASSERT_EQ(test->size(), 3u);
  EXPECT_EQ(*train->shape(), (SampleShape{3, 32, 32}));
  EXPECT_EQ(train->classes()[9], "truck");
  Sample s;
  train->get(3, s); // batch 2, record 1: first byte 21
  EXPECT_EQ(s.label, 1);
  EXPECT_EQ(s.pixels[0], 21);
  EXPECT_EQ(s.pixels[1024], uint8_t(21 + 1024)); // green plane starts at 1024
}

TEST(Cifar, MalformedBatchesGiveClearErrors) {
  std::string dir = freshDir("bad");
  writeBytes(dir + "/empty.bin", {});
  EXPECT_IO_ERROR(loadCifar10Batches({dir + "/empty.bin"}), "empty.bin", "3073");
  writeBytes(dir + "/cut.bin", Bytes(3073 + 100, 1));
  EXPECT_IO_ERROR(loadCifar10Batches({dir + "/cut.bin"}), "cut.bin", "truncated");
  Bytes bad(2 * 3073, 0);
  bad[3073] = 10;
  writeBytes(dir + "/label.bin", bad);
  EXPECT_IO_ERROR(loadCifar10Batches({dir + "/label.bin"}), "label.bin", "record 1", "label 10");
  EXPECT_IO_ERROR(loadCifar10(dir, true), "data_batch_1.bin");
}

// The real data set, when dataset-fashion-mnist is installed.
TEST(FashionMnist, ReadsRealFilesAndTimesAnEpoch) {
  const std::string d = NETC_FASHION_MNIST_DIR;
  if (!std::filesystem::exists(d + "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Fashion-MNIST not installed (package dataset-fashion-mnist)";
  auto t0 = std::chrono::steady_clock::now();
  auto train = loadIdxDataset(d + "/train-images-idx3-ubyte.gz", d + "/train-labels-idx1-ubyte.gz");
  double readS = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto test = loadIdxDataset(d + "/t10k-images-idx3-ubyte.gz", d + "/t10k-labels-idx1-ubyte.gz");
  EXPECT_EQ(train->size(), 60000u);
  EXPECT_EQ(test->size(), 10000u);
  EXPECT_EQ(*train->shape(), (SampleShape{1, 28, 28}));
  EXPECT_EQ(train->classes().size(), 10u);
  std::set<int32_t> labels;
  for (size_t i = 0; i < train->size(); ++i)
    labels.insert(train->label(i));
  EXPECT_EQ(labels, (std::set<int32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));

  // One augmented epoch (pad-2 crop + flip) through the loader.
  AugmentConfig aug;
  aug.pad = 2;
  aug.flip = true;
  aug.scale = {1.0f / 255};
  Loader loader(train, aug, LoaderConfig{256, 1, true, true, 2});
  std::vector<float> images(256 * 28 * 28);
  std::vector<int32_t> lab(256);
  t0 = std::chrono::steady_clock::now();
  for (size_t b = 0; b < loader.batchesPerEpoch(); ++b)
    loader.next(images.data(), lab.data());
  double epochS = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "[ timing ] read train set (60000x28x28, gz): " << readS * 1e3
            << " ms; one augmented epoch via Loader: " << epochS * 1e3 << " ms\n";
  RecordProperty("read_train_ms", static_cast<int>(readS * 1e3));
  RecordProperty("epoch_ms", static_cast<int>(epochS * 1e3));
}
