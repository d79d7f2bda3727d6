// Helpers that write the tiny data files the tests read: gzip, IDX, PNG,
// JPEG. Written here with zlib/libpng/libjpeg so no binary fixture is
// committed.
#pragma once

#include "runtime/Error.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace netc::testdata {

using Bytes = std::vector<uint8_t>;

/// A fresh empty directory under the test temp dir, unique per test.
std::string freshDir(const std::string &name);
void writeBytes(const std::string &path, const Bytes &bytes);
Bytes readBytes(const std::string &path);
Bytes gzip(const Bytes &raw);
/// IDX ubyte: 00 00 08 ndims, big-endian dims, data.
Bytes idx(const std::vector<uint32_t> &dims, const Bytes &data, uint8_t type = 0x08);
/// Writes 8-bit RGB (HWC) images; writePng with grey = true writes a
/// one-channel PNG from h*w bytes.
void writePng(const std::string &path, int h, int w, const Bytes &rgb, bool grey = false);
void writeJpeg(const std::string &path, int h, int w, const Bytes &rgb, int quality = 100);
/// An h x w RGB image whose pixel (y, x, c) is distinct-ish and smooth.
Bytes testImage(int h, int w);

} // namespace netc::testdata

/// Expects `stmt` to throw netc::runtime::IoError whose message contains
/// every one of the given fragments (the file name, the problem).
#define EXPECT_IO_ERROR(stmt, ...)                                                                 \
  do {                                                                                             \
    try {                                                                                          \
      stmt;                                                                                        \
      ADD_FAILURE() << "expected IoError from: " #stmt;                                            \
    } catch (const netc::runtime::IoError &e) {                                                    \
      for (const char *frag : {__VA_ARGS__})                                                       \
        EXPECT_NE(std::string(e.what()).find(frag), std::string::npos)                             \
            << "message \"" << e.what() << "\" lacks \"" << frag << "\"";                          \
    }                                                                                              \
  } while (0)
