// .npy: round trips, and one test per way an untrusted file can be malformed.
#include "runtime/Npy.h"

#include "Helpers.h"

#include <cstring>
#include <fstream>
#include <random>

using namespace netc::runtime;
using netc::runtime::testing::TempDir;

namespace {

std::vector<float> randomData(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist;
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

/// A .npy file as bytes: magic, version, length field, header, data bytes.
std::vector<unsigned char> npyBytes(const std::string &header, size_t dataBytes, int major = 1,
                                    uint32_t lenField = UINT32_MAX) {
  std::vector<unsigned char> b = {0x93, 'N', 'U', 'M', 'P', 'Y', (unsigned char)major, 0};
  uint32_t len = lenField == UINT32_MAX ? uint32_t(header.size()) : lenField;
  for (int i = 0; i < (major == 1 ? 2 : 4); ++i)
    b.push_back((unsigned char)(len >> (8 * i)));
  b.insert(b.end(), header.begin(), header.end());
  b.resize(b.size() + dataBytes, 0);
  return b;
}

std::string header(const std::string &descr, const std::string &fortran, const std::string &shape) {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }\n";
}

NamedTensor parse(const std::vector<unsigned char> &b) {
  return parseNpy(b.data(), b.size(), "x.npy");
}

} // namespace

TEST(Npy, RoundTripsRandomData) {
  TempDir dir;
  const std::vector<std::vector<int64_t>> shapes = {{}, {0}, {7}, {2, 3, 4}, {2, 3, 32, 32}};
  for (size_t i = 0; i < shapes.size(); ++i) {
    NamedTensor t{"", shapes[i], randomData(elementCount(shapes[i], "test"), unsigned(i))};
    std::string path = dir.file("t" + std::to_string(i) + ".npy");
    writeNpy(path, t);
    NamedTensor back = readNpy(path);
    EXPECT_EQ(back.name, "t" + std::to_string(i));
    EXPECT_EQ(back.shape, t.shape);
    EXPECT_EQ(back.data, t.data); // exact: the bytes are copied, not converted
  }
}

TEST(Npy, WritesNumpyLayout) {
  std::vector<float> data = {1, 2, 3};
  std::vector<unsigned char> b = encodeNpy({3}, data.data());
  size_t headerLen = b[8] | (b[9] << 8);
  EXPECT_EQ(b[6], 1); // format 1.0
  EXPECT_EQ((10 + headerLen) % 64, 0u) << "numpy aligns the data to 64 bytes";
  std::string h(b.begin() + 10, b.begin() + 10 + long(headerLen));
  EXPECT_EQ(h.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 0), 0u) << h;
  EXPECT_EQ(h.back(), '\n');
  EXPECT_EQ(b.size(), 10 + headerLen + 12);
}

TEST(Npy, ReadsFormat2AndNumpySpellings) {
  // Format 2.0 has a 4-byte length; numpy may write double quotes or no
  // trailing comma after the last entry; '=f4' is native order.
  NamedTensor t =
      parse(npyBytes("{\"descr\": \"=f4\", \"shape\": (2, 3), \"fortran_order\": False}\n", 24, 2));
  EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(t.data.size(), 6u);
  EXPECT_EQ(parse(npyBytes(header("<f4", "False", "()"), 4)).data.size(), 1u);
}

TEST(Npy, RejectsMissingFile) {
  EXPECT_IO_ERROR(readNpy("/nonexistent/x.npy"), "cannot open '/nonexistent/x.npy'");
}

TEST(Npy, RejectsBadMagic) {
  auto b = npyBytes(header("<f4", "False", "(2,)"), 8);
  b[1] = 'X';
  EXPECT_IO_ERROR(parse(b), "not a .npy file");
  EXPECT_IO_ERROR(parse({}), "not a .npy file");
}

TEST(Npy, RejectsUnsupportedVersion) {
  EXPECT_IO_ERROR(parse(npyBytes(header("<f4", "False", "(2,)"), 8, 3)), "version 3.0");
}

TEST(Npy, RejectsTruncatedFiles) {
  auto b = npyBytes(header("<f4", "False", "(2, 3)"), 24);
  for (size_t cut : {size_t(7), size_t(9), size_t(20), b.size() - 1}) {
    std::vector<unsigned char> t(b.begin(), b.begin() + long(cut));
    EXPECT_IO_ERROR(parse(t), "x.npy: ");
  }
  b.resize(b.size() - 4);
  EXPECT_IO_ERROR(parse(b), "needs 24 data bytes, but the file has 20");
}

TEST(Npy, RejectsTrailingBytes) {
  EXPECT_IO_ERROR(parse(npyBytes(header("<f4", "False", "(2,)"), 12)),
                  "shape [2] needs 8 data bytes, but the file has 12");
}

TEST(Npy, RejectsWrongDtype) {
  for (const char *d : {">f4", ">f8", "<i8", "|u1", "<f2"})
    EXPECT_IO_ERROR(parse(npyBytes(header(d, "False", "(2,)"), 8)),
                    "dtype '" + std::string(d) + "' is not supported");
}

TEST(Npy, ReadsInt32AndFloat64AsFloat32) {
  std::vector<unsigned char> ib = npyBytes(header("<i4", "False", "(3,)"), 0);
  for (int32_t v : {7, -3, 1 << 24})
    for (int k = 0; k < 4; ++k)
      ib.push_back(static_cast<unsigned char>(uint32_t(v) >> (8 * k)));
  EXPECT_EQ(parse(ib).data, (std::vector<float>{7, -3, 16777216}));
  std::vector<unsigned char> db = npyBytes(header("<f8", "False", "(1,)"), 0);
  double d = 0.1;
  const unsigned char *p = reinterpret_cast<const unsigned char *>(&d);
  db.insert(db.end(), p, p + 8);
  EXPECT_EQ(parse(db).data, std::vector<float>{0.1f});
  std::vector<unsigned char> big = npyBytes(header("<i4", "False", "(1,)"), 0);
  for (int k = 0; k < 4; ++k)
    big.push_back(static_cast<unsigned char>(uint32_t((1 << 24) + 1) >> (8 * k)));
  EXPECT_IO_ERROR(parse(big), "int32 value 16777217 has no exact float32 form");
}

TEST(Npy, RejectsFortranOrder) {
  EXPECT_IO_ERROR(parse(npyBytes(header("<f4", "True", "(2, 3)"), 24)), "Fortran-order");
}

TEST(Npy, RejectsHugeHeaderLength) {
  EXPECT_IO_ERROR(parse(npyBytes(header("<f4", "False", "(2,)"), 8, 2, 0xFFFFFFF0u)),
                  "header length 4294967280 exceeds the limit");
  EXPECT_IO_ERROR(parse(npyBytes(header("<f4", "False", "(2,)"), 8, 1, 60000)),
                  "truncated .npy file (header of 60000 bytes");
}

TEST(Npy, RejectsShapeOverflow) {
  EXPECT_IO_ERROR(parse(npyBytes(header("<f4", "False", "(4611686018427387904, 4)"), 0)),
                  "is too large");
  EXPECT_IO_ERROR(parse(npyBytes(header("<f4", "False", "(99999999999999999999,)"), 0)),
                  "dimension too large");
}

TEST(Npy, RejectsMalformedHeaders) {
  struct Case {
    std::string header, message;
  } cases[] = {
      {header("<f4", "False", "(-2,)"), "expected a non-negative integer"},
      {header("<f4", "False", "(2)"), "trailing comma"},
      {header("<f4", "false", "(2,)"), "expected True or False"},
      {"{'descr': '<f4', 'shape': (2,), }\n", "lacks one of"},
      {"{'descr': '<f4', 'descr': '<f4', }\n", "duplicate key 'descr'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}\n", "unknown key 'x'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", "newline"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x\n", "after the header"},
      {"{'descr: '<f4'}\n", "malformed .npy header"},
  };
  for (const Case &c : cases)
    EXPECT_IO_ERROR(parse(npyBytes(c.header, 8)), c.message);
}

TEST(Npy, RejectsMalformedFileOnDisk) {
  TempDir dir;
  std::string path = dir.file("bad.npy");
  auto b = npyBytes(header("<f2", "False", "(2,)"), 4);
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char *>(b.data()), long(b.size()));
  EXPECT_IO_ERROR(readNpy(path), "'" + path + "': dtype '<f2' is not supported");
}

TEST(Npy, WriteRejectsDataShapeMismatch) {
  TempDir dir;
  EXPECT_IO_ERROR(writeNpy(dir.file("x.npy"), NamedTensor{"x", {2, 2}, {1, 2, 3}}),
                  "has 3 elements but shape [2, 2]");
}
