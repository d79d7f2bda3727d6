// A position in a token stream and the small moves every parser of the
// language makes on it: the statement parser (Parser.cpp) and the train
// section's parser (TrainParser.cpp) share one stream and one position.
#pragma once

#include "dsl/Lexer.h"
#include "dsl/Source.h"

#include <algorithm>
#include <string>
#include <vector>

namespace netc::dsl {

class TokenCursor {
public:
  TokenCursor(const std::vector<Token> &toks, size_t &pos) : t_(toks), i_(pos) {}

protected:
  const std::vector<Token> &t_;
  size_t &i_;

  const Token &cur() const { return t_[i_]; }
  const Token &peek(size_t k = 1) const { return t_[std::min(i_ + k, t_.size() - 1)]; }
  bool at(Tok k) const { return cur().kind == k; }
  bool atEol() const { return at(Tok::Newline) || at(Tok::End); }
  const Token &take() {
    const Token &t = t_[i_];
    if (i_ + 1 < t_.size())
      ++i_;
    return t;
  }
  bool accept(Tok k) {
    if (!at(k))
      return false;
    take();
    return true;
  }
  static std::string describe(const Token &t) {
    if (t.kind == Tok::Newline || t.kind == Tok::End)
      return tokName(t.kind);
    return "'" + t.text + "'";
  }
  /// Columns a caret under `t` spans (1 for a line end).
  static int lengthOf(const Token &t) {
    return t.kind == Tok::Newline || t.kind == Tok::End ? 1 : static_cast<int>(t.text.size());
  }
  [[noreturn]] static void fail(const Token &t, const std::string &msg,
                                const std::string &hint = "") {
    throw Diagnostic(t.loc, msg, hint, lengthOf(t));
  }
};

} // namespace netc::dsl
