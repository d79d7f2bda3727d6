#include "runtime/data/ImageDecode.h"

#include "runtime/Error.h"
#include "runtime/FileIo.h"

namespace netc::runtime::data {

void checkImageSize(int64_t height, int64_t width, const std::string &path) {
  if (!imageSizeOk(height, width))
    throw IoError(path + ": unsupported image size " + std::to_string(width) + "x" +
                  std::to_string(height) + " (max side " + std::to_string(kMaxImageSide) + ")");
}

RgbImage decodeImageFile(const std::string &path) {
  std::vector<uint8_t> bytes = readFileBytes(path);
  if (bytes.size() >= 8 && bytes[0] == 0x89 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G')
    return decodePng(bytes, path);
  if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF)
    return decodeJpeg(bytes, path);
  throw IoError(path + ": not a PNG or JPEG file (unrecognised magic bytes)");
}

void hwcToChw(const RgbImage &img, std::vector<uint8_t> &chw) {
  const size_t plane = static_cast<size_t>(img.height * img.width);
  chw.resize(3 * plane);
  for (size_t p = 0; p < plane; ++p)
    for (size_t c = 0; c < 3; ++c)
      chw[c * plane + p] = img.hwc[p * 3 + c];
}

} // namespace netc::runtime::data
