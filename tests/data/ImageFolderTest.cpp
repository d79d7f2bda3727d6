// Image folders of PNG/JPEG files written by the test through libpng and
// libjpeg, and every malformed-image case.
#include "TestFiles.h"

#include "runtime/data/ColourStats.h"
#include "runtime/data/ImageDecode.h"
#include "runtime/data/ImageFolder.h"
#include "runtime/data/Loader.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

using namespace netc::runtime::data;
using namespace netc::testdata;
namespace fs = std::filesystem;

namespace {

// HWC -> CHW, the layout samples come out in.
Bytes chw(const Bytes &hwc, int h, int w) {
  Bytes out(hwc.size());
  for (int p = 0; p < h * w; ++p)
    for (int c = 0; c < 3; ++c)
      out[size_t(c) * h * w + p] = hwc[size_t(p) * 3 + c];
  return out;
}

std::string makeFolder() {
  std::string root = freshDir("root");
  fs::create_directories(root + "/cat");
  fs::create_directories(root + "/dog");
  writePng(root + "/cat/b.png", 3, 5, testImage(3, 5));
  writeJpeg(root + "/cat/a.jpg", 16, 8, testImage(16, 8));
  writePng(root + "/dog/c.PNG", 4, 4, testImage(4, 4));
  writeBytes(root + "/dog/notes.txt", {'h', 'i'}); // not an image: skipped
  return root;
}

} // namespace

TEST(ImageFolder, ListsClassesAndDecodesPngAndJpeg) {
  ImageFolderDataset ds(makeFolder());
  ASSERT_EQ(ds.size(), 3u);
  EXPECT_EQ(ds.classes(), (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(ds.channels(), 3);
  EXPECT_FALSE(ds.shape().has_value());
  Sample s;
  ds.get(1, s); // cat/b.png (files sorted: a.jpg, b.png)
  EXPECT_EQ(s.label, 0);
  EXPECT_EQ(s.shape, (SampleShape{3, 3, 5}));
  EXPECT_EQ(s.pixels, chw(testImage(3, 5), 3, 5)); // PNG is lossless
  ds.get(2, s);
  EXPECT_EQ(s.label, 1);
  EXPECT_EQ(s.shape, (SampleShape{3, 4, 4}));
  ds.get(0, s); // JPEG at quality 100: close, not exact
  EXPECT_EQ(s.shape, (SampleShape{3, 16, 8}));
  Bytes want = chw(testImage(16, 8), 16, 8);
  int worst = 0;
  for (size_t i = 0; i < want.size(); ++i)
    worst = std::max(worst, std::abs(int(s.pixels[i]) - int(want[i])));
  EXPECT_LE(worst, 8);
}

TEST(ImageFolder, MissingOrEmptyFoldersGiveClearErrors) {
  std::string root = freshDir("empty");
  EXPECT_IO_ERROR(ImageFolderDataset(root + "/nope"), "nope", "not a directory");
  fs::create_directories(root + "/cls");
  EXPECT_IO_ERROR(ImageFolderDataset{root}, "no .png/.jpg/.jpeg images");
}

TEST(ImageDecode, MalformedImagesGiveClearErrors) {
  std::string dir = freshDir("bad");
  writePng(dir + "/ok.png", 16, 16, testImage(16, 16));
  writeJpeg(dir + "/ok.jpg", 32, 32, testImage(32, 32));
  Bytes png = readBytes(dir + "/ok.png"), jpg = readBytes(dir + "/ok.jpg");
  auto cut = [](const Bytes &b, size_t n) { return Bytes(b.begin(), b.begin() + long(n)); };
  writeBytes(dir + "/cut.png", cut(png, png.size() - 20));
  EXPECT_IO_ERROR(decodeImageFile(dir + "/cut.png"), "cut.png", "PNG");
  writeBytes(dir + "/header.png", cut(png, 12));
  EXPECT_IO_ERROR(decodeImageFile(dir + "/header.png"), "header.png", "invalid PNG");
  Bytes flipped = png;
  flipped[flipped.size() / 2] ^= 0x55; // CRC or zlib error in the image data
  writeBytes(dir + "/flip.png", flipped);
  EXPECT_IO_ERROR(decodeImageFile(dir + "/flip.png"), "flip.png", "PNG");
  writeBytes(dir + "/cut.jpg", cut(jpg, jpg.size() / 2));
  EXPECT_IO_ERROR(decodeImageFile(dir + "/cut.jpg"), "cut.jpg", "corrupt or truncated JPEG");
  writeBytes(dir + "/header.jpg", cut(jpg, 30));
  EXPECT_IO_ERROR(decodeImageFile(dir + "/header.jpg"), "header.jpg", "JPEG");
  writeBytes(dir + "/text.png", {'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'g'});
  EXPECT_IO_ERROR(decodeImageFile(dir + "/text.png"), "text.png", "not a PNG or JPEG");
  writeBytes(dir + "/empty.jpg", {});
  EXPECT_IO_ERROR(decodeImageFile(dir + "/empty.jpg"), "empty.jpg");
}

TEST(ImageDecode, OversizedImagesAreRejected) {
  std::string dir = freshDir("big");
  const int wide = int(kMaxImageSide) + 1;
  writePng(dir + "/wide.png", 1, wide, Bytes(size_t(wide) * 3, 9));
  EXPECT_IO_ERROR(decodeImageFile(dir + "/wide.png"), "wide.png", "unsupported image size");
  writeJpeg(dir + "/wide.jpg", 1, wide, Bytes(size_t(wide) * 3, 9), 50);
  EXPECT_IO_ERROR(decodeImageFile(dir + "/wide.jpg"), "wide.jpg", "unsupported image size");
}

// A corrupt file met by the worker thread surfaces from next() as IoError.
TEST(ImageFolder, LoaderReportsCorruptImages) {
  std::string root = makeFolder();
  writeBytes(root + "/dog/broken.png", {0x89, 'P', 'N', 'G', 1, 2, 3, 4, 5});
  auto ds = std::make_shared<ImageFolderDataset>(root);
  AugmentConfig aug;
  aug.geometry = Geometry::ScaleCrop;
  aug.outH = aug.outW = 3;
  aug.scaleMin = aug.scaleMax = 4;
  Loader loader(ds, aug, LoaderConfig{4, 7, false, false, 2});
  std::vector<float> images(4 * 3 * 3 * 3);
  std::vector<int32_t> labels(4);
  EXPECT_IO_ERROR(loader.next(images.data(), labels.data()), "broken.png");
  EXPECT_EQ(loader.state().index, 0u); // still at the failed batch
}

TEST(ImageDecode, GreyPngBecomesRgb) {
  std::string dir = freshDir("grey");
  writePng(dir + "/g.png", 2, 3, {0, 50, 100, 150, 200, 250}, true);
  RgbImage img = decodeImageFile(dir + "/g.png");
  ASSERT_EQ(img.height, 2);
  ASSERT_EQ(img.width, 3);
  for (int p = 0; p < 6; ++p)
    for (int c = 0; c < 3; ++c)
      EXPECT_EQ(img.hwc[size_t(p) * 3 + c], 50 * p);
}

// The VGG recipe over images of varying size: scale jitter, crop, flip,
// colour shift; the same seed gives the same bytes.
TEST(ImageFolder, VggPipelineIsDeterministic) {
  auto ds = std::make_shared<ImageFolderDataset>(makeFolder());
  AugmentConfig aug;
  aug.geometry = Geometry::ScaleCrop;
  aug.outH = aug.outW = 4;
  aug.scaleMin = 4;
  aug.scaleMax = 8;
  aug.flip = true;
  aug.stats = computeColourStats(*ds);
  aug.mean = aug.stats.channelMean;
  aug.lightingStd = 0.1f;
  auto epoch = [&](uint64_t seed) {
    Loader l(ds, aug, LoaderConfig{3, seed, true, true, 2});
    std::vector<float> images(3 * 3 * 4 * 4);
    std::vector<int32_t> labels(3);
    l.next(images.data(), labels.data());
    return images;
  };
  EXPECT_EQ(epoch(3), epoch(3));
  EXPECT_NE(epoch(3), epoch(4));
}
