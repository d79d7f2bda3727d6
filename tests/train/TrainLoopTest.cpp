// Whole training runs on a Fashion-MNIST subset (skipped when Debian's
// dataset-fashion-mnist is absent): the same seed gives bit-identical
// weights, a run interrupted and resumed gives bit-identical weights to an
// uninterrupted one, and a diverging run stops naming the layer.
#include "dsl/Elaborate.h"
#include "runtime/WeightsFile.h"
#include "runtime/train/DataSource.h"
#include "runtime/train/TrainLoop.h"

#include <gtest/gtest.h>

#include <filesystem>

#include <unistd.h>

namespace netc::test {
namespace {

namespace rt = netc::runtime::train;

bool haveFashionMnist() { return std::filesystem::exists(rt::kFashionMnistDir); }

std::string tempDir(const std::string &name) {
  std::string d = (std::filesystem::temp_directory_path() /
                   ("netc-trainloop-" + std::to_string(::getpid()) + "-" + name))
                      .string();
  std::filesystem::remove_all(d);
  return d;
}

// ResNet-8 (n = 1) with BN, option-A shortcuts and the recipe's
// augmentation (pad-2 crops, flips): 12 steps of 32 images.
rt::TrainConfig smallRun(const std::string &out) {
  dsl::LoadedNetwork n = dsl::loadNetwork(std::string(NETC_SOURCE_DIR) +
                                              "/examples/fashion/resnet20.net",
                                          {dsl::parseOverride("n=1")});
  rt::TrainConfig c;
  c.net = n.network;
  c.canonical = n.canonical;
  c.recipe = n.network.train;
  dsl::applyTrainOverride(c.recipe, "batch=32");
  dsl::applyTrainOverride(c.recipe, "iterations=12");
  dsl::applyTrainOverride(c.recipe, "seed=5");
  c.trainLimit = 320; // 10 steps per epoch: the run crosses an epoch
  c.testLimit = 64;
  c.evalBatch = 32;
  c.outDir = out;
  c.progress = false;
  return c;
}

std::vector<runtime::NamedTensor> weightsOf(const std::string &dir) {
  return runtime::loadWeights(dir + "/checkpoint.nw").tensors;
}

void expectIdentical(const std::vector<runtime::NamedTensor> &a,
                     const std::vector<runtime::NamedTensor> &b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_TRUE(a[i].data == b[i].data) << a[i].name << " differs";
  }
}

TEST(TrainLoop, SameSeedGivesBitIdenticalWeights) {
  if (!haveFashionMnist())
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  std::string a = tempDir("a"), b = tempDir("b");
  rt::TrainResult ra = rt::runTraining(smallRun(a));
  rt::TrainResult rb = rt::runTraining(smallRun(b));
  EXPECT_EQ(ra.steps, 12);
  EXPECT_EQ(ra.finalLoss, rb.finalLoss);
  expectIdentical(weightsOf(a), weightsOf(b));
  EXPECT_GT(ra.evalImages, 0);
  std::filesystem::remove_all(a);
  std::filesystem::remove_all(b);
}

TEST(TrainLoop, ResumeGivesBitIdenticalWeights) {
  if (!haveFashionMnist())
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  std::string whole = tempDir("whole"), parts = tempDir("parts");
  rt::runTraining(smallRun(whole));
  rt::TrainConfig first = smallRun(parts);
  first.stopAfter = 7; // mid-epoch: the loader position matters
  EXPECT_EQ(rt::runTraining(first).steps, 7);
  rt::TrainConfig second = smallRun(parts);
  second.resume = true;
  EXPECT_EQ(rt::runTraining(second).steps, 12);
  expectIdentical(weightsOf(whole), weightsOf(parts));
  auto wa = runtime::loadWeights(whole + "/checkpoint.nw"), wb = runtime::loadWeights(parts + "/checkpoint.nw");
  ASSERT_TRUE(wa.training && wb.training);
  expectIdentical(wa.training->momentum, wb.training->momentum);
  std::filesystem::remove_all(whole);
  std::filesystem::remove_all(parts);
}

TEST(TrainLoop, DivergenceNamesTheFirstNonFiniteLayer) {
  if (!haveFashionMnist())
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  std::string d = tempDir("nan");
  rt::TrainConfig c = smallRun(d);
  dsl::applyTrainOverride(c.recipe, "lr=1e30");
  try {
    rt::runTraining(c);
    FAIL() << "a learning rate of 1e30 must diverge";
  } catch (const std::runtime_error &e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("the loss became"), std::string::npos) << msg;
    EXPECT_NE(msg.find("the first non-finite value is in"), std::string::npos) << msg;
    EXPECT_NE(msg.find("hint: lower the learning rate"), std::string::npos) << msg;
  }
  std::filesystem::remove_all(d);
}

TEST(TrainLoop, ResumeWithoutACheckpointIsAClearError) {
  std::string d = tempDir("none");
  rt::TrainConfig c = smallRun(d);
  c.resume = true;
  try {
    rt::runTraining(c);
    FAIL() << "resume without a checkpoint must fail";
  } catch (const std::exception &e) {
    EXPECT_NE(std::string(e.what()).find("checkpoint.nw"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(d);
}

} // namespace
} // namespace netc::test
