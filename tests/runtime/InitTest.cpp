// Initialisers: deterministic for a seed, with the papers' statistics.
#include "dsl/Elaborate.h"
#include "dsl/Parser.h"
#include "runtime/Init.h"

#include <gtest/gtest.h>

#include <cmath>

namespace netc::runtime {
namespace {

dsl::Network smallNet() {
  dsl::SourceFile f("t.net", "input 16x8x8\nnorm bn\nconv1 3x3, 64\nhead avgpool, fc 10\n");
  return dsl::elaborate(dsl::parse(f));
}

double stddev(const std::vector<float> &v) {
  double s = 0, s2 = 0;
  for (float x : v) {
    s += x;
    s2 += double(x) * x;
  }
  double m = s / v.size();
  return std::sqrt(s2 / v.size() - m * m);
}

TEST(Init, SameSeedSameTensorsOtherSeedDifferent) {
  auto specs = dsl::parameterSpecs(smallNet());
  auto a = initialize(specs, InitScheme::He, 1), b = initialize(specs, InitScheme::He, 1);
  auto c = initialize(specs, InitScheme::He, 2);
  ASSERT_EQ(a.size(), 7u); // conv w; bn w, b, mean, var; fc w, b
  EXPECT_EQ(a[0].data, b[0].data);
  EXPECT_NE(a[0].data, c[0].data);
  EXPECT_EQ(a[0].name, "conv1.weight");
  EXPECT_EQ(a[0].shape, (std::vector<int64_t>{64, 16, 3, 3}));
  EXPECT_EQ(a[1].name, "conv1.bn.weight");
  EXPECT_EQ(a[1].data[0], 1.f);
  EXPECT_EQ(a[3].name, "conv1.bn.running_mean");
  EXPECT_EQ(a[4].data[0], 1.f); // running_var
}

TEST(Init, ThePapersStatistics) {
  auto specs = dsl::parameterSpecs(smallNet());
  // He: std sqrt(2 / fan_in), fan_in = 16*3*3.
  EXPECT_NEAR(stddev(initialize(specs, InitScheme::He, 3)[0].data), std::sqrt(2.0 / 144), 0.005);
  // VGG's N(0, 0.01).
  EXPECT_NEAR(stddev(initialize(specs, InitScheme::Normal, 3)[0].data), 0.01, 0.0005);
  // Glorot uniform: std a/sqrt(3), a = sqrt(6 / (fan_in + fan_out)).
  double a = std::sqrt(6.0 / (144 + 64 * 9));
  auto g = initialize(specs, InitScheme::Glorot, 3)[0].data;
  EXPECT_NEAR(stddev(g), a / std::sqrt(3.0), 0.003);
  for (float x : g)
    EXPECT_LE(std::fabs(x), a);
}

} // namespace
} // namespace netc::runtime
