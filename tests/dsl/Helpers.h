// Small helpers shared by the DSL tests.
#pragma once

#include "dsl/Elaborate.h"
#include "dsl/Parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace netc::dsl::test {

inline std::string examplePath(const std::string &rel) {
  return std::string(NETC_SOURCE_DIR) + "/examples/" + rel;
}

/// Parses and elaborates text; on a Diagnostic returns the rendered error
/// in `error` and an empty network.
inline Network build(const std::string &text, std::string *error = nullptr,
                     const std::vector<Override> &ov = {}) {
  SourceFile f("t.net", text);
  try {
    return elaborate(parse(f), ov);
  } catch (const Diagnostic &d) {
    if (error)
      *error = render(d, &f);
    else
      ADD_FAILURE() << render(d, &f);
    return {};
  }
}

/// The rendered error for a text that must fail.
inline std::string errorOf(const std::string &text, const std::vector<Override> &ov = {}) {
  std::string e;
  build(text, &e, ov);
  EXPECT_FALSE(e.empty()) << "expected an error for:\n" << text;
  return e;
}

} // namespace netc::dsl::test
