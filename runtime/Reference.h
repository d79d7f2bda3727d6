// The plain reference: every op of a Network as straightforward NCHW loops
// with double accumulation. Slow and obviously correct; the oracle that the
// compiled kernels (every backend) are checked against, itself checked
// against PyTorch. Inference semantics: BN uses running statistics, dropout
// is the identity.
#pragma once

#include "dsl/Network.h"
#include "runtime/NamedTensor.h"

#include <vector>

namespace netc::runtime {

/// All activations, one per layer (NCHW, batch first), given parameters
/// named as dsl::parameterSpecs names them and an input of shape
/// [n, c, h, w]. Throws std::invalid_argument on a missing parameter or a
/// shape that does not match the network.
std::vector<std::vector<float>> referenceActivations(const dsl::Network &net,
                                                     const std::vector<NamedTensor> &params,
                                                     const NamedTensor &input);

/// The network's output, shaped [n, c] for vector outputs, else [n, c, h, w].
NamedTensor referenceForward(const dsl::Network &net, const std::vector<NamedTensor> &params,
                             const NamedTensor &input);

} // namespace netc::runtime
