// The round-trip property: parse -> print canonical form -> parse gives the
// same network, on every example and on randomly generated programs.
#include "Helpers.h"

#include "dsl/Printer.h"

#include <filesystem>
#include <random>
#include <sstream>

namespace netc::dsl::test {
namespace {

void expectSameNetwork(const Network &a, const Network &b) {
  ASSERT_EQ(a.layers.size(), b.layers.size());
  EXPECT_EQ(a.input, b.input);
  EXPECT_EQ(a.classes, b.classes);
  EXPECT_EQ(a.bindings, b.bindings);
  EXPECT_EQ(a.hasTrain, b.hasTrain);
  EXPECT_TRUE(a.train == b.train) << canonicalRecipe(a.train) << canonicalRecipe(b.train);
  for (size_t k = 0; k < a.layers.size(); ++k) {
    const Layer &x = a.layers[k], &y = b.layers[k];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.op, y.op) << x.name;
    EXPECT_EQ(x.inputs, y.inputs) << x.name;
    EXPECT_EQ(x.out, y.out) << x.name;
    EXPECT_EQ(std::tie(x.kh, x.kw, x.sh, x.sw, x.ph, x.pw, x.bias),
              std::tie(y.kh, y.kw, y.sh, y.sw, y.ph, y.pw, y.bias)) << x.name;
    EXPECT_EQ(std::tie(x.rate, x.lrnSize, x.lrnAlpha, x.lrnBeta, x.lrnK),
              std::tie(y.rate, y.lrnSize, y.lrnAlpha, y.lrnBeta, y.lrnK)) << x.name;
    EXPECT_EQ(x.params, y.params) << x.name;
    EXPECT_EQ(x.macs, y.macs) << x.name;
  }
}

// print(parse(text)) parses to the same program, prints identically (a fixed
// point) and elaborates to the same network.
void roundTrip(const std::string &text, const std::vector<Override> &ov = {}) {
  SourceFile f("orig.net", text);
  Program p = parse(f);
  std::string canon = print(p);
  SourceFile g("canon.net", canon);
  Program q;
  try {
    q = parse(g);
  } catch (const Diagnostic &d) {
    FAIL() << render(d, &g);
  }
  EXPECT_EQ(print(q), canon);
  expectSameNetwork(elaborate(p, ov), elaborate(q, ov));
}

std::string slurp(const std::filesystem::path &p) {
  return readSourceFile(p.string())->text();
}

TEST(RoundTrip, EveryExample) {
  int files = 0;
  for (const auto &e : std::filesystem::recursive_directory_iterator(examplePath(""))) {
    if (e.path().extension() != ".net")
      continue;
    SCOPED_TRACE(e.path().string());
    roundTrip(slurp(e.path()));
    ++files;
  }
  EXPECT_GE(files, 15);
}

TEST(RoundTrip, WithOverrides) {
  std::string cifar = slurp(examplePath("cifar/resnet.net"));
  roundTrip(cifar, {{"n", "18"}});
  roundTrip(cifar, {{"shortcut", "C"}, {"input", "1x28x28"}});
  roundTrip(slurp(examplePath("resnet/resnet50.net")), {{"stride_in", "3x3"}});
}

// ---- random programs --------------------------------------------------------

// Generates small valid programs from the whole grammar: settings, params,
// user blocks, groups, repeats, strides, every layer kind.
class Generator {
public:
  explicit Generator(unsigned seed) : rng_(seed) {}

  std::string program() {
    std::ostringstream os;
    os << "net gen" << pick(100) << "\n";
    os << "input " << 1 + pick(4) << "x" << 16 + pick(32) << "x" << 16 + pick(32) << "\n";
    os << "param w = " << 1 + pick(8) << "\n";
    os << "norm " << (pick(2) ? "bn" : "none") << "\n";
    const char *sc[] = {"A", "B", "C", "none"};
    os << "shortcut " << sc[pick(4)] << "\n";
    os << "stride_in " << (pick(2) ? "first" : "3x3") << "\n";
    os << "block blk(c, d=2) " << (pick(2) ? "residual" : "plain") << "\n  3x3, c\n  "
       << (pick(2) ? "1x1, c*d" : "3x3, c+d") << "\nend\n";
    int lines = 1 + pick(6), channels = 0;
    for (int k = 0; k < lines; ++k)
      os << line(k, channels) << "\n";
    os << "head avgpool, fc " << 1 + pick(10) << (pick(2) ? ", softmax" : "") << "\n";
    if (pick(2))
      os << train();
    return os.str();
  }

private:
  std::mt19937 rng_;
  int pick(int n) { return static_cast<int>(rng_() % static_cast<unsigned>(n)); }

  // A train section with a random subset of keys and value forms.
  std::string train() {
    std::ostringstream os;
    os << "train\n";
    if (pick(2)) os << "  batch " << 1 + pick(512) << "\n";
    if (pick(2)) os << "  lr " << (pick(2) ? "0.1" : "1e-" + std::to_string(1 + pick(4))) << "\n";
    if (pick(2)) os << "  momentum 0." << pick(10) << "\n";
    if (pick(2)) os << "  weight_decay " << pick(6) << "e-4\n";
    if (pick(2))
      os << (pick(2) ? "  iterations " : "  epochs ") << 1 + pick(1000) << "\n";
    const char *sched[] = {"constant", "plateau", "step 100, 200", "step epoch 1.5, epoch 3",
                           "step 33.3%, 66.7%"};
    if (pick(2)) os << "  schedule " << sched[pick(5)] << "\n";
    if (pick(2)) os << "  gamma 0." << 1 + pick(9) << "\n";
    if (pick(2)) os << "  warmup " << (pick(2) ? "none" : "0.01 until error 80%") << "\n";
    const char *aug[] = {"none", "pad 4, flip", "flip, scale 16..24, color 0.25", "scale 20"};
    if (pick(2)) os << "  augment " << aug[pick(4)] << "\n";
    const char *mean[] = {"none", "channel", "pixel"};
    if (pick(2)) os << "  mean " << mean[pick(3)] << "\n";
    if (pick(2)) os << "  seed " << pick(1000) << "\n";
    os << "end\n";
    return os.str();
  }

  std::string width() {
    switch (pick(3)) {
    case 0: return std::to_string(1 + pick(16));
    case 1: return "w";
    default: return "(w*" + std::to_string(1 + pick(3)) + ")";
    }
  }

  std::string line(int k, int &) {
    std::string label = pick(3) ? "l" + std::to_string(k) + " " : "";
    std::string rep = pick(3) ? "" : (pick(2) ? " x2" : " x w");
    switch (pick(9)) {
    case 0: return label + "3x3, " + width() + rep + (pick(2) ? ", /2" : "");
    case 1: return label + "conv1-" + std::to_string(1 + pick(9));
    case 2: return label + "[3x3, " + width() + "; 3x3, " + width() + "]" + rep;
    case 3: return label + "blk(" + width() + ")" + (pick(2) ? ", /2" : "");
    case 4: return label + "maxpool" + (pick(2) ? " 3x3, /2" : " 2x2, pad 1");
    case 5: return label + "dropout 0." + std::to_string(pick(9));
    case 6: return label + "lrn(size=3, alpha=1e-3, beta=0.75, k=2)";
    case 7: return label + "relu, bn";
    default: return label + "3x3, " + width() + " linear, 1x1, 4 nobias";
    }
  }
};

TEST(RoundTrip, RandomPrograms) {
  int valid = 0;
  for (unsigned seed = 1; seed <= 400; ++seed) {
    std::string text = Generator(seed).program();
    std::string err;
    build(text, &err);
    if (!err.empty())
      continue; // e.g. a shortcut that cannot join; the parser is still exercised
    SCOPED_TRACE(text);
    roundTrip(text);
    ++valid;
  }
  EXPECT_GT(valid, 100);
}

} // namespace
} // namespace netc::dsl::test
