// The targets an ahead-of-time library can be built for, by name.
//
// A library is meant to ship, so its target is always named: "host" is
// accepted but only when asked for, never as a silent default. Names map to
// Halide target strings (portable feature sets, not the build machine's);
// any valid Halide target string is accepted as well.
#pragma once

#include <Halide.h>

#include <string>
#include <vector>

namespace netc::aot {

struct NamedTarget {
  std::string name;        // what --target takes
  std::string halide;      // the Halide target string ("" for host)
  std::string description;
};

/// Every named target, in the order `netc targets` lists them.
const std::vector<NamedTarget> &namedTargets();

/// A name from namedTargets() or a Halide target string. Throws
/// std::runtime_error listing the names when it is neither.
Halide::Target parseTarget(const std::string &spec);

/// The clang/gcc target triple for C code that links with `t`'s kernels.
std::string cTriple(const Halide::Target &t);

/// True when `t` is the machine netc runs on (so a library built for it
/// can be run and tested here).
bool runsHere(const Halide::Target &t);

}  // namespace netc::aot
