#include "runtime/data/Idx.h"

#include "runtime/Error.h"
#include "runtime/data/Gzip.h"

#include <algorithm>

namespace netc::runtime::data {
namespace {

// Far above any IDX dataset (Fashion-MNIST train is 47 MB) yet bounded, so
// a hostile .gz cannot make us inflate without limit.
constexpr size_t kMaxIdxBytes = size_t(4) << 30;
constexpr uint8_t kUbyte = 0x08;

uint32_t bigEndian32(const uint8_t *p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}

// Parses and checks the header; returns the data offset.
size_t parseHeader(const std::vector<uint8_t> &bytes, const std::string &path,
                   std::vector<uint32_t> &dims) {
  if (bytes.size() < 4 || bytes[0] != 0 || bytes[1] != 0)
    throw IoError(path + ": not an IDX file (bad magic)");
  if (bytes[2] != kUbyte)
    throw IoError(path + ": unsupported IDX element type " + std::to_string(bytes[2]) +
                  " (only unsigned byte, 0x08, is supported)");
  unsigned ndims = bytes[3];
  if (ndims < 1 || ndims > 4)
    throw IoError(path + ": IDX file has " + std::to_string(ndims) + " dimensions (expected 1..4)");
  size_t offset = 4 + 4 * size_t(ndims);
  if (bytes.size() < offset)
    throw IoError(path + ": truncated IDX header");
  for (unsigned d = 0; d < ndims; ++d) {
    dims.push_back(bigEndian32(bytes.data() + 4 + 4 * d));
    if (dims.back() == 0)
      throw IoError(path + ": IDX dimension " + std::to_string(d) + " is zero");
  }
  return offset;
}

} // namespace

IdxArray readIdx(const std::string &path) {
  std::vector<uint8_t> bytes = readMaybeGzipped(path, kMaxIdxBytes);
  IdxArray a;
  size_t offset = parseHeader(bytes, path, a.dims);
  // Each dim is < 2^32 and the product is checked against the real data
  // length step by step, so it cannot overflow.
  uint64_t count = 1;
  for (uint32_t d : a.dims) {
    count *= d;
    if (count > bytes.size())
      break;
  }
  if (count != bytes.size() - offset)
    throw IoError(path + ": IDX header promises " + std::to_string(count) + " bytes of data but " +
                  std::to_string(bytes.size() - offset) + " follow (truncated or corrupt file)");
  a.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(offset), bytes.end());
  return a;
}

std::shared_ptr<InMemoryDataset> loadIdxDataset(const std::string &imagesPath,
                                                const std::string &labelsPath) {
  IdxArray images = readIdx(imagesPath);
  IdxArray labels = readIdx(labelsPath);
  if (images.dims.size() != 3)
    throw IoError(imagesPath + ": IDX images must have 3 dimensions (N, H, W), found " +
                  std::to_string(images.dims.size()));
  if (labels.dims.size() != 1)
    throw IoError(labelsPath + ": IDX labels must have 1 dimension, found " +
                  std::to_string(labels.dims.size()));
  if (labels.dims[0] != images.dims[0])
    throw IoError(labelsPath + ": " + std::to_string(labels.dims[0]) + " labels for " +
                  std::to_string(images.dims[0]) + " images in " + imagesPath);
  std::vector<int32_t> ids(labels.data.begin(), labels.data.end());
  int32_t maxLabel = *std::max_element(ids.begin(), ids.end());
  std::vector<std::string> classes;
  for (int32_t c = 0; c <= maxLabel; ++c)
    classes.push_back(std::to_string(c));
  SampleShape shape{1, images.dims[1], images.dims[2]};
  return std::make_shared<InMemoryDataset>(shape, std::move(images.data), std::move(ids),
                                           std::move(classes));
}

} // namespace netc::runtime::data
