// Softmax cross-entropy over logits (f, n) with int32 class labels (n):
// loss = mean over the batch of logsumexp(z) - z[label], and its gradient
// (softmax(z) - onehot(label)) / N, both from one pass over the logits.
#pragma once

#include "TrainAlgo.h"

#include <string>

namespace netc::halide::backward {

struct SoftmaxXentSpec {
  int classes = 1;
  std::string key() const;
};

// Inputs: logits (f, n) float, labels (n) int32 in [0, classes).
// Outputs: loss (a 1-element buffer), dlogits (f, n).
TrainAlgo buildSoftmaxCrossEntropy(const SoftmaxXentSpec &spec);

}  // namespace netc::halide::backward
