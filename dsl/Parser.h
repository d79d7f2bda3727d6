// Parses a .net file into a Program (see docs/language.md for the grammar).
#pragma once

#include "dsl/Ast.h"
#include "dsl/Lexer.h"

#include <string>
#include <vector>

namespace netc::dsl {

/// Parses a whole file; throws Diagnostic on the first error.
Program parse(const SourceFile &file);

/// Parses the value of a command-line "-D name=value" override.
Value parseOverrideValue(const std::string &text);

/// Names of the built-in layer kinds, for suggestions and docs.
const std::vector<std::string> &layerKeywords();

/// Settings that may be written without 'param' ("shortcut B").
const std::vector<std::string> &settingNames();

} // namespace netc::dsl
