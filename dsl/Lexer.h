// Tokens of the .net language. Newlines are significant (they end a layer
// line) except inside brackets and parentheses, so a block may span lines.
#pragma once

#include "dsl/Source.h"

#include <cstdint>
#include <string>
#include <vector>

namespace netc::dsl {

enum class Tok {
  Ident,   // conv2_x, maxpool, n
  Int,     // 64
  Float,   // 0.5, 1e-4
  Dims,    // 3x3, 3x224x224 (also written with the sign U+00D7)
  Repeat,  // x3 (a repeat count glued to the x)
  Comma, Semi, LBracket, RBracket, LParen, RParen,
  Equals, Slash, Star, Plus, Minus, Colon,
  Percent, // 50% (train section)
  DotDot,  // 256..512 (train section)
  Newline,
  End,
};

const char *tokName(Tok t);

struct Token {
  Tok kind = Tok::End;
  std::string text;          // exactly as written
  int64_t value = 0;         // Int, Repeat
  double real = 0;           // Float
  std::vector<int64_t> dims; // Dims
  Loc loc;
  bool spaceBefore = false;  // whitespace between this and the previous token
};

/// Splits a source file into tokens; throws Diagnostic on a character that
/// cannot start a token or a number that does not fit in 32 bits.
std::vector<Token> lex(const SourceFile &file);

} // namespace netc::dsl
