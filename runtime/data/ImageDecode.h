// Decoding PNG (libpng) and JPEG (libjpeg) files to 8-bit RGB.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace netc::runtime::data {

/// An 8-bit RGB image, row-major HWC (the decoders' natural layout).
struct RgbImage {
  int64_t height = 0, width = 0;
  std::vector<uint8_t> hwc;
};

/// Largest side and pixel count accepted: far above ImageNet photos, but a
/// crafted header cannot make us allocate gigabytes.
constexpr int64_t kMaxImageSide = 16384;
constexpr int64_t kMaxImagePixels = int64_t(64) << 20;

/// 0 < sides <= kMaxImageSide and height * width <= kMaxImagePixels.
inline bool imageSizeOk(int64_t height, int64_t width) {
  return height > 0 && width > 0 && height <= kMaxImageSide && width <= kMaxImageSide &&
         height * width <= kMaxImagePixels;
}
/// Throws IoError naming `path` unless imageSizeOk. Called by both decoders.
void checkImageSize(int64_t height, int64_t width, const std::string &path);

/// Decode `bytes` (the contents of `path`, named in errors). Grey, palette,
/// 16-bit and alpha PNGs are converted to 8-bit RGB; grey JPEGs are
/// expanded. Throws IoError on corrupt or truncated data or oversized images.
RgbImage decodePng(const std::vector<uint8_t> &bytes, const std::string &path);
RgbImage decodeJpeg(const std::vector<uint8_t> &bytes, const std::string &path);

/// Reads `path` and picks the decoder from the file's magic bytes, not its
/// extension, so a mislabelled file still decodes or fails clearly.
RgbImage decodeImageFile(const std::string &path);

/// HWC -> CHW (the dataset layout).
void hwcToChw(const RgbImage &img, std::vector<uint8_t> &chw);

} // namespace netc::runtime::data
