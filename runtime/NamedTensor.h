// A dense float32 tensor with a name: the unit every netc file format
// (.npy, .nw weights, ONNX initializers) reads into and writes from.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace netc::runtime {

/// Row-major (C-order) float32 data of the given shape.
/// Invariant after any reader returns: data.size() == elementCount(shape).
struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
};

/// The number of elements of `shape` (1 for a scalar shape {}). Throws
/// IoError, mentioning `what`, on a negative dimension or if the count or
/// its size in bytes would overflow: shapes come from untrusted files.
uint64_t elementCount(const std::vector<int64_t> &shape, const std::string &what);

/// "[2, 3, 4]": shapes in error messages.
std::string shapeString(const std::vector<int64_t> &shape);

} // namespace netc::runtime
