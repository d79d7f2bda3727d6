// Prints a Program as canonical .net text. The canonical form normalises
// spelling (conv3-64 becomes "3x3, 64", FC-4096 becomes "fc 4096") but keeps
// every parameter, block and label, so parse(print(p)) means the same network.
#pragma once

#include "dsl/Ast.h"

#include <string>

namespace netc::dsl {

std::string print(const Program &program);

} // namespace netc::dsl
