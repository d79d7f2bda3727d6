// Units of the language: lexing, spellings, settings and their meaning.
#include "Helpers.h"

#include "dsl/Lexer.h"

namespace netc::dsl::test {
namespace {

const Layer *find(const Network &n, const std::string &name) {
  for (const Layer &l : n.layers)
    if (l.name == name)
      return &l;
  ADD_FAILURE() << "no layer " << name;
  return nullptr;
}

int count(const Network &n, Op op) {
  int c = 0;
  for (const Layer &l : n.layers)
    c += l.op == op;
  return c;
}

TEST(Lexer, SizesRepeatsAndNumbers) {
  SourceFile f("t", "3x224x224 x3 3\xC3\x97" "3 1e-4 0.5 conv3-64 x n # comment");
  std::vector<Token> t = lex(f);
  ASSERT_EQ(t.size(), 11u);
  EXPECT_EQ(t[0].kind, Tok::Dims);
  EXPECT_EQ(t[0].dims, (std::vector<int64_t>{3, 224, 224}));
  EXPECT_EQ(t[1].kind, Tok::Repeat);
  EXPECT_EQ(t[1].value, 3);
  EXPECT_EQ(t[2].dims, (std::vector<int64_t>{3, 3})); // the multiplication sign
  EXPECT_EQ(t[3].kind, Tok::Float);
  EXPECT_DOUBLE_EQ(t[3].real, 1e-4);
  EXPECT_EQ(t[5].text, "conv3");
  EXPECT_EQ(t[6].kind, Tok::Minus);
  EXPECT_EQ(t[8].text, "x");
  EXPECT_EQ(t[10].kind, Tok::End);
  EXPECT_EQ(t[3].loc.col, 19); // byte columns: the sign is two bytes
}

TEST(Lexer, NewlinesInsideBracketsAreSpace) {
  SourceFile f("t", "[1x1, 64;\n 3x3, 64]\nfc 10");
  int newlines = 0;
  for (const Token &t : lex(f))
    newlines += t.kind == Tok::Newline;
  EXPECT_EQ(newlines, 1);
}

const char *kSmall = "net small\ninput 3x32x32\nclasses 10\nnorm bn\nshortcut A\n"
                     "conv1 3x3, 16\nstage [3x3, 32; 3x3, 32] x2, /2\nhead avgpool, fc 10\n";

TEST(Syntax, CrlfTabsUtf8CommentsAndTrailingSpaceAreAccepted) {
  std::string messy = "net small   \r\n# réseau résiduel — ça marche\r\ninput\t3x32x32\r\n"
                      "classes 10 \t\r\nnorm bn\r\nshortcut A  # A: zéro\r\n"
                      "conv1\t3x3, 16\r\nstage\t[3x3, 32;\r\n\t3x3, 32] x2, /2   \r\n"
                      "head avgpool, fc 10\r\n\r\n";
  Network a = build(kSmall), b = build(messy);
  ASSERT_EQ(a.layers.size(), b.layers.size());
  EXPECT_EQ(a.totalParams(), b.totalParams());
  EXPECT_EQ(b.output().out, (Shape{10, 1, 1}));
}

TEST(Syntax, VggSpellingsMeanTheSame) {
  Network a = build("input 3x32x32\nconv3-64\nconv1-32\nmaxpool\nFC-100\nfc 10\n");
  Network b = build("input 3x32x32\n3x3, 64\nconv 1x1, 32\nmaxpool 2x2, /2\nfc 100\nFC-10\n");
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (size_t k = 0; k < a.layers.size(); ++k) {
    EXPECT_EQ(a.layers[k].op, b.layers[k].op);
    EXPECT_EQ(a.layers[k].out, b.layers[k].out);
    EXPECT_EQ(a.layers[k].params, b.layers[k].params);
  }
}

TEST(Semantics, SamePaddingAndPoolDefaults) {
  Network n = build("input 3x224x224\nconv1 7x7, 64, /2\nmaxpool 3x3, /2\nmaxpool\nconv 1x1, 8, /2\n");
  EXPECT_EQ(find(n, "conv1")->out, (Shape{64, 112, 112}));
  EXPECT_EQ(find(n, "conv1")->ph, 3);
  EXPECT_EQ(find(n, "pool1")->out, (Shape{64, 56, 56}));
  EXPECT_EQ(find(n, "pool1")->ph, 1);
  EXPECT_EQ(find(n, "pool2")->out, (Shape{64, 28, 28}));
  EXPECT_EQ(find(n, "pool2")->ph, 0);
  EXPECT_EQ(find(n, "conv1")->sh, 2);
  EXPECT_EQ(n.output().out, (Shape{8, 14, 14}));
}

TEST(Semantics, BiasFollowsNormUnlessOverridden) {
  Network vgg = build("input 3x8x8\nnorm none\nconv1 3x3, 4\n");
  EXPECT_TRUE(find(vgg, "conv1")->bias);
  EXPECT_EQ(count(vgg, Op::BatchNorm), 0);
  Network bn = build("input 3x8x8\nnorm bn\nconv1 3x3, 4\nconv2 3x3, 4 bias\n");
  EXPECT_FALSE(find(bn, "conv1")->bias);
  EXPECT_TRUE(find(bn, "conv2")->bias);
  EXPECT_EQ(find(bn, "conv1.bn")->params, 8);
  Network yes = build("input 3x8x8\nnorm bn\nbias yes\nconv1 3x3, 4\n");
  EXPECT_TRUE(find(yes, "conv1")->bias);
}

TEST(Semantics, ClassifierHasNoReluOtherFcsDo) {
  Network n = build("input 8x1x1\nfc 16\ndropout 0.5\nfc 4\nsoftmax\n");
  EXPECT_EQ(n.layers[2].op, Op::Relu);
  ASSERT_EQ(n.layers.size(), 6u); // input fc relu dropout fc softmax
  EXPECT_EQ(n.layers[4].op, Op::Fc);
  EXPECT_EQ(n.layers[5].op, Op::Softmax);
  EXPECT_EQ(n.layers[5].inputs[0], 4);
}

TEST(Semantics, ResidualBlockShape) {
  Network n = build(kSmall);
  // conv-bn-relu, conv-bn, (+ zero-padded shortcut), add, relu
  const Layer *add = find(n, "stage.1.add");
  ASSERT_TRUE(add);
  EXPECT_EQ(n.layers[add->inputs[0]].name, "stage.1.bn2");
  EXPECT_EQ(n.layers[add->inputs[1]].op, Op::ZeroPadShortcut);
  EXPECT_EQ(n.layers[add->inputs[1]].sh, 2);
  EXPECT_EQ(find(n, "stage.1.conv1")->sh, 2);
  EXPECT_EQ(find(n, "stage.1.relu")->inputs[0], add->id);
  const Layer *add2 = find(n, "stage.2.add");
  EXPECT_EQ(n.layers[add2->inputs[1]].name, "stage.1.relu"); // identity
  for (const Layer &l : n.layers)
    for (int i : l.inputs)
      EXPECT_LT(i, l.id);
}

TEST(Semantics, ShortcutOptions) {
  auto with = [](const char *opt) {
    return build(std::string(kSmall), nullptr, {{"shortcut", opt}});
  };
  Network a = with("A"), b = with("B"), c = with("C"), none = with("none");
  EXPECT_EQ(count(a, Op::Add), 2);
  EXPECT_EQ(count(none, Op::Add), 0);
  EXPECT_EQ(a.totalParams(), none.totalParams());
  // B: one projection (16 -> 32, 1x1 + BN); C: projections on both blocks.
  EXPECT_EQ(b.totalParams(), a.totalParams() + 16 * 32 + 64);
  EXPECT_EQ(c.totalParams(), b.totalParams() + 32 * 32 + 64);
  EXPECT_EQ(find(b, "stage.1.proj")->sh, 2);
}

TEST(Semantics, StrideInFirstOrThe3x3) {
  const char *src = "input 64x56x56\nnorm bn\nshortcut B\nstage [1x1, 64; 3x3, 64; 1x1, 256] x2, /2\n";
  Network first = build(src);
  EXPECT_EQ(find(first, "stage.1.conv1")->sh, 2);
  EXPECT_EQ(find(first, "stage.1.conv2")->sh, 1);
  Network torch = build(src, nullptr, {{"stride_in", "3x3"}});
  EXPECT_EQ(find(torch, "stage.1.conv1")->sh, 1);
  EXPECT_EQ(find(torch, "stage.1.conv2")->sh, 2);
  EXPECT_EQ(find(torch, "stage.2.conv2")->sh, 1);
  EXPECT_EQ(torch.output().out, (Shape{256, 28, 28}));
}

TEST(Semantics, ParametersExpressionsAndOverrides) {
  const char *src = "param w = 8\nparam m = 2*w\ninput 3x16x16\nconv1 3x3, m\nfc w+2\n";
  EXPECT_EQ(build(src).output().out.c, 10);
  Network n = build(src, nullptr, {{"w", "4"}});
  EXPECT_EQ(n.layers[1].out.c, 8); // m follows the override of w
  EXPECT_EQ(n.output().out.c, 6);
  EXPECT_EQ(build(src, nullptr, {{"input", "1x28x28"}}).input, (Shape{1, 28, 28}));
}

TEST(Semantics, BlockWithExplicitStride) {
  Network n = build("input 16x8x8\nblock down(c)\n  3x3, c\n  3x3, c, /stride\nend\n"
                    "stage down(32), /2\n");
  EXPECT_EQ(find(n, "stage.conv1")->sh, 1);
  EXPECT_EQ(find(n, "stage.conv2")->sh, 2);
  EXPECT_EQ(n.output().out, (Shape{32, 4, 4}));
}

TEST(Semantics, LabelsWithColonsAndKeywordsAsLabels) {
  Network n = build("input 3x8x8\nfc: fc 10\n");
  EXPECT_EQ(n.output().name, "fc");
}

TEST(Semantics, LrnKeepsItsSettings) {
  Network n = build("input 3x8x8\nlrn(size=3, alpha=0.001, beta=0.5, k=1)\n");
  EXPECT_EQ(n.layers[1].lrnSize, 3);
  EXPECT_DOUBLE_EQ(n.layers[1].lrnAlpha, 0.001);
  EXPECT_DOUBLE_EQ(n.layers[1].lrnK, 1);
}

} // namespace
} // namespace netc::dsl::test
