// `--data SPEC`: which dataset a training or evaluation run reads.
//   fashion-mnist          Debian's dataset-fashion-mnist (the default), in
//                          /usr/share/datasets/fashion-mnist
//   fashion-mnist:DIR      the same four IDX files (gzipped or not) in DIR
//   cifar10:DIR            the extracted cifar-10-batches-bin directory
//   folder:DIR             DIR/train/<class>/*.png|jpg and DIR/val/<class>/...
#pragma once

#include "runtime/data/Dataset.h"

#include <cstddef>
#include <memory>
#include <string>

namespace netc::runtime::train {

inline constexpr const char *kDefaultDataSpec = "fashion-mnist";
inline constexpr const char *kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

struct DataSplits {
  std::shared_ptr<const data::Dataset> train; ///< null unless asked for
  std::shared_ptr<const data::Dataset> test;
};

/// Opens the splits of `spec` (the training split only when `withTrain`).
/// Throws std::invalid_argument for an unknown spec ("unknown data source
/// 'x'; expected fashion-mnist, cifar10:DIR or folder:DIR") and IoError when
/// files are missing or malformed.
DataSplits openDataSource(const std::string &spec, bool withTrain = true);

/// The first `limit` samples of `ds` (all of them when limit is 0 or
/// larger than the dataset): `netc eval --limit`.
std::shared_ptr<const data::Dataset> firstSamples(std::shared_ptr<const data::Dataset> ds,
                                                  size_t limit);

} // namespace netc::runtime::train
