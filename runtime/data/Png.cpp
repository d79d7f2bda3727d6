// PNG through libpng's simplified API (png_image): it reports errors in the
// struct instead of longjmp, so no C++ object ever lives across a setjmp.
#include "runtime/data/ImageDecode.h"

#include "runtime/Error.h"

#include <png.h>

namespace netc::runtime::data {

namespace {
// Frees libpng's state on every path, including exceptions.
struct PngImage {
  png_image img{};
  PngImage() { img.version = PNG_IMAGE_VERSION; }
  ~PngImage() { png_image_free(&img); }
};
} // namespace

RgbImage decodePng(const std::vector<uint8_t> &bytes, const std::string &path) {
  PngImage p;
  if (!png_image_begin_read_from_memory(&p.img, bytes.data(), bytes.size()))
    throw IoError(path + ": invalid PNG (" + p.img.message + ")");
  checkImageSize(p.img.height, p.img.width, path);
  p.img.format = PNG_FORMAT_RGB;
  RgbImage out;
  out.height = p.img.height;
  out.width = p.img.width;
  out.hwc.resize(PNG_IMAGE_SIZE(p.img));
  // A null background composes alpha onto black; the row stride is natural.
  if (!png_image_finish_read(&p.img, nullptr, out.hwc.data(), 0, nullptr))
    throw IoError(path + ": corrupt or truncated PNG (" + p.img.message + ")");
  return out;
}

} // namespace netc::runtime::data
