// One step of torch.optim.SGD (dampening 0, no Nesterov) over a flat
// parameter array:
//   d_p = grad + weight_decay * p
//   buf = d_p on the first step, else momentum * buf + d_p
//   p  -= lr * buf
// The hyperparameters are runtime scalars, so one compiled kernel serves
// every parameter tensor and learning-rate schedule.
#pragma once

#include "TrainAlgo.h"

namespace netc::halide::backward {

// Scalars, in order.
enum SgdScalar { kSgdLr = 0, kSgdMomentum = 1, kSgdWeightDecay = 2, kSgdFirstStep = 3 };

// Inputs: p, grad, buf (the momentum buffer; ignored on the first step).
// Scalars: lr, momentum, weight_decay, firstStep (nonzero on step one).
// Outputs: new p, new buf. Pure element-wise, so the outputs may alias
// p and buf for an in-place update. momentum == 0 keeps buf = d_p.
// gradAnyMin: grad may start at any index (a GPU library views a gradient
// that starts inside an aligned block through a buffer whose min is < 0).
TrainAlgo buildSgd(bool gradAnyMin = false);

}  // namespace netc::halide::backward
