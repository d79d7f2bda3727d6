// The IDX format of MNIST and Fashion-MNIST (optionally gzipped):
// magic 00 00 <type> <ndims>, ndims big-endian uint32 sizes, then the data.
#pragma once

#include "runtime/data/Dataset.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace netc::runtime::data {

/// An IDX array of unsigned bytes (type 0x08, the only one the datasets use).
struct IdxArray {
  std::vector<uint32_t> dims;
  std::vector<uint8_t> data;
};

/// Reads and verifies an IDX ubyte file (gzipped or not): magic, type,
/// 1..4 non-zero dimensions, data size exactly matching the header.
/// Throws IoError naming the file and the problem.
IdxArray readIdx(const std::string &path);

/// An image dataset from an IDX images file (N x H x W) and an IDX labels
/// file (N), e.g. train-images-idx3-ubyte.gz + train-labels-idx1-ubyte.gz.
/// Samples are 1 x H x W; classes are "0".."max label".
std::shared_ptr<InMemoryDataset> loadIdxDataset(const std::string &imagesPath,
                                                const std::string &labelsPath);

} // namespace netc::runtime::data
