// The plain reference executor against PyTorch on whole torchvision
// networks: ONNX weights bound to the matching .net file, same input,
// logits within 1e-4 relative.
#include "Compare.h"

#include "dsl/Elaborate.h"
#include "runtime/Npy.h"
#include "runtime/OnnxImport.h"
#include "runtime/Reference.h"

#include <gtest/gtest.h>

namespace netc::test {
namespace {

struct Case {
  const char *model;   // file stem written by tools/export_torchvision.py
  const char *netFile; // under examples/
  std::vector<dsl::Override> defs;
};
void PrintTo(const Case &c, std::ostream *os) { *os << c.model; }

class ReferenceVsTorch : public ::testing::TestWithParam<Case> {};

TEST_P(ReferenceVsTorch, LogitsMatch) {
  const Case &c = GetParam();
  std::string base = (getenv("NETC_E2E_DIR") ? std::string(getenv("NETC_E2E_DIR")) : std::string(NETC_E2E_DIR)) + "/" + c.model;
  dsl::Network net =
      dsl::loadNetwork(std::string(NETC_SOURCE_DIR) + "/examples/" + c.netFile, c.defs).network;
  auto params = runtime::bindOnnxInitializers(dsl::parameterSpecs(net),
                                              runtime::loadOnnxModel(base + ".onnx"));
  runtime::NamedTensor input = runtime::readNpy(base + ".input.npy");
  runtime::NamedTensor want = runtime::readNpy(base + ".logits.npy");
  // The .net files end in softmax; PyTorch's models end in the logits.
  dsl::Network logits = net;
  if (logits.layers.back().op == dsl::Op::Softmax)
    logits.layers.pop_back();
  runtime::NamedTensor got = runtime::referenceForward(logits, params, input);
  EXPECT_EQ(got.shape, want.shape);
  EXPECT_LE(relativeError(got.data, want.data), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(
    Torchvision, ReferenceVsTorch,
    ::testing::Values(Case{"resnet20", "cifar/resnet.net", {}},
                      Case{"resnet18", "resnet/resnet18.net", {}},
                      // torchvision v1.5 strides in the bottleneck's 3x3
                      Case{"resnet50", "resnet/resnet50.net", {{"stride_in", "3x3"}}},
                      Case{"vgg11", "vgg/a.net", {}}),
    [](const auto &info) { return std::string(info.param.model); });

} // namespace
} // namespace netc::test
