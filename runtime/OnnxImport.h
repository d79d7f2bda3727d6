// Binds an ONNX model's initializers to a network's parameters: the tensors
// the Conv, Gemm and BatchNormalization nodes read, in node order, must match
// dsl::parameterSpecs one for one, shape by shape. This is how torchvision
// models exported with torch.onnx.export run in netc.
#pragma once

#include "dsl/Params.h"
#include "runtime/NamedTensor.h"
#include "runtime/OnnxModel.h"

#include <vector>

namespace netc::runtime {

/// The network's parameters, renamed to netc's names, taken from `model`.
/// Throws IoError naming both sides on a count or shape mismatch.
std::vector<NamedTensor> bindOnnxInitializers(const std::vector<dsl::ParamSpec> &specs,
                                              const OnnxModel &model);

} // namespace netc::runtime
