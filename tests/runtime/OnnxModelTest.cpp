// ONNX reading: the backend conformance data (a node case, pytorch-converted
// cases) and hand-built models for initializer order and error paths.
#include "runtime/OnnxModel.h"

#include "Helpers.h"
#include "runtime/Npy.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstdlib>
#include <fstream>

using namespace netc::runtime;
using netc::runtime::testing::TempDir;

namespace {

const std::string kData = NETC_ONNX_TESTDATA;
using Shape = std::vector<int64_t>;

/// Direct NCHW convolution without bias (one group), the oracle for the
/// conformance case below.
std::vector<float> conv2d(const NamedTensor &x, const NamedTensor &w, Shape strides, Shape pads,
                          Shape outShape) {
  std::vector<float> y(size_t(elementCount(outShape, "y")), 0.0f);
  int64_t C = x.shape[1], H = x.shape[2], W = x.shape[3];
  int64_t K = w.shape[0], R = w.shape[2], S = w.shape[3];
  int64_t OH = outShape[2], OW = outShape[3];
  for (int64_t k = 0; k < K; ++k)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        float acc = 0;
        for (int64_t c = 0; c < C; ++c)
          for (int64_t r = 0; r < R; ++r)
            for (int64_t s = 0; s < S; ++s) {
              int64_t ih = oh * strides[0] - pads[0] + r, iw = ow * strides[1] - pads[1] + s;
              if (ih >= 0 && ih < H && iw >= 0 && iw < W)
                acc += x.data[size_t((c * H + ih) * W + iw)] *
                       w.data[size_t(((k * C + c) * R + r) * S + s)];
            }
        y[size_t((k * OH + oh) * OW + ow)] = acc;
      }
  return y;
}

onnx::TensorProto floatInit(const std::string &name, Shape dims, std::vector<float> values,
                            bool raw) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims)
    t.add_dims(d);
  if (raw)
    t.set_raw_data(std::string(reinterpret_cast<const char *>(values.data()), values.size() * 4));
  else
    for (float v : values)
      t.add_float_data(v);
  return t;
}

void addNode(onnx::GraphProto &g, const std::string &op, std::vector<std::string> in,
             std::string out) {
  onnx::NodeProto *n = g.add_node();
  n->set_op_type(op);
  n->set_name(out);
  for (const std::string &i : in)
    n->add_input(i);
  n->add_output(out);
}

std::string writeModel(const TempDir &dir, const onnx::ModelProto &m) {
  std::string path = dir.file("m.onnx");
  std::ofstream(path, std::ios::binary) << m.SerializeAsString();
  return path;
}

/// x -> Conv(w1, b1) -> Add(c) -> Mul(w2): initializers stored in reverse,
/// plus one no node reads.
onnx::ModelProto threeNodeModel() {
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.add_opset_import()->set_version(13);
  onnx::GraphProto &g = *m.mutable_graph();
  g.add_input()->set_name("x");
  for (const char *name : {"unused", "w2", "c", "b1", "w1"})
    *g.add_initializer() = floatInit(name, {2}, {1.5f, -2.0f}, name[0] == 'w');
  addNode(g, "Conv", {"x", "w1", "b1"}, "y1");
  addNode(g, "Add", {"y1", "c"}, "y2");
  addNode(g, "Mul", {"y2", "w2", "w1"}, "y3");
  g.add_output()->set_name("y3");
  return m;
}

} // namespace

TEST(OnnxModel, ReadsConformanceConvCase) {
  std::string dir = kData + "/node/test_conv_with_strides_padding";
  OnnxModel m = loadOnnxModel(dir + "/model.onnx");
  ASSERT_EQ(m.nodes.size(), 1u);
  const OnnxNode &conv = m.nodes[0];
  EXPECT_EQ(conv.opType, "Conv");
  EXPECT_EQ(conv.inputs, (std::vector<std::string>{"x", "W"}));
  EXPECT_EQ(conv.getInts("strides"), (Shape{2, 2}));
  EXPECT_EQ(conv.getInts("pads"), (Shape{1, 1, 1, 1}));
  EXPECT_EQ(conv.getInts("kernel_shape"), (Shape{3, 3}));
  EXPECT_EQ(conv.getInt("group", 1), 1);
  EXPECT_IO_ERROR(conv.getInt("strides", 1), "attribute 'strides' has an unexpected type");
  ASSERT_EQ(m.inputs.size(), 2u);
  EXPECT_EQ(m.inputs[0].shape, (Shape{1, 1, 7, 5}));
  EXPECT_TRUE(m.initializers.empty());

  NamedTensor x = loadOnnxTensor(dir + "/test_data_set_0/input_0.pb");
  NamedTensor w = loadOnnxTensor(dir + "/test_data_set_0/input_1.pb");
  NamedTensor y = loadOnnxTensor(dir + "/test_data_set_0/output_0.pb");
  EXPECT_EQ(x.shape, (Shape{1, 1, 7, 5}));
  EXPECT_EQ(w.shape, (Shape{1, 1, 3, 3}));
  EXPECT_EQ(y.shape, (Shape{1, 1, 4, 3}));
  ASSERT_EQ(m.outputs.size(), 1u);
  EXPECT_EQ(m.outputs[0].shape, y.shape);
  // The values are read correctly if a direct convolution reproduces them.
  std::vector<float> ref = conv2d(x, w, {2, 2}, {1, 1}, y.shape);
  for (size_t i = 0; i < ref.size(); ++i)
    EXPECT_NEAR(y.data[i], ref[i], 1e-4f) << i;
}

TEST(OnnxModel, PytorchConvertedConvInitializersMatchNode) {
  OnnxModel m = loadOnnxModel(kData + "/pytorch-converted/test_Conv2d/model.onnx");
  ASSERT_EQ(m.nodes.size(), 1u);
  const OnnxNode &conv = m.nodes[0];
  ASSERT_EQ(conv.inputs.size(), 3u);
  ASSERT_EQ(m.initializers.size(), 2u);
  EXPECT_EQ(m.initializers[0].name, conv.inputs[1]); // weight before bias
  EXPECT_EQ(m.initializers[1].name, conv.inputs[2]);
  const NamedTensor &weight = m.initializers[0], &bias = m.initializers[1];
  ASSERT_EQ(weight.shape.size(), 4u);
  EXPECT_EQ(bias.shape, (Shape{weight.shape[0]}));
  EXPECT_EQ(Shape(weight.shape.begin() + 2, weight.shape.end()), conv.getInts("kernel_shape"));
  // Old exporters list initializers as graph inputs too; only the data remains.
  ASSERT_EQ(m.inputs.size(), 1u);
  EXPECT_EQ(m.inputs[0].name, conv.inputs[0]);
  EXPECT_EQ(m.inputs[0].shape[1], weight.shape[1] * conv.getInt("group", 1));
  EXPECT_EQ(m.initializer(bias.name), &m.initializers[1]);
  EXPECT_EQ(m.initializer("nope"), nullptr);
}

TEST(OnnxModel, PytorchConvertedBatchNormInitializersInInputOrder) {
  std::string dir = kData + "/pytorch-converted/test_BatchNorm2d_eval";
  OnnxModel m = loadOnnxModel(dir + "/model.onnx");
  ASSERT_EQ(m.nodes.size(), 1u);
  const OnnxNode &bn = m.nodes[0];
  EXPECT_EQ(bn.opType, "BatchNormalization");
  ASSERT_EQ(m.initializers.size(), 4u); // scale, bias, mean, var
  NamedTensor x = loadOnnxTensor(dir + "/test_data_set_0/input_0.pb");
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(m.initializers[i].name, bn.inputs[i + 1]);
    EXPECT_EQ(m.initializers[i].shape, (Shape{x.shape[1]}));
  }
  EXPECT_GT(bn.getFloat("epsilon", 0), 0.0f);
  EXPECT_EQ(loadOnnxTensor(dir + "/test_data_set_0/output_0.pb").shape, x.shape);
}

TEST(OnnxModel, InitializersInGraphOrderWithBothEncodings) {
  TempDir dir;
  OnnxModel m = loadOnnxModel(writeModel(dir, threeNodeModel()));
  std::vector<std::string> names;
  for (const NamedTensor &t : m.initializers)
    names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"w1", "b1", "c", "w2", "unused"}));
  EXPECT_EQ(m.opset, 13);
  ASSERT_EQ(m.inputs.size(), 1u);
  for (const NamedTensor &t : m.initializers) // raw_data (w*) and float_data alike
    EXPECT_EQ(t.data, (std::vector<float>{1.5f, -2.0f})) << t.name;
}

TEST(OnnxModel, RejectsNonFloatInitializerByName) {
  TempDir dir;
  onnx::ModelProto m = threeNodeModel();
  onnx::TensorProto *t = m.mutable_graph()->mutable_initializer(2); // "c"
  t->clear_float_data();
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_int64_data(1);
  t->add_int64_data(2);
  EXPECT_IO_ERROR(loadOnnxModel(writeModel(dir, m)),
                  "tensor 'c' has element type INT64; netc reads only FLOAT");
}

TEST(OnnxModel, RejectsRawDataOfWrongSize) {
  TempDir dir;
  onnx::ModelProto m = threeNodeModel();
  m.mutable_graph()->mutable_initializer(1)->mutable_raw_data()->resize(5); // "w2"
  EXPECT_IO_ERROR(loadOnnxModel(writeModel(dir, m)),
                  "tensor 'w2': raw_data has 5 bytes but shape [2] needs 8");
}

TEST(OnnxModel, RejectsExternalData) {
  TempDir dir;
  onnx::ModelProto m = threeNodeModel();
  m.mutable_graph()->mutable_initializer(0)->set_data_location(onnx::TensorProto::EXTERNAL);
  EXPECT_IO_ERROR(loadOnnxModel(writeModel(dir, m)),
                  "tensor 'unused' keeps its data in an external file");
}

TEST(OnnxModel, RejectsFilesThatAreNotModels) {
  TempDir dir;
  std::string path = dir.file("junk.onnx");
  std::ofstream(path) << "\x93NUMPY this is not protobuf";
  EXPECT_IO_ERROR(loadOnnxModel(path), "'" + path + "' is not");
  std::ofstream(path, std::ios::trunc) << "";
  EXPECT_IO_ERROR(loadOnnxModel(path), "is not an ONNX model (it has no graph)");
  EXPECT_IO_ERROR(loadOnnxModel("/nonexistent.onnx"), "cannot open");
}

// The models of tools/export_torchvision.py, when NETC_TORCH_EXPORTS names
// their directory; skipped otherwise (the suite must not need torch).
TEST(OnnxModel, TorchExportedResNet20) {
  const char *exports = std::getenv("NETC_TORCH_EXPORTS");
  if (!exports)
    GTEST_SKIP() << "set NETC_TORCH_EXPORTS to the output of tools/export_torchvision.py";
  OnnxModel m = loadOnnxModel(std::string(exports) + "/resnet20.onnx");
  // Conv weight, then BN scale, bias, mean, var, in network order.
  ASSERT_GE(m.initializers.size(), 5u);
  EXPECT_EQ(m.initializers[0].name, "conv1.weight");
  EXPECT_EQ(m.initializers[0].shape, (Shape{16, 3, 3, 3}));
  EXPECT_EQ(m.initializers[4].name, "bn1.running_var");
  EXPECT_EQ(m.initializers.back().name, "fc.bias");
  int convs = 0, bns = 0;
  for (const OnnxNode &n : m.nodes) {
    convs += n.opType == "Conv";
    bns += n.opType == "BatchNormalization";
  }
  EXPECT_EQ(convs, 19);
  EXPECT_EQ(bns, 19);
  // numpy-written .npy files read back with the shapes the model declares.
  NamedTensor input = readNpy(std::string(exports) + "/resnet20.input.npy");
  NamedTensor logits = readNpy(std::string(exports) + "/resnet20.logits.npy");
  EXPECT_EQ(Shape(input.shape.begin() + 1, input.shape.end()), (Shape{3, 32, 32}));
  EXPECT_EQ(logits.shape, (Shape{input.shape[0], 10}));
}
