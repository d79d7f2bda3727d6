#include "runtime/data/Gzip.h"

#include "runtime/Error.h"
#include "runtime/FileIo.h"

#include <zlib.h>

#include <algorithm>

namespace netc::runtime::data {
namespace {

bool hasGzipMagic(const uint8_t *p, size_t n) { return n >= 2 && p[0] == 0x1f && p[1] == 0x8b; }

// The gzip trailer's ISIZE (length mod 2^32) is only a hint: it wraps, and
// in a truncated or hostile file it is arbitrary bytes. So it only sizes the
// first allocation, capped by deflate's best ratio (about 1032:1) so a
// bogus trailer cannot make us allocate gigabytes up front.
size_t sizeHint(const std::vector<uint8_t> &in, size_t maxOut) {
  if (in.size() < 18)
    return 4096;
  const uint8_t *t = in.data() + in.size() - 4;
  size_t isize = t[0] | (t[1] << 8) | (t[2] << 16) | (static_cast<size_t>(t[3]) << 24);
  size_t plausible = std::min(isize, in.size() * 1032);
  return std::min(std::max<size_t>(plausible, 4096), maxOut);
}

// Owns the z_stream so every error path calls inflateEnd.
struct Inflater {
  z_stream zs{};
  explicit Inflater(const std::string &path) {
    // 16 + MAX_WBITS: expect a gzip header and check its CRC-32 trailer.
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
      throw IoError(path + ": cannot initialise zlib");
  }
  ~Inflater() { inflateEnd(&zs); }
};

} // namespace

std::vector<uint8_t> gunzip(const std::vector<uint8_t> &in, const std::string &path,
                            size_t maxOut) {
  if (!hasGzipMagic(in.data(), in.size()))
    throw IoError(path + ": not a gzip file (bad magic)");
  Inflater inf(path);
  z_stream &zs = inf.zs;
  zs.next_in = const_cast<Bytef *>(in.data());
  zs.avail_in = static_cast<uInt>(std::min<size_t>(in.size(), UINT32_MAX));
  std::vector<uint8_t> out(sizeHint(in, maxOut));
  size_t produced = 0;
  for (;;) {
    if (produced == out.size()) {
      if (out.size() >= maxOut)
        throw IoError(path + ": decompressed data exceeds " + std::to_string(maxOut) + " bytes");
      out.resize(std::min(maxOut, out.size() * 2));
    }
    zs.next_out = out.data() + produced;
    zs.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - produced, UINT32_MAX));
    int rc = inflate(&zs, Z_NO_FLUSH);
    produced = static_cast<size_t>(zs.next_out - out.data());
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0)
        break;
      // Concatenated members are valid gzip (what `cat a.gz b.gz` makes).
      if (!hasGzipMagic(zs.next_in, zs.avail_in))
        throw IoError(path + ": trailing garbage after the gzip stream");
      inflateReset(&zs);
      continue;
    }
    if (rc == Z_DATA_ERROR)
      throw IoError(path + ": corrupt gzip data (" + (zs.msg ? zs.msg : "bad stream") + ")");
    if (rc == Z_MEM_ERROR)
      throw IoError(path + ": out of memory while inflating");
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      throw IoError(path + ": corrupt gzip data (zlib error " + std::to_string(rc) + ")");
    // Z_BUF_ERROR with input exhausted means the stream ended early.
    if (zs.avail_in == 0 && zs.avail_out != 0)
      throw IoError(path + ": truncated gzip stream (file ends before the end of the data)");
  }
  out.resize(produced);
  return out;
}

std::vector<uint8_t> readMaybeGzipped(const std::string &path, size_t maxOut) {
  std::vector<uint8_t> raw = readFileBytes(path);
  if (hasGzipMagic(raw.data(), raw.size()))
    return gunzip(raw, path, maxOut);
  return raw;
}

} // namespace netc::runtime::data
