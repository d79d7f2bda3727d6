// Parsing of the `train ... end` section and of `--set key=value` values
// (docs/language.md, "Training recipe"). Values are checked as they are
// read: a wrong type or range is a Diagnostic at the value.
#pragma once

#include "dsl/Ast.h"
#include "dsl/Lexer.h"

#include <string>
#include <vector>

namespace netc::dsl {

/// Parses a section: `toks[pos]` is 'train' followed by a newline; leaves
/// `pos` on the token after 'end'. Throws Diagnostic.
TrainSection parseTrainSection(const std::vector<Token> &toks, size_t &pos);

/// Parses the value of `key` (toks from `pos` to the end of the line) into
/// the fields of `into` that the key sets. Throws Diagnostic.
void parseTrainValue(const std::string &key, const std::vector<Token> &toks, size_t &pos,
                     TrainRecipe &into);

/// An example for a key, for hints ("for example: lr 0.1").
std::string trainKeyExample(const std::string &key);

} // namespace netc::dsl
