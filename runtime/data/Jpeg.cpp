// JPEG through libjpeg. libjpeg reports fatal errors by calling error_exit,
// which must not return; we longjmp back to decodeRaw(), a function holding
// only trivially destructible locals so the jump skips no destructor.
#include "runtime/data/ImageDecode.h"

#include "runtime/Error.h"

#include <csetjmp>
#include <cstdio>

#include <jpeglib.h>

namespace netc::runtime::data {

namespace {

struct ErrorManager {
  jpeg_error_mgr pub; // first member: libjpeg passes &pub as j_common_ptr->err
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void onError(j_common_ptr cinfo) {
  auto *err = reinterpret_cast<ErrorManager *>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings (corrupt data, premature end of file) would otherwise be
// printed and the image silently filled with grey: count them instead.
void onMessage(j_common_ptr cinfo, int level) {
  if (level < 0)
    ++cinfo->err->num_warnings;
}

enum class Status { Ok, Error, TooLarge, Warning };

// Where decodeRaw puts the pixels once the header gives the size. Called
// from decodeRaw itself, never from inside libjpeg, so a bad_alloc it
// throws unwinds through C++ frames only.
struct Target {
  uint8_t *(*allocate)(void *ctx, int64_t h, int64_t w);
  void *ctx;
};

Status decodeRaw(const uint8_t *data, size_t size, Target target, ErrorManager &err) {
  jpeg_decompress_struct cinfo;
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = onError;
  err.pub.emit_message = onMessage;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return Status::Error;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = JCS_RGB; // libjpeg converts grey and YCbCr to RGB
  jpeg_start_decompress(&cinfo);
  uint8_t *pixels = target.allocate(target.ctx, cinfo.output_height, cinfo.output_width);
  if (!pixels) {
    jpeg_destroy_decompress(&cinfo);
    return Status::TooLarge;
  }
  const size_t stride = size_t(cinfo.output_width) * 3;
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = pixels + size_t(cinfo.output_scanline) * stride;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  Status s = err.pub.num_warnings ? Status::Warning : Status::Ok;
  jpeg_destroy_decompress(&cinfo);
  return s;
}

// Sizes the output; returns null (no throw: we are inside the setjmp
// region) when the header's dimensions are unacceptable.
uint8_t *allocateRgb(void *ctx, int64_t h, int64_t w) {
  auto *img = static_cast<RgbImage *>(ctx);
  img->height = h;
  img->width = w;
  if (!imageSizeOk(h, w))
    return nullptr;
  img->hwc.resize(size_t(h * w * 3)); // may throw bad_alloc: acceptable, sizes are capped
  return img->hwc.data();
}

} // namespace

RgbImage decodeJpeg(const std::vector<uint8_t> &bytes, const std::string &path) {
  RgbImage out;
  ErrorManager err{};
  Status s = decodeRaw(bytes.data(), bytes.size(), Target{allocateRgb, &out}, err);
  switch (s) {
  case Status::Ok:
    return out;
  case Status::TooLarge:
    checkImageSize(out.height, out.width, path); // throws with the standard message
    break;
  case Status::Warning:
    throw IoError(path + ": corrupt or truncated JPEG data");
  case Status::Error:
    break;
  }
  throw IoError(path + ": invalid JPEG (" + err.message + ")");
}

} // namespace netc::runtime::data
