#include "dsl/Lexer.h"

#include <cctype>
#include <cstdlib>

namespace netc::dsl {

const char *tokName(Tok t) {
  switch (t) {
  case Tok::Ident: return "a name";
  case Tok::Int: return "a number";
  case Tok::Float: return "a decimal number";
  case Tok::Dims: return "a size like 3x3";
  case Tok::Repeat: return "a repeat count like x3";
  case Tok::Comma: return "','";
  case Tok::Semi: return "';'";
  case Tok::LBracket: return "'['";
  case Tok::RBracket: return "']'";
  case Tok::LParen: return "'('";
  case Tok::RParen: return "')'";
  case Tok::Equals: return "'='";
  case Tok::Slash: return "'/'";
  case Tok::Star: return "'*'";
  case Tok::Plus: return "'+'";
  case Tok::Minus: return "'-'";
  case Tok::Colon: return "':'";
  case Tok::Percent: return "'%'";
  case Tok::DotDot: return "'..'";
  case Tok::Newline: return "end of line";
  case Tok::End: return "end of file";
  }
  return "?";
}

namespace {

// Numbers in .net files are sizes and counts: anything past this is a typo.
constexpr int64_t kMaxInt = 2147483647;

class Lexer {
public:
  explicit Lexer(const SourceFile &f) : src_(f.text()) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    int depth = 0; // brackets + parens open: newlines inside are whitespace
    bool space = true;
    while (true) {
      space |= skipBlanks();
      if (pos_ >= src_.size()) {
        out.push_back(make(Tok::End, pos_, space));
        return out;
      }
      char c = src_[pos_];
      if (c == '\n') {
        if (depth == 0 && (out.empty() || out.back().kind != Tok::Newline))
          out.push_back(make(Tok::Newline, pos_, space));
        advance();
        space = true;
        continue;
      }
      Token t = next(space);
      if (t.kind == Tok::LBracket || t.kind == Tok::LParen)
        ++depth;
      if ((t.kind == Tok::RBracket || t.kind == Tok::RParen) && depth > 0)
        --depth;
      out.push_back(std::move(t));
      space = false;
    }
  }

private:
  const std::string &src_;
  size_t pos_ = 0;
  int line_ = 1;
  size_t lineStart_ = 0;

  Loc here(size_t at) const {
    return {line_, static_cast<int>(at - lineStart_) + 1};
  }
  void advance() {
    if (src_[pos_] == '\n') {
      ++line_;
      lineStart_ = pos_ + 1;
    }
    ++pos_;
  }
  // Skips spaces, tabs, carriage returns and comments; not newlines.
  bool skipBlanks() {
    bool any = false;
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
        ++pos_;
        any = true;
      } else if (c == '#') {
        while (pos_ < src_.size() && src_[pos_] != '\n')
          ++pos_;
        any = true;
      } else {
        break;
      }
    }
    return any;
  }
  Token make(Tok k, size_t begin, bool space) const {
    Token t;
    t.kind = k;
    t.loc = here(begin);
    t.spaceBefore = space;
    t.text = src_.substr(begin, pos_ - begin);
    return t;
  }
  // The multiplication sign U+00D7 is accepted wherever an 'x' separates sizes.
  bool timesAt(size_t p) const {
    if (p < src_.size() && (src_[p] == 'x' || src_[p] == 'X'))
      return true;
    return p + 1 < src_.size() && static_cast<unsigned char>(src_[p]) == 0xC3 &&
           static_cast<unsigned char>(src_[p + 1]) == 0x97;
  }
  size_t timesLen(size_t p) const { return src_[p] == 'x' || src_[p] == 'X' ? 1 : 2; }
  bool digitAt(size_t p) const {
    return p < src_.size() && std::isdigit(static_cast<unsigned char>(src_[p]));
  }
  bool identCharAt(size_t p) const {
    return p < src_.size() &&
           (std::isalnum(static_cast<unsigned char>(src_[p])) || src_[p] == '_');
  }

  int64_t readInt(size_t begin) {
    int64_t v = 0;
    while (digitAt(pos_)) {
      v = v * 10 + (src_[pos_] - '0');
      ++pos_;
      if (v > kMaxInt)
        throw Diagnostic(here(begin), "number too large",
                         "sizes and counts must be below 2^31", 1);
    }
    return v;
  }

  Token next(bool space) {
    size_t begin = pos_;
    char c = src_[pos_];
    if (c == '.' && pos_ + 1 < src_.size() && src_[pos_ + 1] == '.') {
      pos_ += 2;
      return make(Tok::DotDot, begin, space);
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && digitAt(pos_ + 1)))
      return number(space);
    if (timesAt(pos_) && digitAt(pos_ + timesLen(pos_))) {
      // "x3" is a repeat count unless more name characters follow ("x3a").
      size_t p = pos_ + timesLen(pos_);
      while (digitAt(p))
        ++p;
      if (!identCharAt(p)) {
        pos_ += timesLen(pos_);
        Token t;
        t.value = readInt(begin);
        t.kind = Tok::Repeat;
        t.loc = here(begin);
        t.spaceBefore = space;
        t.text = src_.substr(begin, pos_ - begin);
        return t;
      }
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      while (identCharAt(pos_))
        ++pos_;
      return make(Tok::Ident, begin, space);
    }
    Tok k;
    switch (c) {
    case ',': k = Tok::Comma; break;
    case ';': k = Tok::Semi; break;
    case '[': k = Tok::LBracket; break;
    case ']': k = Tok::RBracket; break;
    case '(': k = Tok::LParen; break;
    case ')': k = Tok::RParen; break;
    case '=': k = Tok::Equals; break;
    case '/': k = Tok::Slash; break;
    case '*': k = Tok::Star; break;
    case '+': k = Tok::Plus; break;
    case '-': k = Tok::Minus; break;
    case ':': k = Tok::Colon; break;
    case '%': k = Tok::Percent; break;
    default: unexpected(c);
    }
    ++pos_;
    return make(k, begin, space);
  }

  [[noreturn]] void unexpected(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    std::string shown;
    if (u >= 0x20 && u < 0x7f) {
      shown = std::string("'") + c + "'";
    } else {
      static const char *hex = "0123456789abcdef";
      shown = std::string("byte 0x") + hex[u >> 4] + hex[u & 15];
    }
    throw Diagnostic(here(pos_), "unexpected character " + shown,
                     u >= 0x80 ? "non-ASCII text is allowed only in comments (after '#')"
                               : "");
  }

  // Int, Float, or Dims ("3x3", "3x224x224").
  Token number(bool space) {
    size_t begin = pos_;
    Token t;
    t.loc = here(begin);
    t.spaceBefore = space;
    bool isFloat = false;
    if (src_[pos_] != '.')
      t.value = readInt(begin);
    if (pos_ < src_.size() && src_[pos_] == '.' && digitAt(pos_ + 1)) {
      isFloat = true;
      ++pos_;
      while (digitAt(pos_))
        ++pos_;
    }
    if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
      size_t p = pos_ + 1;
      if (p < src_.size() && (src_[p] == '+' || src_[p] == '-'))
        ++p;
      if (digitAt(p)) {
        isFloat = true;
        pos_ = p;
        while (digitAt(pos_))
          ++pos_;
      }
    }
    if (isFloat) {
      t.kind = Tok::Float;
      t.text = src_.substr(begin, pos_ - begin);
      t.real = std::strtod(t.text.c_str(), nullptr);
      return t;
    }
    t.kind = Tok::Int;
    if (timesAt(pos_) && digitAt(pos_ + timesLen(pos_))) {
      t.kind = Tok::Dims;
      t.dims.push_back(t.value);
      while (timesAt(pos_) && digitAt(pos_ + timesLen(pos_))) {
        pos_ += timesLen(pos_);
        t.dims.push_back(readInt(begin));
      }
    }
    if (identCharAt(pos_)) {
      while (identCharAt(pos_))
        ++pos_;
      throw Diagnostic(t.loc, "malformed number '" + src_.substr(begin, pos_ - begin) + "'",
                       "sizes are written like 3x3 or 3x224x224",
                       static_cast<int>(pos_ - begin));
    }
    t.text = src_.substr(begin, pos_ - begin);
    return t;
  }
};

} // namespace

std::vector<Token> lex(const SourceFile &file) { return Lexer(file).run(); }

} // namespace netc::dsl
