// Compiled CPU kernels for every forward op, through the kernel cache.
//
// Each builder pairs an algorithm (compiler/halide) with its schedule
// (this directory), JIT-compiles it for `target` once per distinct
// (op, spec, target, schedule) and returns the shared Kernel. Run a kernel
// with Kernel::run(inputs, out); input order is documented per op.
//
// A target with a GPU feature (Target::has_gpu_feature(), e.g. "...-cuda")
// gets the GPU schedules of schedules/cuda/GpuSchedules.h instead of the CPU
// ones; their schedule keys start with "gpu-".
#pragma once

#include "compiler/halide/Conv.h"
#include "compiler/halide/Eltwise.h"
#include "compiler/halide/Fc.h"
#include "compiler/halide/KernelCache.h"
#include "compiler/halide/Lrn.h"
#include "compiler/halide/Pool.h"
#include "compiler/halide/Softmax.h"
#include "compiler/halide/WinogradConv.h"
#include "schedules/cpu/ConvSchedule.h"
#include "schedules/cpu/OpSchedules.h"
#include "schedules/cuda/GpuSchedules.h"

#include <memory>
#include <optional>

namespace netc::schedules {

using KernelPtr = std::shared_ptr<netc::halide::Kernel>;

// Inputs: x, weights, then bias, scale, shift, residual as the spec enables.
// With no schedule given, defaultConvSchedule(spec, target) is used (the
// tuning database is for callers that know the batch: chosenConvSchedule). On a GPU
// target `schedule` (a CPU schedule) is ignored: defaultGpuConvSchedule(spec).
KernelPtr convKernel(const netc::halide::ConvSpec &spec, const Halide::Target &target,
                     std::optional<ConvSchedule> schedule = std::nullopt);
KernelPtr maxPoolKernel(const netc::halide::PoolSpec &spec, const Halide::Target &target);
KernelPtr avgPoolKernel(const netc::halide::PoolSpec &spec, const Halide::Target &target);
KernelPtr globalAvgPoolKernel(const netc::halide::GlobalPoolSpec &spec,
                              const Halide::Target &target);
// Inputs: x (in, n), weights (in, out) [PyTorch (out, in) memory], [bias].
KernelPtr fcKernel(const netc::halide::FcSpec &spec, const Halide::Target &target);
KernelPtr softmaxKernel(const netc::halide::SoftmaxSpec &spec, const Halide::Target &target);
KernelPtr lrnKernel(const netc::halide::LrnSpec &spec, const Halide::Target &target);
// Inputs: a, b.
KernelPtr addKernel(const netc::halide::Shape3 &shape, bool relu, const Halide::Target &target);
KernelPtr reluKernel(const netc::halide::Shape3 &shape, const Halide::Target &target);
// Inputs: x, scale, shift.
KernelPtr batchNormKernel(const netc::halide::Shape3 &shape, bool relu,
                          const Halide::Target &target);
KernelPtr zeroPadShortcutKernel(const netc::halide::ZeroPadSpec &spec,
                                const Halide::Target &target);

// The scheduled, uncompiled pipeline of each kernel (for AOT libraries and
// tests): the same arguments as the kernel builders above, CPU or GPU
// schedule chosen by the target alike. The *Kernel functions compile these.
netc::halide::PipelineDef convPipeline(const netc::halide::ConvSpec &spec,
                                       const Halide::Target &target,
                                       std::optional<ConvSchedule> schedule = std::nullopt);
netc::halide::PipelineDef maxPoolPipeline(const netc::halide::PoolSpec &spec,
                                          const Halide::Target &target);
netc::halide::PipelineDef avgPoolPipeline(const netc::halide::PoolSpec &spec,
                                          const Halide::Target &target);
netc::halide::PipelineDef globalAvgPoolPipeline(const netc::halide::GlobalPoolSpec &spec,
                                                const Halide::Target &target);
netc::halide::PipelineDef fcPipeline(const netc::halide::FcSpec &spec,
                                     const Halide::Target &target);
netc::halide::PipelineDef softmaxPipeline(const netc::halide::SoftmaxSpec &spec,
                                          const Halide::Target &target);
netc::halide::PipelineDef lrnPipeline(const netc::halide::LrnSpec &spec,
                                      const Halide::Target &target);
netc::halide::PipelineDef addPipeline(const netc::halide::Shape3 &shape, bool relu,
                                      const Halide::Target &target);
netc::halide::PipelineDef reluPipeline(const netc::halide::Shape3 &shape,
                                       const Halide::Target &target);
netc::halide::PipelineDef batchNormPipeline(const netc::halide::Shape3 &shape, bool relu,
                                            const Halide::Target &target);
netc::halide::PipelineDef zeroPadShortcutPipeline(const netc::halide::ZeroPadSpec &spec,
                                                  const Halide::Target &target);

}  // namespace netc::schedules
