// The learnable tensors (and BN running statistics) a network has, named and
// shaped the way PyTorch names and shapes them, in graph order. Weights
// files, ONNX import, initialisers and the compiler all agree on this list.
#pragma once

#include "dsl/Network.h"

#include <cstdint>
#include <string>
#include <vector>

namespace netc::dsl {

struct ParamSpec {
  enum Role {
    Weight,      // conv OIHW (cout, cin, kh, kw); fc (out, in)
    Bias,        // conv or fc bias (cout)
    BnWeight,    // gamma (c)
    BnBias,      // beta (c)
    RunningMean, // BN buffer (c), not learnable
    RunningVar,  // BN buffer (c), not learnable
  } role = Weight;
  std::string name; // "<layer>.weight", "<layer>.running_mean", ...
  std::vector<int64_t> shape;
  int layer = 0;    // id of the owning layer
  int64_t fanIn = 0, fanOut = 0; // for initialisers (weights only)
  bool learnable() const { return role != RunningMean && role != RunningVar; }
  int64_t elements() const;
};

/// Every parameter of `net` in layer order; within a layer: weight, bias,
/// (BN) weight, bias, running_mean, running_var.
std::vector<ParamSpec> parameterSpecs(const Network &net);

} // namespace netc::dsl
