// The compiled CPU path (fused module -> Halide kernels -> one arena) against
// PyTorch on whole torchvision networks, against the plain reference on the
// rest of the zoo's op mix, and fused against unfused lowering.
#include "Compare.h"

#include "compiler/Compile.h"
#include "dsl/Elaborate.h"
#include "runtime/Executor.h"
#include "runtime/Init.h"
#include "runtime/Npy.h"
#include "runtime/OnnxImport.h"
#include "runtime/Reference.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace netc::test {
namespace {

std::string e2eDir() {
  const char *d = std::getenv("NETC_E2E_DIR");
  return d ? d : NETC_E2E_DIR;
}

dsl::Network loadNet(const std::string &path, const std::vector<dsl::Override> &defs = {},
                     bool logits = true) {
  dsl::Network n = dsl::loadNetwork(path, defs).network;
  if (logits && n.layers.back().op == dsl::Op::Softmax)
    n.layers.pop_back(); // compare logits, not probabilities
  return n;
}

std::vector<float> runCompiled(const dsl::Network &net, const std::vector<runtime::NamedTensor> &params,
                               const runtime::NamedTensor &input, const std::string &stage) {
  mlir::MLIRContext ctx;
  auto m = compiler::compileNetwork(ctx, net, stage);
  runtime::ExecOptions opts;
  opts.batch = static_cast<int>(input.shape[0]);
  runtime::Executor ex(*m, params, opts);
  int64_t n = 1;
  for (int64_t d : ex.outputShape())
    n *= d;
  std::vector<float> out(static_cast<size_t>(n));
  ex.forward(input.data.data(), out.data());
  return out;
}

runtime::NamedTensor randomInput(const dsl::Network &net, int batch, uint64_t seed) {
  runtime::NamedTensor t{"x", {batch, net.input.c, net.input.h, net.input.w}, {}};
  runtime::Rng rng(seed);
  t.data.resize(static_cast<size_t>(batch * net.input.elements()));
  for (float &v : t.data)
    v = static_cast<float>(rng.normal());
  return t;
}

// BN statistics away from (0, 1) so folding and scale/shift are exercised.
void perturbBn(std::vector<runtime::NamedTensor> &params, uint64_t seed) {
  runtime::Rng rng(seed);
  for (runtime::NamedTensor &t : params) {
    bool mean = t.name.find("running_mean") != std::string::npos;
    bool var = t.name.find("running_var") != std::string::npos;
    bool bias = t.name.size() > 5 && t.name.compare(t.name.size() - 5, 5, ".bias") == 0;
    for (float &v : t.data) {
      if (mean || bias)
        v = static_cast<float>(0.1 * rng.normal());
      else if (var)
        v = static_cast<float>(0.5 + rng.uniform());
    }
  }
}

// ---- against PyTorch --------------------------------------------------------

struct TorchCase {
  const char *model, *netFile;
  std::vector<dsl::Override> defs;
};
void PrintTo(const TorchCase &c, std::ostream *os) { *os << c.model; }

class CompiledVsTorch : public ::testing::TestWithParam<TorchCase> {};

TEST_P(CompiledVsTorch, LogitsWithin1e4) {
  const TorchCase &c = GetParam();
  std::string base = e2eDir() + "/" + c.model;
  dsl::Network net = loadNet(std::string(NETC_SOURCE_DIR) + "/examples/" + c.netFile, c.defs);
  auto params = runtime::bindOnnxInitializers(dsl::parameterSpecs(net),
                                              runtime::loadOnnxModel(base + ".onnx"));
  runtime::NamedTensor input = runtime::readNpy(base + ".input.npy");
  runtime::NamedTensor want = runtime::readNpy(base + ".logits.npy");
  EXPECT_LE(relativeError(runCompiled(net, params, input, "fused"), want.data), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(
    Torchvision, CompiledVsTorch,
    ::testing::Values(TorchCase{"resnet20", "cifar/resnet.net", {}},
                      TorchCase{"resnet18", "resnet/resnet18.net", {}},
                      TorchCase{"resnet50", "resnet/resnet50.net", {{"stride_in", "3x3"}}},
                      TorchCase{"vgg11", "vgg/a.net", {}}),
    [](const auto &info) { return std::string(info.param.model); });

// ---- against the reference, and fused against unfused ----------------------

struct NetCase {
  const char *file; // relative to the source tree
  std::vector<dsl::Override> defs;
  const char *label;
};
void PrintTo(const NetCase &c, std::ostream *os) { *os << c.label; }

class CompiledVsReference : public ::testing::TestWithParam<NetCase> {};

TEST_P(CompiledVsReference, FusedMatchesReferenceAndUnfused) {
  const NetCase &c = GetParam();
  dsl::Network net = loadNet(std::string(NETC_SOURCE_DIR) + "/" + c.file, c.defs, false);
  auto params = runtime::initialize(dsl::parameterSpecs(net), runtime::InitScheme::He, 11);
  perturbBn(params, 12);
  runtime::NamedTensor input = randomInput(net, 2, 13);
  std::vector<float> ref = runtime::referenceForward(net, params, input).data;
  std::vector<float> fused = runCompiled(net, params, input, "fused");
  std::vector<float> unfused = runCompiled(net, params, input, "mlir");
  EXPECT_LE(relativeError(fused, ref), 1e-4);
  EXPECT_LE(relativeError(fused, unfused), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(
    Zoo, CompiledVsReference,
    ::testing::Values(NetCase{"examples/cifar/resnet.net", {}, "resnet20_A"},
                      NetCase{"examples/cifar/resnet.net", {{"shortcut", "B"}}, "resnet20_B"},
                      NetCase{"examples/cifar/resnet.net", {{"shortcut", "C"}, {"input", "1x28x28"}},
                              "resnet20_C_28"},
                      NetCase{"examples/cifar/plain.net", {}, "plain20"},
                      NetCase{"tests/e2e/nets/small_vgg.net", {}, "small_vgg"}),
    [](const auto &info) { return std::string(info.param.label); });

} // namespace
} // namespace netc::test
