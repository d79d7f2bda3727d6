// BatchNorm in training mode (PyTorch semantics) and its backward.
//
// Forward normalises with the batch statistics over (n, x, y): biased
// variance for the normalisation, the unbiased one for the running
// variance; running stats move by `momentum` (PyTorch's 0.1 default).
// Backward optionally starts with the relu backward of y = relu(bn(x)),
// using the saved output y as the mask, so the common conv-BN-relu block
// needs one pass per direction.
#pragma once

#include "TrainAlgo.h"

#include <string>

namespace netc::halide::backward {

struct BnTrainSpec {
  Shape3 shape;
  float eps = 1e-5f;
  float momentum = 0.1f;
  bool relu = false;
  std::string key() const;
};

// Statistic rows of the (c, 4) stats output.
enum BnStat { kBnMean = 0, kBnInvStd = 1, kBnRunMean = 2, kBnRunVar = 3, kBnStats = 4 };

// Inputs: x, gamma, beta, running mean, running var (all but x are [C]).
// Outputs: y (c, x, y, n); stats (c, 4): batch mean, 1/sqrt(var + eps), and
// the updated running mean and running var (copy them back to the model).
TrainAlgo buildBnTrainForward(const BnTrainSpec &spec);

// Inputs: dOut, [y (relu only)], x, stats (c, 4) from the forward, gamma.
// Outputs: dx (c, x, y, n); dparams (c, 2): dgamma, dbeta.
TrainAlgo buildBnTrainBackward(const BnTrainSpec &spec);

}  // namespace netc::halide::backward
