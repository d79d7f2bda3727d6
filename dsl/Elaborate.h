// Elaboration: binds parameters (file defaults, then -D overrides), expands
// repeats, groups and user blocks, builds residual shortcuts as the
// 'shortcut' setting says, infers every shape and counts parameters and
// multiply-accumulates. The result is a Network (dsl/Network.h).
#pragma once

#include "dsl/Ast.h"
#include "dsl/Bindings.h"
#include "dsl/Network.h"

#include <string>
#include <utility>
#include <vector>

namespace netc::dsl {

/// Parses "name=value"; throws Diagnostic if there is no '='.
Override parseOverride(const std::string &text);

/// Elaborates a parsed program. Throws Diagnostic on the first error.
Network elaborate(const Program &program, const std::vector<Override> &overrides = {});

/// Reads, parses and elaborates a file: what every netc command starts with.
struct LoadedNetwork {
  std::shared_ptr<SourceFile> file;
  Program program;
  Network network;
  /// The program with every override written into it, printed canonically:
  /// a self-contained text that means exactly this network (weights files
  /// store it so they cannot be applied to another network). The `train`
  /// section is left out: retraining with another recipe is the same network.
  std::string canonical;
};

/// `program` with each override replacing its parameter's value (or added as
/// a setting), so it elaborates without overrides to the same network.
Program bindOverrides(const Program &program, const std::vector<Override> &overrides);
LoadedNetwork loadNetwork(const std::string &path, const std::vector<Override> &overrides = {});

} // namespace netc::dsl
