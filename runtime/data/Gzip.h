// Reading gzip-compressed files (IDX datasets ship as .gz) through zlib.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace netc::runtime::data {

/// Inflates the gzip stream `in` (one or more concatenated members).
/// `path` only names the file in errors. Throws IoError on corrupt or
/// truncated data, trailing garbage, or output beyond `maxOut` bytes (a
/// guard against decompression bombs from untrusted files).
std::vector<uint8_t> gunzip(const std::vector<uint8_t> &in, const std::string &path,
                            size_t maxOut);

/// The contents of `path`, inflated if it starts with the gzip magic, as
/// is otherwise (so both train-images-idx3-ubyte and its .gz load).
std::vector<uint8_t> readMaybeGzipped(const std::string &path, size_t maxOut);

} // namespace netc::runtime::data
