// A directory of images in one sub-folder per class (the ImageNet / torchvision
// ImageFolder layout): root/<class>/<image>.{png,jpg,jpeg}.
#pragma once

#include "runtime/data/Dataset.h"

#include <memory>
#include <string>
#include <vector>

namespace netc::runtime::data {

/// Images are decoded lazily in get() (on the Loader's worker thread), so
/// construction only lists files. Classes and files are sorted by name, so
/// labels and indices are the same on every machine. Samples are 3 x H x W
/// with H, W varying per image.
class ImageFolderDataset : public Dataset {
public:
  /// Throws IoError if `root` is not a directory or holds no images.
  explicit ImageFolderDataset(const std::string &root);
  size_t size() const override { return files_.size(); }
  const std::vector<std::string> &classes() const override { return classes_; }
  int64_t channels() const override { return 3; }
  std::optional<SampleShape> shape() const override { return std::nullopt; }
  /// Throws IoError naming the file if it cannot be decoded.
  void get(size_t i, Sample &out) const override;
  const std::string &path(size_t i) const { return files_[i]; }

private:
  std::vector<std::string> classes_;
  std::vector<std::string> files_;
  std::vector<int32_t> labels_;
};

} // namespace netc::runtime::data
