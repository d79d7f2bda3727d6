// Compiled CPU kernels of the training ops: each builder pairs an algorithm
// (compiler/halide/backward) with its schedule (this directory) and
// JIT-compiles it once per distinct (op, spec, target, schedule).
// Run with kernel->run(inputs, outputs[, scalars]); orders are documented
// with each algorithm.
#pragma once

#include "TrainKernel.h"
#include "compiler/halide/backward/BatchNormTrain.h"
#include "compiler/halide/backward/ConvBackward.h"
#include "compiler/halide/backward/EltwiseBackward.h"
#include "compiler/halide/backward/FcBackward.h"
#include "compiler/halide/backward/PoolBackward.h"
#include "compiler/halide/backward/Sgd.h"
#include "compiler/halide/backward/SoftmaxCrossEntropy.h"
#include "compiler/halide/backward/StepIo.h"
#include "schedules/cpu/backward/ConvBwdSchedule.h"
#include "schedules/cpu/backward/TrainOpSchedules.h"

#include <optional>

namespace netc::schedules::backward {

namespace nh = netc::halide;
namespace nb = netc::halide::backward;

// dy, w, [add], [mask] -> dx
TrainKernelPtr convDxKernel(const nb::ConvDxSpec &spec, const Halide::Target &t,
                            std::optional<ConvDxSchedule> s = std::nullopt);
// dy, x -> dW (HWIO)
TrainKernelPtr convDwKernel(const nh::ConvSpec &spec, const Halide::Target &t,
                            std::optional<ConvDwSchedule> s = std::nullopt);
// dy -> db
TrainKernelPtr convDbKernel(const nh::ConvSpec &spec, const Halide::Target &t);

// x, gamma, beta, running mean, running var -> y, stats (c, 4)
TrainKernelPtr bnTrainForwardKernel(const nb::BnTrainSpec &spec, const Halide::Target &t);
// dOut, [y], x, stats, gamma -> dx, (dgamma, dbeta) (c, 2)
TrainKernelPtr bnTrainBackwardKernel(const nb::BnTrainSpec &spec, const Halide::Target &t);

// x, dy -> dx
TrainKernelPtr maxPoolBackwardKernel(const nh::PoolSpec &spec, const Halide::Target &t);
// dy -> dx
TrainKernelPtr avgPoolBackwardKernel(const nh::PoolSpec &spec, const Halide::Target &t);
TrainKernelPtr globalAvgPoolBackwardKernel(const nh::GlobalPoolSpec &spec,
                                           const Halide::Target &t);
// g -> dx (option-A shortcut backward)
TrainKernelPtr zeroPadShortcutBackwardKernel(const nh::ZeroPadSpec &spec,
                                             const Halide::Target &t);

// dy, x, W -> dx, dW, [db]
TrainKernelPtr fcBackwardKernel(const nh::FcSpec &spec, const Halide::Target &t);
// logits, labels (int32) -> loss [1], dlogits
TrainKernelPtr softmaxXentKernel(const nb::SoftmaxXentSpec &spec, const Halide::Target &t);

// Flat arrays. dy, y -> dx
TrainKernelPtr reluBackwardKernel(const Halide::Target &t);
// x (or dy), mask -> y (or dx)
TrainKernelPtr dropoutKernel(float p, const Halide::Target &t);
// p, grad, buf -> new p, new buf; scalars lr, momentum, weight_decay, firstStep
TrainKernelPtr sgdKernel(const Halide::Target &t);
// in -> out, flat
TrainKernelPtr flatCopyKernel(const Halide::Target &t);
// NCHW images -> NHWC
TrainKernelPtr nchwToNhwcKernel(const nh::Shape3 &shape, const Halide::Target &t);

}  // namespace netc::schedules::backward
