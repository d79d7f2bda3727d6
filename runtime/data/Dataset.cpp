#include "runtime/data/Dataset.h"

#include <cstring>
#include <stdexcept>
#include <utility>

namespace netc::runtime::data {

InMemoryDataset::InMemoryDataset(SampleShape shape, std::vector<uint8_t> pixels,
                                 std::vector<int32_t> labels, std::vector<std::string> classes)
    : shape_(shape), pixels_(std::move(pixels)), labels_(std::move(labels)),
      classes_(std::move(classes)) {
  // Readers validate files before building one; this guards programming errors.
  if (pixels_.size() != labels_.size() * static_cast<size_t>(shape_.elements()))
    throw std::logic_error("InMemoryDataset: pixel count does not match labels x shape");
}

void InMemoryDataset::get(size_t i, Sample &out) const {
  if (i >= labels_.size())
    throw std::out_of_range("InMemoryDataset::get: index out of range");
  out.shape = shape_;
  out.label = labels_[i];
  out.pixels.resize(static_cast<size_t>(shape_.elements()));
  std::memcpy(out.pixels.data(), pixels(i), out.pixels.size());
}

} // namespace netc::runtime::data
