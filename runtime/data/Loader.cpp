#include "runtime/data/Loader.h"

#include "runtime/Error.h"
#include "runtime/data/Rng.h"

#include <cstring>
#include <numeric>
#include <stdexcept>

namespace netc::runtime::data {
namespace {
// Checked before the Augmenter, which reads the dataset, is built.
std::shared_ptr<const Dataset> nonNull(std::shared_ptr<const Dataset> d) {
  if (!d)
    throw std::invalid_argument("Loader: null dataset");
  return d;
}
} // namespace

Loader::Loader(std::shared_ptr<const Dataset> dataset, AugmentConfig augment, LoaderConfig cfg)
    : dataset_(nonNull(std::move(dataset))),
      augmenter_(std::move(augment), dataset_->channels(), dataset_->shape()), cfg_(cfg) {
  const size_t n = dataset_->size();
  if (n == 0 || n > UINT32_MAX)
    throw std::invalid_argument("Loader: dataset size must be in 1..2^32-1");
  if (cfg_.batchSize == 0 || cfg_.prefetch == 0)
    throw std::invalid_argument("Loader: batchSize and prefetch must be >= 1");
  if (cfg_.dropLast && n < cfg_.batchSize)
    throw std::invalid_argument("Loader: dropLast with fewer samples than one batch");
  sampleElems_ = augmenter_.outputShape().elements();
  // All batch memory is allocated here, once.
  slots_.resize(cfg_.prefetch);
  for (Slot &s : slots_) {
    s.images.resize(cfg_.batchSize * static_cast<size_t>(sampleElems_));
    s.labels.resize(cfg_.batchSize);
  }
  producerPos_ = consumerPos_ = LoaderState{cfg_.seed, 0, 0, n};
  start();
}

Loader::~Loader() { stop(); }

std::array<int64_t, 4> Loader::batchShape() const {
  SampleShape s = augmenter_.outputShape();
  return {static_cast<int64_t>(cfg_.batchSize), s.c, s.h, s.w};
}

size_t Loader::batchesPerEpoch() const {
  const size_t n = dataset_->size(), b = cfg_.batchSize;
  return cfg_.dropLast ? n / b : (n + b - 1) / b;
}

void Loader::epochOrder(uint64_t seed, uint64_t epoch, bool shuffle, std::vector<uint32_t> &order) {
  std::iota(order.begin(), order.end(), 0u);
  if (!shuffle)
    return;
  // Fisher-Yates with our own generator: std::shuffle's result is
  // implementation-defined. The stream id is above any sample position.
  Rng rng(deriveSeed(seed, epoch, UINT64_MAX));
  for (size_t i = order.size(); i > 1; --i)
    std::swap(order[i - 1], order[rng.below(i)]);
}

size_t Loader::countAt(const LoaderState &pos) const {
  return std::min<uint64_t>(cfg_.batchSize, pos.datasetSize - pos.index);
}

LoaderState Loader::after(LoaderState pos, size_t count) const {
  pos.index += count;
  const uint64_t left = pos.datasetSize - pos.index;
  if (left == 0 || (cfg_.dropLast && left < cfg_.batchSize)) {
    ++pos.epoch;
    pos.index = 0;
  }
  return pos;
}

void Loader::fill(Slot &slot, LoaderState pos) {
  if (orderEpoch_ != pos.epoch) {
    order_.resize(dataset_->size());
    epochOrder(pos.seed, pos.epoch, cfg_.shuffle, order_);
    orderEpoch_ = pos.epoch;
  }
  const size_t count = countAt(pos);
  for (size_t k = 0; k < count; ++k) {
    const uint64_t position = pos.index + k;
    dataset_->get(order_[position], sample_);
    slot.labels[k] = sample_.label;
    augmenter_.apply(sample_, deriveSeed(pos.seed, pos.epoch, position),
                     slot.images.data() + k * static_cast<size_t>(sampleElems_));
  }
  slot.view = BatchView{slot.images.data(), slot.labels.data(), count, pos.epoch, pos.index};
}

void Loader::work() {
  for (;;) {
    LoaderState pos;
    Slot *slot;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || produced_ - consumed_ < slots_.size(); });
      if (stopping_)
        return;
      pos = producerPos_;
      slot = &slots_[produced_ % slots_.size()];
    }
    // Filled outside the lock: the consumer cannot see this slot until
    // produced_ moves past it.
    slot->error = nullptr;
    try {
      fill(*slot, pos);
    } catch (...) {
      slot->error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++produced_;
      producerPos_ = after(pos, countAt(pos));
      workerDone_ = slot->error != nullptr; // stop at the first error
    }
    cv_.notify_all();
    if (slot->error)
      return;
  }
}

void Loader::start() {
  stopping_ = workerDone_ = holding_ = false;
  produced_ = consumed_ = 0;
  worker_ = std::thread(&Loader::work, this);
}

void Loader::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable())
    worker_.join();
}

BatchView Loader::acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  if (holding_)
    throw std::logic_error("Loader::acquire: release() the previous batch first");
  cv_.wait(lock, [&] { return produced_ > consumed_ || workerDone_; });
  if (produced_ == consumed_)
    throw IoError("data loader stopped after an earlier error; restore() a state to retry");
  Slot &slot = slots_[consumed_ % slots_.size()];
  if (slot.error) {
    // consumerPos_ stays at the failed batch, so state() + restore() retries it.
    ++consumed_;
    std::rethrow_exception(slot.error);
  }
  holding_ = true;
  return slot.view;
}

void Loader::release() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!holding_)
      throw std::logic_error("Loader::release without acquire");
    holding_ = false;
    consumerPos_ = after(consumerPos_, slots_[consumed_ % slots_.size()].view.count);
    ++consumed_;
  }
  cv_.notify_all();
}

BatchView Loader::next(float *images, int32_t *labels) {
  BatchView v = acquire();
  std::memcpy(images, v.images, v.count * static_cast<size_t>(sampleElems_) * sizeof(float));
  std::memcpy(labels, v.labels, v.count * sizeof(int32_t));
  release();
  v.images = images;
  v.labels = labels;
  return v;
}

BatchView Loader::next(NamedTensor &images, std::vector<int32_t> &labels) {
  BatchView v = acquire();
  std::array<int64_t, 4> shape = batchShape();
  shape[0] = static_cast<int64_t>(v.count);
  images.name = "images";
  images.shape.assign(shape.begin(), shape.end());
  images.data.resize(v.count * static_cast<size_t>(sampleElems_)); // no-op once sized
  labels.resize(v.count);
  std::memcpy(images.data.data(), v.images, images.data.size() * sizeof(float));
  std::memcpy(labels.data(), v.labels, v.count * sizeof(int32_t));
  release();
  v.images = images.data.data();
  v.labels = labels.data();
  return v;
}

LoaderState Loader::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return consumerPos_;
}

void Loader::restore(const LoaderState &s) {
  if (s.datasetSize != dataset_->size())
    throw std::invalid_argument("Loader::restore: state is for a dataset of " +
                                std::to_string(s.datasetSize) + " samples, this one has " +
                                std::to_string(dataset_->size()));
  if (s.index >= s.datasetSize || (cfg_.dropLast && s.datasetSize - s.index < cfg_.batchSize))
    throw std::invalid_argument("Loader::restore: index out of range for this configuration");
  stop();
  producerPos_ = consumerPos_ = s;
  start();
}

} // namespace netc::runtime::data
