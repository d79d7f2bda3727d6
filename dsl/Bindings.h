// Parameter binding: a file's `param`s and settings with their defaults,
// the command line's -D overrides on top, and integer expressions evaluated
// against them (plus a block's local names).
#pragma once

#include "dsl/Ast.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace netc::dsl {

/// A command-line override "-D name=value".
struct Override {
  std::string name;
  std::string value;
};

/// Block-local names (block arguments and the implicit 'stride').
using Locals = std::map<std::string, int64_t>;

class Bindings {
public:
  /// Binds the program's parameters, then the overrides (each must name a
  /// parameter or a setting); throws Diagnostic.
  Bindings(const Program &program, const std::vector<Override> &overrides);

  bool has(const std::string &name) const { return params_.count(name) != 0; }
  const Value &value(const std::string &name) const { return params_.at(name).value; }
  bool fromCommandLine(const std::string &name) const { return params_.at(name).fromCommandLine; }
  /// The evaluated number of a Number parameter.
  int64_t number(const std::string &name) const { return params_.at(name).number; }
  /// The value written as text ("3", "A", "3x224x224").
  std::string text(const std::string &name) const;
  /// Names in declaration order, overrides of undeclared settings last.
  const std::vector<std::string> &order() const { return order_; }

  /// A word-valued setting checked against `allowed`, or `dflt` if unset.
  std::string word(const std::string &name, const std::string &dflt,
                   const std::vector<std::string> &allowed) const;
  /// Throws a Diagnostic about `name`'s value, at the file position or
  /// quoting the -D that set it.
  [[noreturn]] void badValue(const std::string &name, const std::string &what,
                             const std::string &hint) const;

  /// Evaluates an integer expression; names resolve to `locals` first.
  int64_t eval(const ExprP &e, const Locals *locals) const;

private:
  struct Bound {
    Value value;
    bool fromCommandLine = false;
    std::string raw; // "name=value" as given to -D, for messages
    int64_t number = 0;
  };
  std::map<std::string, Bound> params_;
  std::vector<std::string> order_;

  int64_t lookup(const Expr &e, const Locals *locals) const;
};

} // namespace netc::dsl
