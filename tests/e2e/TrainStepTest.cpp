// Training steps against PyTorch: tools/torch_train_reference.py runs two
// SGD steps (lr 0.1, momentum 0.9, weight decay 5e-4, train-mode BN) of a
// CIFAR ResNet-20 (option A), its 1x28x28 variant and a small VGG (max
// pooling, dropout with saved masks) from seeded weights it exports to
// ONNX; netc imports them, runs the same steps through the "train" stage,
// the Trainer and SgdOptimizer, and must match each loss (1e-5) and every
// parameter and running statistic afterwards (1e-4 relative).
//
// The convs run direct here (NETC_WINOGRAD=0): this comparison is far more
// sensitive than the kernels' accuracy. Measured on the ResNet-20 case
// (batch 8): uniform noise of +-5e-6 added to every forward conv output (1e-6
// of their largest values) changes parameter updates by up to 9%, +-5e-7
// changes nothing; the Winograd F(4x4) forward convs differ from direct by
// 2e-6 of the largest output and move the updates by 4.5%. The Winograd
// kernels are checked against direct convolution instead
// (tests/kernels/WinogradTest, tests/tuning/ConvBwdTunerTest).
#include "Compare.h"

#include "compiler/Compile.h"
#include "dsl/Elaborate.h"
#include "runtime/Npy.h"
#include "runtime/OnnxImport.h"
#include "runtime/Trainer.h"
#include "runtime/train/Sgd.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>

namespace netc::test {
namespace {

std::string trainDir() {
  const char *d = std::getenv("NETC_TRAIN_REF_DIR");
  return d ? d : NETC_TRAIN_REF_DIR;
}

struct StepCase {
  const char *model, *netFile;
  std::vector<dsl::Override> defs;
};
void PrintTo(const StepCase &c, std::ostream *os) { *os << c.model; }

std::vector<int32_t> labelsOf(const runtime::NamedTensor &t) {
  // readNpy gives floats; the labels file is int32 and converted exactly.
  return std::vector<int32_t>(t.data.begin(), t.data.end());
}

class TrainStepVsTorch : public ::testing::TestWithParam<StepCase> {};

TEST_P(TrainStepVsTorch, LossAndWeightsMatchAfterTwoSteps) {
  const StepCase &c = GetParam();
  setenv("NETC_WINOGRAD", "0", 1);
  std::string dir = trainDir() + "/" + c.model;
  dsl::Network net =
      dsl::loadNetwork(std::string(NETC_SOURCE_DIR) + "/" + c.netFile, c.defs).network;
  auto specs = dsl::parameterSpecs(net);
  auto params = runtime::bindOnnxInitializers(specs, runtime::loadOnnxModel(dir + "/initial.onnx"));
  auto want = runtime::bindOnnxInitializers(specs, runtime::loadOnnxModel(dir + "/after.onnx"));

  mlir::MLIRContext ctx;
  auto module = compiler::compileNetwork(ctx, net, "train");
  runtime::NamedTensor x0 = runtime::readNpy(dir + "/input_0.npy");
  runtime::TrainerOptions opts;
  opts.batch = static_cast<int>(x0.shape[0]);
  runtime::Trainer trainer(*module, params, opts);
  trainer.setMaskSource([&](const std::string &, uint64_t step, float *mask, int64_t n) {
    runtime::NamedTensor m = runtime::readNpy(dir + "/mask_dropout1_" + std::to_string(step) + ".npy");
    ASSERT_EQ(static_cast<int64_t>(m.data.size()), n);
    std::copy(m.data.begin(), m.data.end(), mask);
  });
  runtime::train::SgdOptimizer sgd;
  for (const auto &g : trainer.gradients())
    sgd.addParameter(g.name, g.param, g.grad, g.count);

  // As many steps as the reference recorded (its --steps).
  for (int k = 0; std::ifstream(dir + "/input_" + std::to_string(k) + ".npy").good(); ++k) {
    runtime::NamedTensor x = runtime::readNpy(dir + "/input_" + std::to_string(k) + ".npy");
    std::vector<int32_t> y = labelsOf(runtime::readNpy(dir + "/labels_" + std::to_string(k) + ".npy"));
    double loss = trainer.step(x.data.data(), y.data(), static_cast<uint64_t>(k));
    double ref = runtime::readNpy(dir + "/loss_" + std::to_string(k) + ".npy").data.at(0);
    EXPECT_LE(std::fabs(loss - ref), 1e-5 * std::fabs(ref)) << "step " << k;
    sgd.step(0.1, 0.9, 5e-4);
  }
  std::map<std::string, const runtime::NamedTensor *> byName;
  for (const auto &t : want)
    byName[t.name] = &t;
  std::map<std::string, const runtime::NamedTensor *> initial;
  for (const auto &t : params)
    initial[t.name] = &t;
  for (const runtime::NamedTensor &got : trainer.parameters()) {
    if (std::getenv("NETC_TRAIN_DEBUG")) {
      std::vector<float> du, dw;
      for (size_t i = 0; i < got.data.size(); ++i) {
        du.push_back(got.data[i] - initial[got.name]->data[i]);
        dw.push_back(byName[got.name]->data[i] - initial[got.name]->data[i]);
      }
      std::printf("%-32s update rel err %.3g\n", got.name.c_str(), relativeError(du, dw));
    }
    ASSERT_TRUE(byName.count(got.name)) << got.name;
    EXPECT_LE(relativeError(got.data, byName[got.name]->data), 1e-4) << got.name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Torch, TrainStepVsTorch,
    ::testing::Values(StepCase{"resnet20", "examples/cifar/resnet.net", {}},
                      StepCase{"resnet20-fashion", "examples/cifar/resnet.net", {{"input", "1x28x28"}}},
                      StepCase{"small-vgg", "tests/train/small-vgg.net", {}}),
    [](const auto &info) {
      std::string s = info.param.model;
      for (char &ch : s)
        if (ch == '-')
          ch = '_';
      return s;
    });

} // namespace
} // namespace netc::test
