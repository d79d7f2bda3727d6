#include "runtime/OnnxImport.h"

#include "runtime/Error.h"

#include <map>

namespace netc::runtime {

namespace {

// The parameters in the order the layers read them: every Conv, Gemm and
// BatchNormalization node's inputs after the first. Exporters deduplicate
// equal initializers (e.g. all-zero biases) behind Identity nodes, so names
// are resolved through Identity chains to the initializer holding the data.
std::vector<const NamedTensor *> parametersInGraphOrder(const OnnxModel &model) {
  std::map<std::string, std::string> identity;
  for (const OnnxNode &n : model.nodes)
    if (n.opType == "Identity" && n.inputs.size() == 1 && n.outputs.size() == 1)
      identity[n.outputs[0]] = n.inputs[0];
  auto resolve = [&](std::string name) -> const NamedTensor * {
    for (int hops = 0; hops < 64 && identity.count(name); ++hops)
      name = identity[name];
    return model.initializer(name);
  };
  std::vector<const NamedTensor *> out;
  for (const OnnxNode &n : model.nodes) {
    if (n.opType != "Conv" && n.opType != "Gemm" && n.opType != "BatchNormalization")
      continue;
    for (size_t k = 1; k < n.inputs.size(); ++k)
      if (!n.inputs[k].empty())
        if (const NamedTensor *t = resolve(n.inputs[k]))
          out.push_back(t);
  }
  return out;
}

} // namespace

std::vector<NamedTensor> bindOnnxInitializers(const std::vector<dsl::ParamSpec> &specs,
                                              const OnnxModel &model) {
  std::vector<const NamedTensor *> inits = parametersInGraphOrder(model);
  if (inits.size() != specs.size())
    throw IoError("the ONNX model has " + std::to_string(inits.size()) +
                  " parameter tensors but the network has " + std::to_string(specs.size()) +
                  " (check the .net file's settings: norm, bias, shortcut)");
  std::vector<NamedTensor> out;
  out.reserve(specs.size());
  for (size_t k = 0; k < specs.size(); ++k) {
    const dsl::ParamSpec &s = specs[k];
    const NamedTensor &t = *inits[k];
    if (t.shape != s.shape)
      throw IoError("parameter " + std::to_string(k + 1) + " '" + s.name + "' has shape " +
                    shapeString(s.shape) + " but the ONNX tensor '" + t.name +
                    "' in its place has shape " + shapeString(t.shape));
    out.push_back({s.name, s.shape, t.data});
  }
  return out;
}

} // namespace netc::runtime
