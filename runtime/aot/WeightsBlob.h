// NAME.weights: an AOT library's weights, already in its kernels' layouts
// (BN folded, convolutions in HWIO or channel-blocked order), so init is one
// read. The generated driver verifies every field before it uses the data.
//
//   offset  size  field
//        0     8  magic "NETCWTS1"
//        8     8  network id (the library's NAME_NETWORK_ID; another compile
//                 of another network, or another layout, has another id)
//       16     8  float count
//       24     8  checksum: FNV-1a-64 over the data as little-endian 64-bit words
//       32    32  zero
//       64     -  float32 data, little-endian
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace netc::aot {

constexpr int kWeightsHeaderBytes = 64;

/// FNV-1a-64 over 64-bit words (8x faster than per byte; the driver runs the
/// same loop). `words` 64-bit words from `data`.
uint64_t wordChecksum(const void *data, size_t words);

/// The file's bytes: header then data (padded to a multiple of 16 floats).
std::vector<char> weightsBlob(const std::vector<float> &weights, uint64_t networkId);

/// Writes `blob` to `path` through a temporary file and a rename.
void writeFileAtomic(const std::string &path, const std::string &bytes);

}  // namespace netc::aot
