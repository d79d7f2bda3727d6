// `netc summary`: the paper-style table of a network (one row per layer or
// block repetition: output shape, parameters, multiply-accumulates) and its
// JSON form.
#pragma once

#include "dsl/Network.h"

#include <string>

namespace netc::dsl {

std::string summaryTable(const Network &net);
std::string summaryJson(const Network &net);

/// 1234567 -> "1,234,567"
std::string withCommas(int64_t v);

} // namespace netc::dsl
