// SgdOptimizer against torch.optim.SGD (fixture sgd_reference.py) and its
// registration / state-import contracts.
#include "runtime/Npy.h"
#include "runtime/train/Sgd.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace netc::runtime::train {
namespace {

const double kLrs[4] = {0.1, 0.1, 0.01, 0.001}; // sgd_reference.py's LRS
constexpr int kParams = 3;

std::string refPath(const std::string &name) {
  return (std::filesystem::path(NETC_TRAIN_REF_DIR) / (name + ".npy")).string();
}

// max |got - want| / max |want|, as tests/backward's relError.
double relError(const std::vector<float> &got, const std::vector<float> &want) {
  if (got.size() != want.size())
    return INFINITY;
  double err = 0, scale = 1e-30;
  for (size_t i = 0; i < got.size(); ++i) {
    err = std::max(err, std::abs(static_cast<double>(got[i]) - want[i]));
    scale = std::max(scale, std::abs(static_cast<double>(want[i])));
  }
  return err / scale;
}

// The trainer's layout: parameter and gradient arrays owned elsewhere.
struct Arrays {
  std::vector<std::vector<float>> p, g;
  std::vector<std::vector<int64_t>> shapes;
  Arrays() {
    for (int i = 0; i < kParams; ++i) {
      NamedTensor t = readNpy(refPath("p" + std::to_string(i) + "_init"));
      p.push_back(t.data);
      g.emplace_back(t.data.size());
      shapes.push_back(t.shape);
    }
  }
  void registerWith(SgdOptimizer &opt) {
    for (int i = 0; i < kParams; ++i)
      opt.addParameter("w" + std::to_string(i), p[i].data(), g[i].data(),
                       static_cast<int64_t>(p[i].size()), shapes[i]);
  }
  void loadGrads(int step) {
    // Copy into the registered arrays: assigning a new vector would move
    // its storage in and leave the optimizer pointing at freed memory.
    for (int i = 0; i < kParams; ++i) {
      std::vector<float> v = readNpy(refPath("g" + std::to_string(i) + "_" + std::to_string(step))).data;
      ASSERT_EQ(v.size(), g[i].size());
      std::copy(v.begin(), v.end(), g[i].begin());
    }
  }
};

void expectMatches(const Arrays &a, const SgdOptimizer &opt, int step) {
  std::vector<NamedTensor> bufs = opt.exportMomentum();
  ASSERT_EQ(bufs.size(), static_cast<size_t>(kParams));
  for (int i = 0; i < kParams; ++i) {
    std::string s = std::to_string(i) + "_" + std::to_string(step);
    EXPECT_LT(relError(a.p[i], readNpy(refPath("p" + s)).data), 1e-6) << "param " << s;
    EXPECT_LT(relError(bufs[i].data, readNpy(refPath("buf" + s)).data), 1e-6) << "buffer " << s;
    EXPECT_EQ(bufs[i].shape, a.shapes[i]);
  }
}

TEST(SgdVsTorch, FourStepsWithChangingLr) {
  Arrays a;
  SgdOptimizer opt;
  a.registerWith(opt);
  for (int s = 0; s < 4; ++s) {
    a.loadGrads(s); // same addresses: the registered buffers see the new values
    opt.step(kLrs[s], 0.9, 1e-4);
    expectMatches(a, opt, s);
  }
  EXPECT_EQ(opt.stepCount(), 4);
}

TEST(SgdVsTorch, ResumesFromExportedStateExactly) {
  Arrays a;
  auto first = std::make_unique<SgdOptimizer>();
  a.registerWith(*first);
  for (int s = 0; s < 2; ++s) {
    a.loadGrads(s);
    first->step(kLrs[s], 0.9, 1e-4);
  }
  std::vector<NamedTensor> saved = first->exportMomentum();
  first.reset();
  SgdOptimizer second;
  a.registerWith(second);
  second.importState(saved, 2);
  for (int s = 2; s < 4; ++s) {
    a.loadGrads(s);
    second.step(kLrs[s], 0.9, 1e-4);
  }
  expectMatches(a, second, 3);
}

TEST(Sgd, WithoutMomentumIsPlainGradientDescent) {
  std::vector<float> p = {1, 2, 3}, g = {0.5f, -1, 0};
  SgdOptimizer opt;
  opt.addParameter("w", p.data(), g.data(), 3);
  opt.step(0.1, 0, 0);
  opt.step(0.1, 0, 0);
  EXPECT_NEAR(p[0], 0.9, 1e-6);
  EXPECT_NEAR(p[1], 2.2, 1e-6);
  EXPECT_NEAR(p[2], 3.0, 1e-6);
}

TEST(Sgd, RejectsBadRegistrations) {
  std::vector<float> p(4), g(4);
  SgdOptimizer opt;
  opt.addParameter("w", p.data(), g.data(), 4, {2, 2});
  EXPECT_THROW(opt.addParameter("w", p.data(), g.data(), 4), std::invalid_argument);
  EXPECT_THROW(opt.addParameter("x", p.data(), g.data(), 4, {3}), std::invalid_argument);
  EXPECT_THROW(opt.addParameter("y", nullptr, g.data(), 4), std::invalid_argument);
  EXPECT_TRUE(opt.exportMomentum().empty()) << "no buffers before the first step";
  opt.step(0.1, 0.9, 0);
  EXPECT_THROW(opt.addParameter("z", p.data(), g.data(), 4), std::invalid_argument);
}

TEST(Sgd, ImportChecksNamesAndSizes) {
  std::vector<float> p(4), g(4);
  SgdOptimizer opt;
  opt.addParameter("w", p.data(), g.data(), 4);
  EXPECT_THROW(opt.importState({{"v", {4}, std::vector<float>(4)}}, 3), std::invalid_argument);
  EXPECT_THROW(opt.importState({{"w", {3}, std::vector<float>(3)}}, 3), std::invalid_argument);
  EXPECT_THROW(opt.importState({}, 3), std::invalid_argument);
  EXPECT_THROW(opt.importState({{"w", {4}, std::vector<float>(4)}}, 0), std::invalid_argument);
  opt.importState({{"w", {4}, {1, 2, 3, 4}}}, 3);
  EXPECT_EQ(opt.stepCount(), 3);
  EXPECT_EQ(opt.exportMomentum().at(0).data, (std::vector<float>{1, 2, 3, 4}));
}

} // namespace
} // namespace netc::runtime::train
