// Reads ONNX models and tensors (via libonnx's generated protobuf classes)
// into plain netc structures, so callers never include protobuf headers.
//
// Two uses: importing the weights of a model exported from PyTorch (the
// initializers, in the order the graph uses them), and driving single-op
// conformance cases from the ONNX backend test data (nodes + .pb tensors).
#pragma once

#include "runtime/NamedTensor.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace netc::runtime {

/// One attribute of an ONNX node. Only the field matching `kind` is set.
struct OnnxAttribute {
  enum class Kind { Float, Int, String, Tensor, Floats, Ints, Strings, Other };
  std::string name;
  Kind kind = Kind::Other;
  float f = 0;
  int64_t i = 0;
  std::string s;
  std::optional<NamedTensor> t; // Kind::Tensor with float32 data only
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
};

struct OnnxNode {
  std::string name;
  std::string opType;
  std::string domain;              // "" is the default ONNX domain
  std::vector<std::string> inputs; // "" marks an omitted optional input
  std::vector<std::string> outputs;
  std::vector<OnnxAttribute> attributes;

  /// The attribute called `name`, or null.
  const OnnxAttribute *attribute(const std::string &name) const;
  /// Typed lookups with a default for absent attributes; they throw IoError
  /// if the attribute exists with another kind.
  int64_t getInt(const std::string &name, int64_t dflt) const;
  float getFloat(const std::string &name, float dflt) const;
  std::string getString(const std::string &name, const std::string &dflt) const;
  std::vector<int64_t> getInts(const std::string &name, std::vector<int64_t> dflt = {}) const;
};

/// A graph input or output. Unknown or symbolic dimensions are -1.
struct OnnxValueInfo {
  std::string name;
  int32_t elemType = 0; // onnx TensorProto::DataType; 1 = FLOAT
  std::vector<int64_t> shape;
};

struct OnnxModel {
  int64_t opset = 0; // of the default domain
  std::string producer;
  /// Graph inputs that are not initializers (old exporters list both).
  std::vector<OnnxValueInfo> inputs;
  std::vector<OnnxValueInfo> outputs;
  std::vector<OnnxNode> nodes; // in file order (ONNX requires topological)
  /// Float32 initializers in graph order: sorted by the first node input
  /// that reads them, which follows the network from input to output.
  /// Initializers no node reads come last, in file order.
  std::vector<NamedTensor> initializers;

  /// The initializer called `name`, or null.
  const NamedTensor *initializer(const std::string &name) const;
};

/// Reads an ONNX ModelProto file. Throws IoError if it is not a valid model,
/// if an initializer is not float32 (naming it), or uses external data.
OnnxModel loadOnnxModel(const std::string &path);

/// Reads a serialized TensorProto (.pb, as in test_data_set_0/input_0.pb).
/// Float32 only; throws IoError naming the tensor and its type otherwise.
NamedTensor loadOnnxTensor(const std::string &path);

} // namespace netc::runtime
