// Every network in examples/ against the numbers the papers and torchvision
// publish (../shared/PAPERS.md): parameters exactly, MACs within 2.5%.
#include "Helpers.h"

#include <cmath>

namespace netc::dsl::test {
namespace {

Network load(const std::string &rel, const std::vector<Override> &ov = {}) {
  return loadNetwork(examplePath(rel), ov).network;
}

struct Expected {
  const char *file;
  int64_t params; // torchvision's count
  double gmacs;   // the paper's multiply-adds, 0 = not published
};
void PrintTo(const Expected &e, std::ostream *os) { *os << e.file; }

class Zoo : public ::testing::TestWithParam<Expected> {};

TEST_P(Zoo, ParamsExactAndMacsWithinTwoAndAHalfPercent) {
  const Expected &e = GetParam();
  Network n = load(e.file);
  EXPECT_EQ(n.totalParams(), e.params);
  if (e.gmacs > 0) {
    EXPECT_NEAR(static_cast<double>(n.totalMacs()) / 1e9, e.gmacs, 0.025 * e.gmacs);
  }
  EXPECT_EQ(n.classes, 1000);
  EXPECT_EQ(n.output().out, (Shape{1000, 1, 1}));
}

INSTANTIATE_TEST_SUITE_P(
    Papers, Zoo,
    ::testing::Values(Expected{"resnet/resnet18.net", 11689512, 1.8},
                      Expected{"resnet/resnet34.net", 21797672, 3.6},
                      Expected{"resnet/resnet50.net", 25557032, 3.8},
                      Expected{"resnet/resnet101.net", 44549160, 7.6},
                      Expected{"resnet/resnet152.net", 60192808, 11.3},
                      Expected{"vgg/a.net", 132863336, 0},
                      Expected{"vgg/a-lrn.net", 132863336, 0},
                      Expected{"vgg/b.net", 133047848, 0},
                      Expected{"vgg/d.net", 138357544, 0},
                      Expected{"vgg/e.net", 143667240, 19.6}),
    [](const auto &info) {
      std::string s = info.param.file;
      for (char &c : s)
        if (!isalnum(static_cast<unsigned char>(c)))
          c = '_';
      return s;
    });

TEST(Zoo, VggCIsThePapers134M) {
  // torchvision has no configuration C; the paper's Table 2 says 134M.
  EXPECT_NEAR(static_cast<double>(load("vgg/c.net").totalParams()) / 1e6, 134, 0.5);
}

TEST(Zoo, PlainNetsHaveNoProjections) {
  // Plain-18/34 are ResNet-18/34 without shortcuts: they lack exactly the
  // three projection shortcuts (conv 1x1 + BN) of option B.
  int64_t proj18 = (64 * 128 + 2 * 128) + (128 * 256 + 2 * 256) + (256 * 512 + 2 * 512);
  EXPECT_EQ(load("resnet/plain18.net").totalParams(), 11689512 - proj18);
  EXPECT_EQ(load("resnet/plain34.net").totalParams(), 21797672 - proj18);
  EXPECT_NEAR(load("resnet/plain34.net").totalMacs() / 1e9, 3.6, 0.025 * 3.6);
}

TEST(Zoo, TorchvisionStridePlacementCostsMore) {
  // torchvision v1.5 strides in the 3x3; same parameters, 4.09 GMACs.
  Network n = load("resnet/resnet50.net", {{"stride_in", "3x3"}});
  EXPECT_EQ(n.totalParams(), 25557032);
  EXPECT_EQ(n.totalMacs(), 4089184256);
}

// ResNet paper section 4.2, Table 6: params of the 6n+2 CIFAR family.
class Cifar : public ::testing::TestWithParam<std::pair<int, double>> {};

TEST_P(Cifar, PublishedSizeAndPlainTwinMatches) {
  auto [n, millions] = GetParam();
  std::vector<Override> ov = {{"n", std::to_string(n)}};
  Network res = load("cifar/resnet.net", ov);
  Network plain = load("cifar/plain.net", ov);
  double m = static_cast<double>(res.totalParams()) / 1e6;
  double digits = millions < 1 ? 0.005 : 0.05; // the paper's precision
  EXPECT_NEAR(m, millions, digits);
  EXPECT_EQ(plain.totalParams(), res.totalParams()); // option A adds no parameters
  int convs = 0;
  for (const Layer &l : res.layers)
    convs += l.op == Op::Conv || l.op == Op::Fc;
  EXPECT_EQ(convs, 6 * n + 2);
  EXPECT_EQ(res.output().out, (Shape{10, 1, 1}));
  // The same file with -D shortcut=none is the plain twin.
  ov.push_back({"shortcut", "none"});
  EXPECT_EQ(load("cifar/resnet.net", ov).layers.size(), plain.layers.size());
}

INSTANTIATE_TEST_SUITE_P(Table6, Cifar,
                         ::testing::Values(std::pair{3, 0.27}, std::pair{5, 0.46},
                                           std::pair{7, 0.66}, std::pair{9, 0.85},
                                           std::pair{18, 1.7}, std::pair{200, 19.4}));

TEST(Zoo, CifarResNet20Structure) {
  Network n = load("cifar/resnet.net");
  int adds = 0, pads = 0;
  for (const Layer &l : n.layers) {
    adds += l.op == Op::Add;
    pads += l.op == Op::ZeroPadShortcut;
  }
  EXPECT_EQ(adds, 9); // 3n shortcuts
  EXPECT_EQ(pads, 2); // option A where the width doubles
}

TEST(Zoo, FashionResNet20IsCifarResNet20OnOneChannel) {
  // examples/fashion/resnet20.net: the same network on 1x28x28 images; only
  // conv1 shrinks (3 input channels to 1: 2 * 9 * 16 fewer weights).
  Network f = load("fashion/resnet20.net");
  Network c = load("cifar/resnet.net");
  EXPECT_EQ(f.totalParams(), c.totalParams() - 2 * 9 * 16);
  EXPECT_EQ(f.totalParams(), 269434);
  EXPECT_EQ(f.input, (Shape{1, 28, 28}));
  EXPECT_EQ(f.output().out, (Shape{10, 1, 1}));
  ASSERT_EQ(f.layers.size(), c.layers.size());
  int adds = 0;
  for (const Layer &l : f.layers)
    adds += l.op == Op::Add;
  EXPECT_EQ(adds, 9);
  for (const Layer &l : f.layers) {
    if (l.name.rfind("stage3", 0) == 0 && l.op == Op::Conv) {
      EXPECT_EQ(l.out, (Shape{64, 7, 7})) << l.name;
    }
  }
}

TEST(Zoo, UserBlocksNeedNoCompilerCode) {
  // ResNet-50 written with a user-defined bottleneck block.
  Network n = build(R"(
net resnet50-blocks
input 3x224x224
classes 1000
norm bn
shortcut B
block bottleneck(w) residual
  1x1, w
  3x3, w
  1x1, 4*w
end
conv1    7x7, 64, /2
         maxpool 3x3, /2
conv2_x  bottleneck(64) x3
conv3_x  bottleneck(128) x4, /2
conv4_x  bottleneck(256) x6, /2
conv5_x  bottleneck(512) x3, /2
head     avgpool, fc 1000, softmax
)");
  Network ref = load("resnet/resnet50.net");
  EXPECT_EQ(n.totalParams(), ref.totalParams());
  EXPECT_EQ(n.totalMacs(), ref.totalMacs());
  ASSERT_EQ(n.layers.size(), ref.layers.size());
  for (size_t k = 0; k < n.layers.size(); ++k)
    EXPECT_EQ(n.layers[k].out, ref.layers[k].out) << ref.layers[k].name;
}

} // namespace
} // namespace netc::dsl::test
