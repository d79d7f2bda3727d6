#include "runtime/OnnxModel.h"

#include "runtime/Error.h"
#include "runtime/FileIo.h"

#include <onnx/onnx_pb.h>

#include <climits>
#include <cstring>
#include <map>
#include <set>

namespace netc::runtime {
namespace {

using onnx::TensorProto;

std::string typeName(int32_t type) {
  std::string n = TensorProto::DataType_IsValid(type)
                      ? TensorProto::DataType_Name(TensorProto::DataType(type))
                      : "";
  return n.empty() ? "type " + std::to_string(type) : n;
}

NamedTensor fromTensorProto(const TensorProto &p, const std::string &what) {
  std::string where = what + ": tensor '" + p.name() + "'";
  if (p.data_location() == TensorProto::EXTERNAL)
    throw IoError(where + " keeps its data in an external file, which netc does not read");
  if (p.has_segment())
    throw IoError(where + " is a segment of a larger tensor, which netc does not read");
  if (p.data_type() != TensorProto::FLOAT)
    throw IoError(where + " has element type " + typeName(p.data_type()) +
                  "; netc reads only FLOAT (float32)");
  NamedTensor t;
  t.name = p.name();
  t.shape.assign(p.dims().begin(), p.dims().end());
  uint64_t n = elementCount(t.shape, where);
  t.data.resize(n);
  // Exporters use either field: raw_data (little-endian bytes) or float_data.
  if (p.has_raw_data()) {
    if (p.raw_data().size() != n * sizeof(float))
      throw IoError(where + ": raw_data has " + std::to_string(p.raw_data().size()) +
                    " bytes but shape " + shapeString(t.shape) + " needs " +
                    std::to_string(n * sizeof(float)));
    if (n)
      std::memcpy(t.data.data(), p.raw_data().data(), n * sizeof(float));
  } else {
    if (uint64_t(p.float_data_size()) != n)
      throw IoError(where + ": float_data has " + std::to_string(p.float_data_size()) +
                    " values but shape " + shapeString(t.shape) + " needs " + std::to_string(n));
    std::copy(p.float_data().begin(), p.float_data().end(), t.data.begin());
  }
  return t;
}

/// Parses a protobuf message from a whole file.
template <class Message> Message parseFile(const std::string &path, const char *kind) {
  std::vector<unsigned char> bytes = readFileBytes(path);
  if (bytes.size() > size_t(INT_MAX))
    throw IoError("'" + path + "' is larger than the 2 GiB protobuf can parse");
  Message m;
  if (!m.ParseFromArray(bytes.data(), int(bytes.size())))
    throw IoError("'" + path + "' is not a valid ONNX " + kind + " (protobuf parse failed)");
  return m;
}

OnnxAttribute fromAttribute(const onnx::AttributeProto &a, const std::string &what) {
  using A = onnx::AttributeProto;
  using Kind = OnnxAttribute::Kind;
  OnnxAttribute out;
  out.name = a.name();
  switch (a.type()) {
  case A::FLOAT:
    out.kind = Kind::Float;
    out.f = a.f();
    break;
  case A::INT:
    out.kind = Kind::Int;
    out.i = a.i();
    break;
  case A::STRING:
    out.kind = Kind::String;
    out.s = a.s();
    break;
  case A::FLOATS:
    out.kind = Kind::Floats;
    out.floats.assign(a.floats().begin(), a.floats().end());
    break;
  case A::INTS:
    out.kind = Kind::Ints;
    out.ints.assign(a.ints().begin(), a.ints().end());
    break;
  case A::STRINGS:
    out.kind = Kind::Strings;
    out.strings.assign(a.strings().begin(), a.strings().end());
    break;
  case A::TENSOR:
    // Non-float tensors (e.g. int64 shapes of Constant nodes) stay unset
    // rather than failing the whole model; users of t check it.
    out.kind = Kind::Tensor;
    if (a.t().data_type() == TensorProto::FLOAT)
      out.t = fromTensorProto(a.t(), what);
    break;
  default:
    break; // graphs, sparse tensors, type protos: Kind::Other
  }
  return out;
}

OnnxNode fromNode(const onnx::NodeProto &n, const std::string &what) {
  OnnxNode out;
  out.name = n.name();
  out.opType = n.op_type();
  out.domain = n.domain();
  out.inputs.assign(n.input().begin(), n.input().end());
  out.outputs.assign(n.output().begin(), n.output().end());
  for (const auto &a : n.attribute())
    out.attributes.push_back(fromAttribute(a, what + ": node '" + n.name() + "'"));
  return out;
}

OnnxValueInfo fromValueInfo(const onnx::ValueInfoProto &v) {
  OnnxValueInfo out;
  out.name = v.name();
  const auto &tt = v.type().tensor_type();
  out.elemType = tt.elem_type();
  for (const auto &d : tt.shape().dim())
    out.shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
  return out;
}

/// Initializer indices sorted by the first node that consumes them.
std::vector<int> graphOrder(const onnx::GraphProto &g) {
  std::map<std::string, int> index;
  for (int i = 0; i < g.initializer_size(); ++i)
    index.emplace(g.initializer(i).name(), i);
  std::vector<int> order;
  std::vector<bool> taken(size_t(g.initializer_size()), false);
  auto take = [&](int i) {
    if (!taken[size_t(i)]) {
      taken[size_t(i)] = true;
      order.push_back(i);
    }
  };
  for (const auto &node : g.node())
    for (const auto &in : node.input())
      if (auto it = index.find(in); it != index.end())
        take(it->second);
  for (int i = 0; i < g.initializer_size(); ++i)
    take(i);
  return order;
}

} // namespace

OnnxModel loadOnnxModel(const std::string &path) {
  auto proto = parseFile<onnx::ModelProto>(path, "model");
  // Protobuf accepts many non-model byte strings as a message of unknown
  // fields; a model without a graph is how those show up.
  if (!proto.has_graph())
    throw IoError("'" + path + "' is not an ONNX model (it has no graph)");
  const onnx::GraphProto &g = proto.graph();
  std::string what = "'" + path + "'";
  OnnxModel m;
  m.producer = proto.producer_name();
  for (const auto &op : proto.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx")
      m.opset = op.version();
  for (int i : graphOrder(g))
    m.initializers.push_back(fromTensorProto(g.initializer(i), what));
  std::set<std::string> init;
  for (const auto &t : g.initializer())
    init.insert(t.name());
  for (const auto &v : g.input())
    if (!init.count(v.name()))
      m.inputs.push_back(fromValueInfo(v));
  for (const auto &v : g.output())
    m.outputs.push_back(fromValueInfo(v));
  for (const auto &n : g.node())
    m.nodes.push_back(fromNode(n, what));
  return m;
}

NamedTensor loadOnnxTensor(const std::string &path) {
  return fromTensorProto(parseFile<TensorProto>(path, "tensor"), "'" + path + "'");
}

const NamedTensor *OnnxModel::initializer(const std::string &name) const {
  for (const NamedTensor &t : initializers)
    if (t.name == name)
      return &t;
  return nullptr;
}

const OnnxAttribute *OnnxNode::attribute(const std::string &name) const {
  for (const OnnxAttribute &a : attributes)
    if (a.name == name)
      return &a;
  return nullptr;
}

namespace {
const OnnxAttribute *typed(const OnnxNode &n, const std::string &name, OnnxAttribute::Kind k) {
  const OnnxAttribute *a = n.attribute(name);
  if (a && a->kind != k)
    throw IoError("ONNX node '" + n.name + "' (" + n.opType + "): attribute '" + name +
                  "' has an unexpected type");
  return a;
}
} // namespace

int64_t OnnxNode::getInt(const std::string &name, int64_t dflt) const {
  auto *a = typed(*this, name, OnnxAttribute::Kind::Int);
  return a ? a->i : dflt;
}

float OnnxNode::getFloat(const std::string &name, float dflt) const {
  auto *a = typed(*this, name, OnnxAttribute::Kind::Float);
  return a ? a->f : dflt;
}

std::string OnnxNode::getString(const std::string &name, const std::string &dflt) const {
  auto *a = typed(*this, name, OnnxAttribute::Kind::String);
  return a ? a->s : dflt;
}

std::vector<int64_t> OnnxNode::getInts(const std::string &name, std::vector<int64_t> dflt) const {
  auto *a = typed(*this, name, OnnxAttribute::Kind::Ints);
  return a ? a->ints : dflt;
}

} // namespace netc::runtime
