#include "runtime/NamedTensor.h"

#include "runtime/Error.h"

#include <limits>

namespace netc::runtime {

uint64_t elementCount(const std::vector<int64_t> &shape, const std::string &what) {
  // Bytes must fit in int64 too, so callers can compare against file sizes.
  const uint64_t maxElems = uint64_t(std::numeric_limits<int64_t>::max()) / sizeof(float);
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      throw IoError(what + ": negative dimension in shape " + shapeString(shape));
    if (d != 0 && n > maxElems / uint64_t(d))
      throw IoError(what + ": shape " + shapeString(shape) + " is too large");
    n *= uint64_t(d);
  }
  return n;
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

} // namespace netc::runtime
