// MLIRGen: a hand-built dsl::Network becomes verified, round-trippable net
// IR, and the fused stage turns its conv chains into net.fused_conv.
#include "compiler/Compile.h"
#include "compiler/MLIRGen.h"
#include "compiler/Pipeline.h"
#include "compiler/dialect/NetOps.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser.h"

#include "dsl/Elaborate.h"
#include "dsl/Params.h"

#include <gtest/gtest.h>

#include <filesystem>

using netc::dsl::Layer;
using netc::dsl::Network;
using netc::dsl::Op;
using netc::dsl::Shape;

namespace {

Layer &addLayer(Network &net, Op op, const std::string &name, std::vector<int> inputs, Shape out) {
  Layer l;
  l.id = static_cast<int>(net.layers.size());
  l.op = op;
  l.name = name;
  l.inputs = std::move(inputs);
  l.out = out;
  net.layers.push_back(l);
  return net.layers.back();
}

void window(Layer &l, int k, int s, int p) {
  l.kh = l.kw = k;
  l.sh = l.sw = s;
  l.ph = l.pw = p;
}

// Input -> Conv -> BatchNorm -> Relu -> GlobalAvgPool -> Fc -> Softmax.
Network smallNet() {
  Network net;
  net.name = "small";
  net.input = {3, 32, 32};
  net.classes = 10;
  addLayer(net, Op::Input, "input", {}, {3, 32, 32});
  window(addLayer(net, Op::Conv, "conv1", {0}, {16, 32, 32}), 3, 1, 1);
  addLayer(net, Op::BatchNorm, "bn1", {1}, {16, 32, 32});
  addLayer(net, Op::Relu, "relu1", {2}, {16, 32, 32});
  addLayer(net, Op::GlobalAvgPool, "pool", {3}, {16, 1, 1});
  addLayer(net, Op::Fc, "fc", {4}, {10, 1, 1});
  addLayer(net, Op::Softmax, "softmax", {5}, {10, 1, 1});
  return net;
}

std::vector<std::string> paramNames(mlir::ModuleOp module) {
  std::vector<std::string> names;
  module.walk([&](netc::net::ParamOp p) { names.push_back(p.name().str()); });
  return names;
}

template <typename OpT> int count(mlir::ModuleOp module) {
  int n = 0;
  module.walk([&](OpT) { ++n; });
  return n;
}

TEST(MLIRGen, SmallNetworkRoundTripsAndFuses) {
  mlir::MLIRContext ctx;
  Network net = smallNet();
  mlir::OwningOpRef<mlir::ModuleOp> module = netc::compiler::buildModule(ctx, net);
  ASSERT_TRUE(module);
  ASSERT_TRUE(mlir::succeeded(mlir::verify(*module)));

  EXPECT_EQ(paramNames(*module),
            (std::vector<std::string>{"conv1.weight", "bn1.weight", "bn1.bias",
                                      "bn1.running_mean", "bn1.running_var", "fc.weight",
                                      "fc.bias"}));
  auto func = *module->getOps<mlir::FuncOp>().begin();
  EXPECT_EQ(func.getName(), "small");
  std::string type;
  llvm::raw_string_ostream(type) << func.getType();
  EXPECT_EQ(type, "(tensor<?x3x32x32xf32>) -> tensor<?x10xf32>");
  // fc takes [N, K]: a flatten is inserted after the global pool.
  EXPECT_EQ(count<netc::net::FlattenOp>(*module), 1);

  // print -> parse -> print is a fixed point.
  std::string text = netc::compiler::printModule(*module);
  mlir::OwningOpRef<mlir::ModuleOp> reparsed = mlir::parseSourceString(text, &ctx);
  ASSERT_TRUE(reparsed);
  EXPECT_EQ(netc::compiler::printModule(*reparsed), text);

  ASSERT_TRUE(mlir::succeeded(netc::compiler::runMlirStage(*module)));
  EXPECT_EQ(netc::compiler::printModule(*module), text); // already fully typed

  ASSERT_TRUE(mlir::succeeded(netc::compiler::runFusedStage(*module)));
  EXPECT_EQ(count<netc::net::FusedConvOp>(*module), 1);
  EXPECT_EQ(count<netc::net::FoldBnOp>(*module), 1);
  EXPECT_EQ(count<netc::net::BatchNormOp>(*module), 0);
  EXPECT_EQ(count<netc::net::Conv2dOp>(*module), 0);
}

// Every layer kind, with a residual add over a zero_pad_shortcut.
TEST(MLIRGen, AllLayerKinds) {
  Network net;
  net.name = "all";
  net.input = {3, 8, 8};
  addLayer(net, Op::Input, "input", {}, {3, 8, 8});
  Layer &a = addLayer(net, Op::Conv, "a", {0}, {4, 8, 8});
  window(a, 3, 1, 1);
  a.bias = true;
  Layer &lrn = addLayer(net, Op::Lrn, "lrn", {1}, {4, 8, 8});
  lrn.lrnSize = 5, lrn.lrnAlpha = 1e-4, lrn.lrnBeta = 0.75, lrn.lrnK = 2;
  window(addLayer(net, Op::MaxPool, "max", {2}, {4, 4, 4}), 2, 2, 0);
  Layer &avg = addLayer(net, Op::AvgPool, "avg", {3}, {4, 2, 2});
  window(avg, 2, 2, 0);
  avg.countIncludePad = false;
  addLayer(net, Op::ZeroPadShortcut, "shortcut", {4}, {8, 2, 2}).sh = 1;
  window(addLayer(net, Op::Conv, "b", {4}, {8, 2, 2}), 1, 1, 0);
  addLayer(net, Op::Add, "add", {6, 5}, {8, 2, 2});
  addLayer(net, Op::Relu, "relu", {7}, {8, 2, 2});
  addLayer(net, Op::Flatten, "flatten", {8}, {32, 1, 1});
  addLayer(net, Op::Dropout, "drop", {9}, {32, 1, 1}).rate = 0.5;
  addLayer(net, Op::Fc, "fc", {10}, {10, 1, 1});
  addLayer(net, Op::Softmax, "softmax", {11}, {10, 1, 1});

  mlir::MLIRContext ctx;
  mlir::OwningOpRef<mlir::ModuleOp> module = netc::compiler::buildModule(ctx, net);
  ASSERT_TRUE(module);
  ASSERT_TRUE(mlir::succeeded(netc::compiler::runMlirStage(*module)));
  EXPECT_EQ(paramNames(*module),
            (std::vector<std::string>{"a.weight", "a.bias", "b.weight", "fc.weight", "fc.bias"}));
  ASSERT_TRUE(mlir::succeeded(netc::compiler::runFusedStage(*module)));
  int fused = 0;
  module->walk([&](netc::net::FusedConvOp op) {
    ++fused;
    EXPECT_EQ(op.post_ops().size(), 2u); // "add", "relu"
  });
  EXPECT_EQ(fused, 1);
  EXPECT_EQ(count<netc::net::DropoutOp>(*module), 0);
}

// A DSL shape the op's shape rule disagrees with is reported, not emitted.
TEST(MLIRGen, ShapeDisagreementIsAnError) {
  Network net = smallNet();
  net.layers[1].out = {16, 30, 30}; // the conv really gives 32x32
  mlir::MLIRContext ctx;
  std::string message;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
    message = d.str();
    return mlir::success();
  });
  EXPECT_FALSE(netc::compiler::buildModule(ctx, net));
  EXPECT_NE(message.find("the DSL gives 16x30x30"), std::string::npos) << message;
}

// The one-call entry point (compiler/Compile.h) runs a stage or throws
// with MLIR's diagnostics, which name the layer.
TEST(MLIRGen, CompileNetwork) {
  Network net = smallNet();
  {
    mlir::MLIRContext ctx;
    auto module = netc::compiler::compileNetwork(ctx, net, "fused");
    EXPECT_EQ(count<netc::net::FusedConvOp>(*module), 1);
  }
  mlir::MLIRContext ctx;
  try {
    netc::compiler::compileNetwork(ctx, net, "halide");
    FAIL() << "an unknown stage must throw";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find("unknown stage 'halide'"), std::string::npos) << e.what();
  }
  net.layers[1].out = {16, 30, 30};
  try {
    netc::compiler::compileNetwork(ctx, net, "mlir");
    FAIL() << "a shape disagreement must throw";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find("layer 'conv1'"), std::string::npos) << e.what();
  }
}

// Every shipped example elaborates, lowers to net IR whose parameters match
// the DSL's count, and fuses with no batch norm left over.
TEST(MLIRGen, Examples) {
  std::vector<std::filesystem::path> files;
  for (auto &e : std::filesystem::recursive_directory_iterator(NETC_EXAMPLES_DIR))
    if (e.path().extension() == ".net")
      files.push_back(e.path());
  ASSERT_FALSE(files.empty());
  for (const auto &path : files) {
    SCOPED_TRACE(path.string());
    netc::dsl::LoadedNetwork loaded = netc::dsl::loadNetwork(path.string());
    mlir::MLIRContext ctx;
    mlir::OwningOpRef<mlir::ModuleOp> module = netc::compiler::buildModule(ctx, loaded.network);
    ASSERT_TRUE(module);
    ASSERT_TRUE(mlir::succeeded(netc::compiler::runMlirStage(*module)));
    // Learnable scalars: everything but BN's running statistics (buffers).
    int64_t learnable = 0;
    std::vector<std::string> names;
    module->walk([&](netc::net::ParamOp p) {
      names.push_back(p.name().str());
      if (!p.name().endswith(".running_mean") && !p.name().endswith(".running_var"))
        learnable += p.getType().cast<mlir::ShapedType>().getNumElements();
    });
    EXPECT_EQ(learnable, loaded.network.totalParams());
    std::vector<std::string> specs;
    for (const auto &spec : netc::dsl::parameterSpecs(loaded.network))
      specs.push_back(spec.name);
    EXPECT_EQ(names, specs);
    ASSERT_TRUE(mlir::succeeded(netc::compiler::runFusedStage(*module)));
    EXPECT_GT(count<netc::net::FusedConvOp>(*module), 0);
    EXPECT_EQ(count<netc::net::BatchNormOp>(*module), 0);
  }
}

} // namespace
