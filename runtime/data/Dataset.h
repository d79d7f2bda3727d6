// The source side of the training data pipeline: a random-access set of
// labelled images, each read as uint8 CHW. Readers (IDX, CIFAR-10, image
// folders) implement it; the Loader consumes it on its background thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace netc::runtime::data {

/// Channels, height, width of one image.
struct SampleShape {
  int64_t c = 0, h = 0, w = 0;
  int64_t elements() const { return c * h * w; }
  bool operator==(const SampleShape &o) const { return c == o.c && h == o.h && w == o.w; }
};

/// One decoded sample. `pixels` is uint8 CHW of `shape`; its capacity is
/// reused across get() calls so a fixed-shape dataset never reallocates.
struct Sample {
  SampleShape shape;
  std::vector<uint8_t> pixels;
  int32_t label = 0;
};

/// A random-access labelled image set. get() must be safe to call from a
/// thread other than the one that built the dataset (the Loader's worker);
/// it is never called concurrently on one dataset by netc.
class Dataset {
public:
  virtual ~Dataset() = default;
  virtual size_t size() const = 0;
  /// Class names; labels are indices into it.
  virtual const std::vector<std::string> &classes() const = 0;
  virtual int64_t channels() const = 0;
  /// The shape every sample has, or nullopt when it varies per sample
  /// (image folders): then each Sample carries its own shape.
  virtual std::optional<SampleShape> shape() const = 0;
  /// Sample `i` (0 <= i < size()). Throws IoError if it cannot be decoded.
  virtual void get(size_t i, Sample &out) const = 0;
};

/// A dataset held fully decoded in memory: IDX and CIFAR-10 are small enough
/// that decoding once at load time is cheaper than per-sample reads.
class InMemoryDataset : public Dataset {
public:
  /// `pixels` holds labels.size() samples of `shape`, uint8 CHW, back to back.
  InMemoryDataset(SampleShape shape, std::vector<uint8_t> pixels, std::vector<int32_t> labels,
                  std::vector<std::string> classes);
  size_t size() const override { return labels_.size(); }
  const std::vector<std::string> &classes() const override { return classes_; }
  int64_t channels() const override { return shape_.c; }
  std::optional<SampleShape> shape() const override { return shape_; }
  void get(size_t i, Sample &out) const override;
  /// Direct access for statistics and tests.
  const uint8_t *pixels(size_t i) const { return pixels_.data() + i * shape_.elements(); }
  int32_t label(size_t i) const { return labels_[i]; }

private:
  SampleShape shape_;
  std::vector<uint8_t> pixels_;
  std::vector<int32_t> labels_;
  std::vector<std::string> classes_;
};

} // namespace netc::runtime::data
