#include "runtime/data/ImageFolder.h"

#include "runtime/Error.h"
#include "runtime/data/ImageDecode.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace fs = std::filesystem;

namespace netc::runtime::data {
namespace {

bool isImageName(const fs::path &p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

std::vector<std::string> sortedEntries(const fs::path &dir, bool wantDirs) {
  std::vector<std::string> names;
  for (const fs::directory_entry &e : fs::directory_iterator(dir)) {
    if (wantDirs ? e.is_directory() : (e.is_regular_file() && isImageName(e.path())))
      names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

} // namespace

ImageFolderDataset::ImageFolderDataset(const std::string &root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec))
    throw IoError(root + ": not a directory (expected one sub-folder per class)");
  try {
    classes_ = sortedEntries(root, true);
    for (size_t c = 0; c < classes_.size(); ++c) {
      fs::path dir = fs::path(root) / classes_[c];
      for (const std::string &f : sortedEntries(dir, false)) {
        files_.push_back((dir / f).string());
        labels_.push_back(static_cast<int32_t>(c));
      }
    }
  } catch (const fs::filesystem_error &e) {
    throw IoError(root + ": cannot list the image folder (" + e.what() + ")");
  }
  if (files_.empty())
    throw IoError(root + ": no .png/.jpg/.jpeg images in any class sub-folder");
}

void ImageFolderDataset::get(size_t i, Sample &out) const {
  RgbImage img = decodeImageFile(files_.at(i));
  out.shape = SampleShape{3, img.height, img.width};
  out.label = labels_[i];
  hwcToChw(img, out.pixels);
}

} // namespace netc::runtime::data
