// The loader: each sample once per epoch, bit-identical batches for a seed
// whatever the thread timing, exact resume in the middle of an epoch.
#include "TestFiles.h"

#include "runtime/data/Loader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

using namespace netc::runtime::data;

namespace {

// n samples of 3x8x8; label i, pixels derived from i.
std::shared_ptr<InMemoryDataset> indexed(size_t n) {
  std::vector<uint8_t> px(n * 3 * 64);
  std::vector<int32_t> labels(n);
  for (size_t i = 0; i < n; ++i) {
    labels[i] = static_cast<int32_t>(i);
    for (size_t k = 0; k < 192; ++k)
      px[i * 192 + k] = static_cast<uint8_t>(i * 13 + k);
  }
  return std::make_shared<InMemoryDataset>(SampleShape{3, 8, 8}, std::move(px), std::move(labels),
                                           std::vector<std::string>{"x"});
}

AugmentConfig augmented() {
  AugmentConfig a;
  a.pad = 2;
  a.flip = true;
  a.mean = {100.0f, 110.0f, 120.0f};
  a.scale = {1 / 60.0f, 1 / 60.0f, 1 / 60.0f};
  return a;
}

// A batch's bytes: images then labels then (epoch, firstIndex).
struct Recorded {
  std::vector<float> images;
  std::vector<int32_t> labels;
  uint64_t epoch, first;
  bool operator==(const Recorded &o) const {
    return labels == o.labels && epoch == o.epoch && first == o.first &&
           images.size() == o.images.size() &&
           std::memcmp(images.data(), o.images.data(), images.size() * sizeof(float)) == 0;
  }
};

std::vector<Recorded> take(Loader &l, size_t batches, int sleepEveryMs = 0) {
  std::vector<Recorded> out;
  netc::runtime::NamedTensor t;
  std::vector<int32_t> labels;
  for (size_t b = 0; b < batches; ++b) {
    if (sleepEveryMs && b % 3 == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(sleepEveryMs));
    BatchView v = l.next(t, labels);
    out.push_back(Recorded{t.data, labels, v.epoch, v.firstIndex});
  }
  return out;
}

} // namespace

TEST(Loader, EverySampleOncePerEpoch) {
  auto ds = indexed(23);
  Loader l(ds, augmented(), LoaderConfig{5, 9, true, false, 2});
  EXPECT_EQ(l.batchesPerEpoch(), 5u);
  std::vector<std::vector<int32_t>> orders;
  for (int epoch = 0; epoch < 3; ++epoch) {
    std::vector<int32_t> seen;
    for (Recorded &r : take(l, 5)) {
      EXPECT_EQ(r.epoch, uint64_t(epoch));
      seen.insert(seen.end(), r.labels.begin(), r.labels.end());
    }
    orders.push_back(seen);
    std::sort(seen.begin(), seen.end());
    for (int32_t i = 0; i < 23; ++i)
      ASSERT_EQ(seen[i], i);
  }
  EXPECT_NE(orders[0], orders[1]); // reshuffled each epoch
  EXPECT_NE(orders[1], orders[2]);
}

TEST(Loader, DropLastSkipsTheRemainderAndShortBatchesAreSized) {
  auto ds = indexed(23);
  Loader drop(ds, augmented(), LoaderConfig{5, 9, true, true, 2});
  EXPECT_EQ(drop.batchesPerEpoch(), 4u);
  std::vector<Recorded> b = take(drop, 5);
  EXPECT_EQ(b[4].epoch, 1u);
  EXPECT_EQ(b[4].first, 0u);
  Loader keep(ds, augmented(), LoaderConfig{5, 9, false, false, 2});
  std::vector<Recorded> k = take(keep, 5);
  EXPECT_EQ(k[4].labels, (std::vector<int32_t>{20, 21, 22}));
  EXPECT_EQ(k[4].images.size(), 3u * 3 * 8 * 8);
  EXPECT_EQ(keep.batchShape(), (std::array<int64_t, 4>{5, 3, 8, 8}));
}

TEST(Loader, UnshuffledUnaugmentedBatchesAreTheDatasetInNchw) {
  auto ds = indexed(6);
  Loader l(ds, AugmentConfig{}, LoaderConfig{3, 0, false, true, 1});
  std::vector<float> images(3 * 192);
  std::vector<int32_t> labels(3);
  l.next(images.data(), labels.data());
  l.next(images.data(), labels.data());
  EXPECT_EQ(labels, (std::vector<int32_t>{3, 4, 5}));
  for (size_t k = 0; k < images.size(); ++k)
    ASSERT_EQ(images[k], float(ds->pixels(3)[k]));
}

TEST(Loader, DeterministicWhateverTheTiming) {
  auto ds = indexed(37);
  Loader a(ds, augmented(), LoaderConfig{4, 1234, true, false, 1});
  Loader b(ds, augmented(), LoaderConfig{4, 1234, true, false, 4});
  std::vector<Recorded> ra = take(a, 25), rb = take(b, 25, 2);
  ASSERT_EQ(ra.size(), rb.size());
  for (size_t i = 0; i < ra.size(); ++i)
    ASSERT_TRUE(ra[i] == rb[i]) << "batch " << i;
  Loader c(ds, augmented(), LoaderConfig{4, 1235, true, false, 2});
  EXPECT_FALSE(take(c, 1)[0] == ra[0]);
}

TEST(Loader, ResumeMidEpochIsBitIdentical) {
  auto ds = indexed(37);
  LoaderConfig cfg{4, 77, true, false, 2};
  Loader ref(ds, augmented(), cfg);
  std::vector<Recorded> all = take(ref, 30); // 10 per epoch: 3 epochs
  for (size_t stopAt : {size_t(3), size_t(10), size_t(14)}) {
    LoaderState saved;
    {
      Loader first(ds, augmented(), cfg);
      take(first, stopAt);
      saved = first.state();
    } // the first run ends, as a killed training job would
    EXPECT_EQ(saved.epoch, stopAt / 10);
    EXPECT_EQ(saved.index, (stopAt % 10) * 4);
    Loader resumed(ds, augmented(), cfg);
    resumed.restore(saved);
    std::vector<Recorded> rest = take(resumed, 30 - stopAt);
    for (size_t i = 0; i < rest.size(); ++i)
      ASSERT_TRUE(rest[i] == all[stopAt + i]) << "resumed at " << stopAt << ", batch " << i;
  }
}

TEST(Loader, RestoreRewindsTheSameLoader) {
  auto ds = indexed(37);
  Loader l(ds, augmented(), LoaderConfig{4, 5, true, true, 3});
  take(l, 2);
  LoaderState s = l.state();
  std::vector<Recorded> first = take(l, 6);
  l.restore(s);
  std::vector<Recorded> again = take(l, 6);
  for (size_t i = 0; i < first.size(); ++i)
    ASSERT_TRUE(first[i] == again[i]);
}

TEST(Loader, RestoreRejectsAForeignState) {
  auto ds = indexed(10);
  Loader l(ds, augmented(), LoaderConfig{4, 5, true, true, 2});
  LoaderState s = l.state();
  s.datasetSize = 11;
  EXPECT_THROW(l.restore(s), std::invalid_argument);
  s.datasetSize = 10;
  s.index = 8; // only 2 left: not a batch start with dropLast
  EXPECT_THROW(l.restore(s), std::invalid_argument);
}

TEST(Loader, AcquireIsZeroCopyOverFixedBuffers) {
  auto ds = indexed(8);
  Loader l(ds, AugmentConfig{}, LoaderConfig{2, 0, false, true, 2});
  std::vector<const float *> seen;
  for (int i = 0; i < 6; ++i) {
    BatchView v = l.acquire();
    seen.push_back(v.images);
    EXPECT_EQ(v.labels[0], (2 * i) % 8);
    l.release();
  }
  EXPECT_EQ(seen[0], seen[2]); // double-buffered: two buffers, reused
  EXPECT_EQ(seen[1], seen[3]);
  EXPECT_NE(seen[0], seen[1]);
}

namespace {
// Fails on one sample, as a corrupt file on disk would.
class FailingDataset : public InMemoryDataset {
public:
  FailingDataset() : InMemoryDataset({1, 2, 2}, std::vector<uint8_t>(40, 1), std::vector<int32_t>(10, 0), {"x"}) {}
  void get(size_t i, Sample &out) const override {
    if (i == 6)
      throw netc::runtime::IoError("sample6.png: corrupt");
    InMemoryDataset::get(i, out);
  }
};
} // namespace

TEST(Loader, WorkerErrorsSurfaceAtTheRightBatch) {
  Loader l(std::make_shared<FailingDataset>(), AugmentConfig{}, LoaderConfig{3, 0, false, true, 2});
  std::vector<float> images(12);
  std::vector<int32_t> labels(3);
  l.next(images.data(), labels.data());
  l.next(images.data(), labels.data());
  EXPECT_IO_ERROR(l.next(images.data(), labels.data()), "sample6.png");
  EXPECT_EQ(l.state().index, 6u);
  EXPECT_IO_ERROR(l.next(images.data(), labels.data()), "earlier error");
}

TEST(Loader, NamedTensorBatchesAreNchw) {
  auto ds = indexed(7);
  Loader l(ds, augmented(), LoaderConfig{4, 1, true, false, 2});
  netc::runtime::NamedTensor t;
  std::vector<int32_t> labels;
  l.next(t, labels);
  EXPECT_EQ(t.name, "images");
  EXPECT_EQ(t.shape, (std::vector<int64_t>{4, 3, 8, 8}));
  const float *first = t.data.data();
  l.next(t, labels); // the short last batch: 3 samples
  EXPECT_EQ(t.shape, (std::vector<int64_t>{3, 3, 8, 8}));
  EXPECT_EQ(t.data.size(), 3u * 192);
  EXPECT_EQ(labels.size(), 3u);
  l.next(t, labels);
  EXPECT_EQ(t.data.data(), first); // shrinking and regrowing kept the buffer
}
