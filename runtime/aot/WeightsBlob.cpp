#include "runtime/aot/WeightsBlob.h"

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <unistd.h>

namespace netc::aot {

uint64_t wordChecksum(const void *data, size_t words) {
  const unsigned char *p = static_cast<const unsigned char *>(data);
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < words; ++i) {
    uint64_t w;
    std::memcpy(&w, p + 8 * i, 8);  // the targets are little-endian
    h = (h ^ w) * 0x100000001b3ULL;
  }
  return h;
}

std::vector<char> weightsBlob(const std::vector<float> &weights, uint64_t networkId) {
  size_t floats = (weights.size() + 15) / 16 * 16;
  std::vector<char> blob(kWeightsHeaderBytes + floats * 4, 0);
  std::memcpy(blob.data() + kWeightsHeaderBytes, weights.data(), weights.size() * 4);
  uint64_t count = floats;
  uint64_t sum = wordChecksum(blob.data() + kWeightsHeaderBytes, floats / 2);
  std::memcpy(blob.data(), "NETCWTS1", 8);
  std::memcpy(blob.data() + 8, &networkId, 8);
  std::memcpy(blob.data() + 16, &count, 8);
  std::memcpy(blob.data() + 24, &sum, 8);
  return blob;
}

void writeFileAtomic(const std::string &path, const std::string &bytes) {
  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  std::FILE *f = std::fopen(tmp.c_str(), "wb");
  if (!f)
    throw std::runtime_error("cannot write '" + tmp + "': " + std::strerror(errno));
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot write '" + path + "': " + std::strerror(errno));
  }
}

}  // namespace netc::aot
