// The training loader: shuffles each epoch, augments on ONE background
// thread into a small ring of fixed batch buffers, and hands batches out in
// a fixed order. Output depends only on (dataset, config, seed): each
// sample's augmentation is seeded by (seed, epoch, position), never by a
// shared generator, so thread timing cannot change a byte, and a saved
// state() restores to the exact next batch.
#pragma once

#include "runtime/NamedTensor.h"
#include "runtime/data/Augment.h"
#include "runtime/data/Dataset.h"

#include <array>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace netc::runtime::data {

struct LoaderConfig {
  size_t batchSize = 128;
  uint64_t seed = 0;
  bool shuffle = true;
  /// true: every batch is full and an epoch's remainder is skipped;
  /// false: an epoch's last batch may be short.
  bool dropLast = true;
  /// Batch buffers in the ring (2 = double-buffered); >= 1.
  size_t prefetch = 2;
};

/// Where the next batch starts. Save it with a checkpoint; restore() it to
/// continue exactly. Per-sample randomness is derived from (seed, epoch,
/// index), so these fields are the whole RNG state.
struct LoaderState {
  uint64_t seed = 0;
  uint64_t epoch = 0;
  uint64_t index = 0;       ///< position in the epoch's permutation
  uint64_t datasetSize = 0; ///< checked on restore: a state fits one dataset
  bool operator==(const LoaderState &o) const {
    return seed == o.seed && epoch == o.epoch && index == o.index && datasetSize == o.datasetSize;
  }
};

/// One batch in the loader's own buffers, valid until release().
struct BatchView {
  const float *images = nullptr; ///< count x C x H x W
  const int32_t *labels = nullptr;
  size_t count = 0;
  uint64_t epoch = 0, firstIndex = 0;
};

/// Consumer calls (acquire/release/next/state/restore) come from one thread,
/// the training loop's; the loader's own worker is the only other thread.
class Loader {
public:
  Loader(std::shared_ptr<const Dataset> dataset, AugmentConfig augment, LoaderConfig cfg);
  ~Loader();
  Loader(const Loader &) = delete;
  Loader &operator=(const Loader &) = delete;

  /// {batchSize, C, H, W}: the shape of a full batch.
  std::array<int64_t, 4> batchShape() const;
  size_t batchesPerEpoch() const;

  /// Zero-copy: the next batch, valid until release(). Rethrows (as the
  /// same exception) an error the worker hit making this batch.
  BatchView acquire();
  void release();

  /// Copying: writes the next batch into caller buffers of batchShape()
  /// (images) and batchSize (labels). Returns the batch's metadata.
  BatchView next(float *images, int32_t *labels);
  /// Same into a NamedTensor ("images", NCHW) resized only when its size
  /// changes (a short last batch), and labels.
  BatchView next(NamedTensor &images, std::vector<int32_t> &labels);

  /// The position of the first batch not yet released: save it after the
  /// step that used the last batch, and a restore replays nothing twice.
  LoaderState state() const;
  /// Continues from `s`, discarding prefetched batches (and invalidating a
  /// view still held from acquire()). Throws std::invalid_argument if `s`
  /// belongs to a dataset of another size or is not a batch start.
  void restore(const LoaderState &s);

  /// Fills `order` (sized to the dataset by the caller) with the sample
  /// order of `epoch`: 0..n-1, shuffled from (seed, epoch) when `shuffle`.
  static void epochOrder(uint64_t seed, uint64_t epoch, bool shuffle, std::vector<uint32_t> &order);

private:
  struct Slot {
    std::vector<float> images;
    std::vector<int32_t> labels;
    BatchView view;
    std::exception_ptr error;
  };

  void start();
  void stop();
  void work();
  void fill(Slot &slot, LoaderState pos);
  LoaderState after(LoaderState pos, size_t count) const;
  size_t countAt(const LoaderState &pos) const;

  std::shared_ptr<const Dataset> dataset_;
  Augmenter augmenter_; // used by the worker thread only
  LoaderConfig cfg_;
  int64_t sampleElems_;

  std::vector<Slot> slots_;
  std::vector<uint32_t> order_; // worker-only: the current epoch's permutation
  uint64_t orderEpoch_ = UINT64_MAX;
  Sample sample_;               // worker-only scratch

  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t produced_ = 0, consumed_ = 0; // batches; slot = counter % slots
  bool holding_ = false, stopping_ = false, workerDone_ = false;
  LoaderState producerPos_, consumerPos_;
  std::thread worker_;
};

} // namespace netc::runtime::data
