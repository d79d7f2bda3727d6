#include "runtime/Npy.h"

#include "runtime/Error.h"
#include "runtime/FileIo.h"

#include <cstring>
#include <optional>

// .npy stores '<f4' little-endian; we memcpy it straight into floats.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "netc assumes a little-endian host");

namespace netc::runtime {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
// numpy itself refuses headers over 10000 bytes; anything much larger is a
// corrupt or hostile length field, not a real array description.
constexpr size_t kMaxHeaderLen = 65536;
constexpr size_t kAlign = 64; // numpy aligns the data start to 64 bytes

/// The three keys of an .npy header, as parsed.
struct Header {
  std::optional<std::string> descr;
  std::optional<bool> fortranOrder;
  std::optional<std::vector<int64_t>> shape;
};

/// Parses the Python dict literal of an .npy header, accepting only what
/// numpy writes: {'descr': str, 'fortran_order': bool, 'shape': (int, ...)}.
class HeaderParser {
public:
  HeaderParser(const std::string &text, const std::string &what) : s_(text), what_(what) {}

  Header parse() {
    Header h;
    expect('{');
    while (!peek('}')) {
      std::string key = parseString();
      expect(':');
      parseValue(key, h);
      if (!peek('}'))
        expect(',');
    }
    expect('}');
    skipSpace();
    if (pos_ != s_.size())
      fail("unexpected text after the header dictionary");
    return h;
  }

private:
  [[noreturn]] void fail(const std::string &msg) const {
    throw IoError(what_ + ": malformed .npy header (" + msg + " at offset " + std::to_string(pos_) +
                  "): " + s_);
  }
  void skipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n'))
      ++pos_;
  }
  bool peek(char c) {
    skipSpace();
    return pos_ < s_.size() && s_[pos_] == c;
  }
  void expect(char c) {
    if (!peek(c))
      fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string parseString() {
    skipSpace();
    char quote = pos_ < s_.size() ? s_[pos_] : 0;
    if (quote != '\'' && quote != '"')
      fail("expected a quoted string");
    size_t end = s_.find(quote, pos_ + 1);
    if (end == std::string::npos)
      fail("unterminated string");
    std::string v = s_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return v;
  }
  bool parseBool() {
    skipSpace();
    for (auto [word, value] : {std::pair{"True", true}, std::pair{"False", false}})
      if (s_.compare(pos_, std::strlen(word), word) == 0) {
        pos_ += std::strlen(word);
        return value;
      }
    fail("expected True or False");
  }
  int64_t parseDim() {
    skipSpace();
    size_t start = pos_;
    int64_t v = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      int digit = s_[pos_++] - '0';
      if (v > (INT64_MAX - digit) / 10)
        fail("dimension too large");
      v = v * 10 + digit;
    }
    if (pos_ == start)
      fail("expected a non-negative integer dimension");
    return v;
  }
  std::vector<int64_t> parseShape() {
    std::vector<int64_t> dims;
    expect('(');
    bool trailingComma = false;
    while (!peek(')')) {
      dims.push_back(parseDim());
      trailingComma = peek(',');
      if (trailingComma)
        ++pos_;
      else if (!peek(')'))
        fail("expected ',' or ')' in shape");
    }
    // "(5)" is the integer 5 in Python, not a tuple; numpy writes "(5,)".
    if (dims.size() == 1 && !trailingComma)
      fail("a one-element shape needs a trailing comma");
    expect(')');
    return dims;
  }
  void parseValue(const std::string &key, Header &h) {
    if (key == "descr")
      setOnce(h.descr, parseString(), key);
    else if (key == "fortran_order")
      setOnce(h.fortranOrder, parseBool(), key);
    else if (key == "shape")
      setOnce(h.shape, parseShape(), key);
    else
      fail("unknown key '" + key + "'");
  }
  template <class T> void setOnce(std::optional<T> &slot, T value, const std::string &key) {
    if (slot)
      fail("duplicate key '" + key + "'");
    slot = std::move(value);
  }

  const std::string &s_;
  const std::string &what_;
  size_t pos_ = 0;
};

uint32_t readLittleEndian(const unsigned char *p, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

/// Checks magic and version; returns {header offset, header length}.
std::pair<size_t, size_t> readPreamble(const unsigned char *bytes, size_t size,
                                       const std::string &what) {
  if (size < kMagicLen + 2 || std::memcmp(bytes, kMagic, kMagicLen) != 0)
    throw IoError(what + ": not a .npy file (missing \\x93NUMPY magic)");
  int major = bytes[6], minor = bytes[7];
  if ((major != 1 && major != 2) || minor != 0)
    throw IoError(what + ": unsupported .npy format version " + std::to_string(major) + "." +
                  std::to_string(minor) + " (netc reads 1.0 and 2.0)");
  int lenBytes = major == 1 ? 2 : 4;
  size_t offset = kMagicLen + 2 + size_t(lenBytes);
  if (size < offset)
    throw IoError(what + ": truncated .npy file (no header length)");
  size_t len = readLittleEndian(bytes + kMagicLen + 2, lenBytes);
  if (len > kMaxHeaderLen)
    throw IoError(what + ": .npy header length " + std::to_string(len) + " exceeds the limit of " +
                  std::to_string(kMaxHeaderLen) + " bytes");
  if (len > size - offset)
    throw IoError(what + ": truncated .npy file (header of " + std::to_string(len) +
                  " bytes, but only " + std::to_string(size - offset) + " follow)");
  return {offset, len};
}

/// Checks the parsed header describes a float32 (or int32) C-order array;
/// returns its shape.
std::vector<int64_t> checkHeader(const Header &h, const std::string &what, bool &isInt,
                                 bool &isDouble) {
  if (!h.descr || !h.fortranOrder || !h.shape)
    throw IoError(what + ": .npy header lacks one of 'descr', 'fortran_order', 'shape'");
  // '|f4' never occurs (floats have a byte order); '=f4' is native = little here.
  isInt = *h.descr == "<i4" || *h.descr == "=i4";
  isDouble = *h.descr == "<f8" || *h.descr == "=f8";
  if (*h.descr != "<f4" && *h.descr != "=f4" && !isInt && !isDouble)
    throw IoError(what + ": dtype '" + *h.descr +
                  "' is not supported; netc reads float32 ('<f4'), and int32 ('<i4') and "
                  "float64 ('<f8') as float32");
  if (*h.fortranOrder)
    throw IoError(what + ": Fortran-order arrays are not supported; save a C-order array "
                         "(numpy.ascontiguousarray)");
  return *h.shape;
}

} // namespace

NamedTensor parseNpy(const unsigned char *bytes, size_t size, const std::string &what) {
  auto [offset, len] = readPreamble(bytes, size, what);
  std::string text(reinterpret_cast<const char *>(bytes) + offset, len);
  if (text.empty() || text.back() != '\n')
    throw IoError(what + ": malformed .npy header (does not end in a newline)");
  NamedTensor t;
  bool isInt = false, isDouble = false;
  t.shape = checkHeader(HeaderParser(text, what).parse(), what, isInt, isDouble);
  size_t elem = isDouble ? 8 : 4;
  uint64_t count = elementCount(t.shape, what);
  size_t dataStart = offset + len;
  // elementCount guarantees count * 4 fits in int64.
  if (size - dataStart != count * elem)
    throw IoError(what + ": shape " + shapeString(t.shape) + " needs " +
                  std::to_string(count * elem) + " data bytes, but the file has " +
                  std::to_string(size - dataStart));
  t.data.resize(count);
  if (count && !isInt && !isDouble)
    std::memcpy(t.data.data(), bytes + dataStart, count * sizeof(float));
  for (uint64_t i = 0; isDouble && i < count; ++i) {
    double v;
    std::memcpy(&v, bytes + dataStart + i * 8, 8);
    t.data[i] = static_cast<float>(v);
  }
  for (uint64_t i = 0; isInt && i < count; ++i) {
    int32_t v;
    std::memcpy(&v, bytes + dataStart + i * 4, 4);
    if (v > (1 << 24) || v < -(1 << 24))
      throw IoError(what + ": int32 value " + std::to_string(v) + " has no exact float32 form");
    t.data[i] = static_cast<float>(v);
  }
  return t;
}

NamedTensor readNpy(const std::string &path) {
  std::vector<unsigned char> bytes = readFileBytes(path);
  NamedTensor t = parseNpy(bytes.data(), bytes.size(), "'" + path + "'");
  std::string base = path.substr(path.find_last_of('/') + 1);
  const std::string ext = ".npy";
  if (base.size() > ext.size() && base.compare(base.size() - ext.size(), ext.size(), ext) == 0)
    base.resize(base.size() - ext.size());
  t.name = base;
  return t;
}

std::vector<unsigned char> encodeNpy(const std::vector<int64_t> &shape, const float *data) {
  uint64_t count = elementCount(shape, "writing .npy");
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i)
    dict += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? "," : "");
  dict += "), }";
  // Pad with spaces so magic + version + length + header is a multiple of
  // kAlign; format 2.0 only when the header length overflows 16 bits.
  auto padded = [&](size_t prefix) {
    return (prefix + dict.size() + 1 + kAlign - 1) / kAlign * kAlign - prefix;
  };
  size_t headerLen = padded(kMagicLen + 4);
  bool v2 = headerLen > 0xFFFF;
  if (v2)
    headerLen = padded(kMagicLen + 6);
  dict.resize(headerLen - 1, ' ');
  dict += '\n';

  std::vector<unsigned char> out(kMagic, kMagic + kMagicLen);
  out.push_back(v2 ? 2 : 1);
  out.push_back(0);
  for (int i = 0; i < (v2 ? 4 : 2); ++i)
    out.push_back(static_cast<unsigned char>(headerLen >> (8 * i)));
  out.insert(out.end(), dict.begin(), dict.end());
  auto *raw = reinterpret_cast<const unsigned char *>(data);
  out.insert(out.end(), raw, raw + count * sizeof(float));
  return out;
}

void writeNpy(const std::string &path, const std::vector<int64_t> &shape, const float *data) {
  std::vector<unsigned char> bytes = encodeNpy(shape, data);
  writeFileAtomically(path, bytes.data(), bytes.size());
}

void writeNpy(const std::string &path, const NamedTensor &t) {
  if (t.data.size() != elementCount(t.shape, "writing '" + path + "'"))
    throw IoError("writing '" + path + "': tensor has " + std::to_string(t.data.size()) +
                  " elements but shape " + shapeString(t.shape));
  writeNpy(path, t.shape, t.data.data());
}

} // namespace netc::runtime
