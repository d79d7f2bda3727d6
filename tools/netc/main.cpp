// netc: the command-line driver. CLI11 lives in this one file (it is slow to
// compile); each subcommand's work is a function in the libraries.
#include "dsl/Elaborate.h"
#include "dsl/Summary.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace {

using namespace netc::dsl;

std::vector<Override> overrides(const std::vector<std::string> &defs) {
  std::vector<Override> out;
  for (const std::string &d : defs) {
    try {
      out.push_back(parseOverride(d));
    } catch (const Diagnostic &e) {
      throw Error(render(e, nullptr));
    }
  }
  return out;
}

LoadedNetwork load(const std::string &file, const std::vector<std::string> &defs) {
  return loadNetwork(file, overrides(defs));
}

struct NetArgs {
  std::string file;
  std::vector<std::string> defs;
  void add(CLI::App *cmd) {
    cmd->add_option("FILE", file, "a .net network description")->required();
    cmd->add_option("-D,--define", defs, "override a parameter: -D n=18 -D shortcut=A")
        ->type_name("NAME=VALUE");
  }
};

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"netc: a declarative neural-network compiler"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "netc 0.1.0");

  NetArgs summaryArgs;
  bool json = false;
  auto *summary = app.add_subcommand("summary", "print a network's layers, shapes, parameters and MACs");
  summaryArgs.add(summary);
  summary->add_flag("--json", json, "print one JSON object instead of a table");

  NetArgs checkArgs;
  auto *check = app.add_subcommand("check", "validate a .net file; print nothing but errors");
  checkArgs.add(check);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e) == 0 ? 0 : 1;
  }

  try {
    if (*summary) {
      LoadedNetwork n = load(summaryArgs.file, summaryArgs.defs);
      std::cout << (json ? summaryJson(n.network) : summaryTable(n.network));
    } else if (*check) {
      load(checkArgs.file, checkArgs.defs);
    }
  } catch (const Error &e) {
    std::cerr << e.what();
    return 1;
  } catch (const std::exception &e) {
    std::cerr << "netc: internal error: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
