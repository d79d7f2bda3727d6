// The diagnostics corpus (the way Halide's test/error works): every file in
// errors/ is a malformed network that must fail with exactly the message in
// the .err file beside it -- location, source line, caret, hint and notes.
// A first line "# args: -D name=value ..." passes command-line overrides.
// NETC_UPDATE_ERRORS=1 rewrites the .err files from the current messages.
#include "Helpers.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace netc::dsl::test {
namespace {

fs::path corpusDir() { return fs::path(NETC_SOURCE_DIR) / "tests/dsl/errors"; }

std::vector<std::string> corpus() {
  std::vector<std::string> names;
  for (const auto &e : fs::directory_iterator(corpusDir()))
    if (e.path().extension() == ".net")
      names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<Override> argsOf(const std::string &text) {
  std::vector<Override> ov;
  if (text.rfind("# args:", 0) != 0)
    return ov;
  std::istringstream words(text.substr(7, text.find('\n') - 7));
  std::string w;
  while (words >> w)
    if (w != "-D")
      ov.push_back(parseOverride(w));
  return ov;
}

// What `netc check errors/NAME.net` prints.
std::string diagnose(const std::string &name) {
  fs::path path = corpusDir() / (name + ".net");
  std::string text = readSourceFile(path.string())->text();
  SourceFile f("errors/" + name + ".net", text);
  try {
    elaborate(parse(f), argsOf(text));
  } catch (const Diagnostic &d) {
    return render(d, &f);
  }
  return "(no error)\n";
}

class Corpus : public ::testing::TestWithParam<std::string> {};

TEST_P(Corpus, ExactMessage) {
  std::string got = diagnose(GetParam());
  fs::path expectPath = corpusDir() / (GetParam() + ".err");
  if (std::getenv("NETC_UPDATE_ERRORS")) {
    std::ofstream(expectPath, std::ios::binary) << got;
    return;
  }
  std::ifstream in(expectPath, std::ios::binary);
  ASSERT_TRUE(in) << "missing " << expectPath << "; got:\n" << got;
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(got, want.str());
  EXPECT_NE(got.find(": error: "), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Errors, Corpus, ::testing::ValuesIn(corpus()),
                         [](const auto &info) { return info.param; });

TEST(Corpus, EveryDiagnosticIsCovered) {
  // Keeps the corpus honest: one file per diagnostic, none forgotten.
  EXPECT_GE(corpus().size(), 40u);
}

} // namespace
} // namespace netc::dsl::test
