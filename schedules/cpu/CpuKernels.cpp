#include "CpuKernels.h"

#include "schedules/cpu/WinogradSchedule.h"

namespace netc::schedules {

namespace nh = netc::halide;
using Halide::Target;

namespace {

std::string cacheKey(const std::string &op, const std::string &spec, const Target &t,
                     const std::string &sched) {
  return op + "|" + spec + "|" + t.to_string() + "|" + sched;
}

// The cached kernel of a pipeline: `build` returns its PipelineDef.
template <typename Build>
KernelPtr cached(const std::string &op, const std::string &specKey, const Target &t,
                 const std::string &schedKey, Build build) {
  return nh::KernelCache::global().get(cacheKey(op, specKey, t, schedKey), t, build);
}

// Schedule key of the ops with a simple (parameterless) schedule.
std::string simpleKey(const Target &t) {
  return t.has_gpu_feature() ? GpuSimpleSchedule{}.key() : defaultSimpleSchedule(t).key();
}

// Schedule of the NHWC ops that use scheduleNhwc (GPU: scheduleNhwcGpu);
// `width` is the output's.
nh::PipelineDef nhwcPipeline(nh::OpAlgo a, int outChannels, int width, const Target &t) {
  if (t.has_gpu_feature())
    scheduleNhwcGpu(a, outChannels, width, GpuSimpleSchedule{});
  else
    scheduleNhwc(a, outChannels, defaultSimpleSchedule(t));
  return nh::PipelineDef{a.out, a.inputs};
}

ConvSchedule cpuConvSchedule(const nh::ConvSpec &spec, const Target &t,
                             const std::optional<ConvSchedule> &schedule) {
  return clampConvSchedule(spec, schedule.value_or(defaultConvSchedule(spec, t)));
}

}  // namespace

// --- pipelines -------------------------------------------------------------

nh::PipelineDef convPipeline(const nh::ConvSpec &spec, const Target &t,
                             std::optional<ConvSchedule> schedule) {
  if (spec.winograd) {  // CPU only: preferredWinograd is 0 for GPU targets
    nh::WinogradAlgo w = nh::buildWinogradConv(spec);
    scheduleWinograd(w, cpuConvSchedule(spec, t, schedule));
    return nh::PipelineDef{w.conv.out, w.conv.inputs};
  }
  nh::ConvAlgo a = nh::buildConv(spec);
  if (t.has_gpu_feature())
    scheduleConvGpu(a, defaultGpuConvSchedule(spec));
  else
    scheduleConv(a, cpuConvSchedule(spec, t, schedule));
  return nh::PipelineDef{a.out, a.inputs};
}

nh::PipelineDef maxPoolPipeline(const nh::PoolSpec &spec, const Target &t) {
  return nhwcPipeline(nh::buildMaxPool(spec), spec.c, spec.outW(), t);
}

nh::PipelineDef avgPoolPipeline(const nh::PoolSpec &spec, const Target &t) {
  return nhwcPipeline(nh::buildAvgPool(spec), spec.c, spec.outW(), t);
}

nh::PipelineDef globalAvgPoolPipeline(const nh::GlobalPoolSpec &spec, const Target &t) {
  return nhwcPipeline(nh::buildGlobalAvgPool(spec), spec.c, 1, t);
}

nh::PipelineDef addPipeline(const nh::Shape3 &shape, bool relu, const Target &t) {
  return nhwcPipeline(nh::buildAdd(shape, relu), shape.c, shape.w, t);
}

nh::PipelineDef reluPipeline(const nh::Shape3 &shape, const Target &t) {
  return nhwcPipeline(nh::buildRelu(shape), shape.c, shape.w, t);
}

nh::PipelineDef batchNormPipeline(const nh::Shape3 &shape, bool relu, const Target &t) {
  return nhwcPipeline(nh::buildBatchNorm(shape, relu), shape.c, shape.w, t);
}

nh::PipelineDef zeroPadShortcutPipeline(const nh::ZeroPadSpec &spec, const Target &t) {
  return nhwcPipeline(nh::buildZeroPadShortcut(spec), spec.outC, spec.outW(), t);
}

nh::PipelineDef fcPipeline(const nh::FcSpec &spec, const Target &t) {
  nh::FcAlgo a = nh::buildFc(spec);
  if (t.has_gpu_feature())
    scheduleFcGpu(a, GpuSimpleSchedule{});
  else
    scheduleFc(a, defaultSimpleSchedule(t));
  return nh::PipelineDef{a.out, a.inputs};
}

nh::PipelineDef softmaxPipeline(const nh::SoftmaxSpec &spec, const Target &t) {
  nh::SoftmaxAlgo a = nh::buildSoftmax(spec);
  if (t.has_gpu_feature())
    scheduleSoftmaxGpu(a, spec.features, GpuSimpleSchedule{});
  else
    scheduleSoftmax(a, spec.features, defaultSimpleSchedule(t));
  return nh::PipelineDef{a.out, a.inputs};
}

nh::PipelineDef lrnPipeline(const nh::LrnSpec &spec, const Target &t) {
  nh::LrnAlgo a = nh::buildLrn(spec);
  if (t.has_gpu_feature())
    scheduleLrnGpu(a, spec.shape, GpuSimpleSchedule{});
  else
    scheduleLrn(a, spec.shape.c, defaultSimpleSchedule(t));
  return nh::PipelineDef{a.out, a.inputs};
}

// --- kernels ---------------------------------------------------------------

KernelPtr convKernel(const nh::ConvSpec &spec, const Target &t,
                     std::optional<ConvSchedule> schedule) {
  std::string sched = t.has_gpu_feature() ? defaultGpuConvSchedule(spec).key()
                                          : cpuConvSchedule(spec, t, schedule).key();
  return cached("conv", spec.key(), t, sched, [&] { return convPipeline(spec, t, schedule); });
}

KernelPtr maxPoolKernel(const nh::PoolSpec &spec, const Target &t) {
  return cached("maxpool", spec.key(), t, simpleKey(t), [&] { return maxPoolPipeline(spec, t); });
}

KernelPtr avgPoolKernel(const nh::PoolSpec &spec, const Target &t) {
  return cached("avgpool", spec.key(), t, simpleKey(t), [&] { return avgPoolPipeline(spec, t); });
}

KernelPtr globalAvgPoolKernel(const nh::GlobalPoolSpec &spec, const Target &t) {
  return cached("gap", spec.key(), t, simpleKey(t),
                [&] { return globalAvgPoolPipeline(spec, t); });
}

KernelPtr addKernel(const nh::Shape3 &shape, bool relu, const Target &t) {
  return cached(relu ? "add_relu" : "add", nh::shapeKey(shape), t, simpleKey(t),
                [&] { return addPipeline(shape, relu, t); });
}

KernelPtr reluKernel(const nh::Shape3 &shape, const Target &t) {
  return cached("relu", nh::shapeKey(shape), t, simpleKey(t),
                [&] { return reluPipeline(shape, t); });
}

KernelPtr batchNormKernel(const nh::Shape3 &shape, bool relu, const Target &t) {
  return cached(relu ? "bn_relu" : "bn", nh::shapeKey(shape), t, simpleKey(t),
                [&] { return batchNormPipeline(shape, relu, t); });
}

KernelPtr zeroPadShortcutKernel(const nh::ZeroPadSpec &spec, const Target &t) {
  return cached("zeropad", spec.key(), t, simpleKey(t),
                [&] { return zeroPadShortcutPipeline(spec, t); });
}

KernelPtr fcKernel(const nh::FcSpec &spec, const Target &t) {
  return cached("fc", spec.key(), t, simpleKey(t), [&] { return fcPipeline(spec, t); });
}

KernelPtr softmaxKernel(const nh::SoftmaxSpec &spec, const Target &t) {
  return cached("softmax", spec.key(), t, simpleKey(t), [&] { return softmaxPipeline(spec, t); });
}

KernelPtr lrnKernel(const nh::LrnSpec &spec, const Target &t) {
  return cached("lrn", spec.key(), t, simpleKey(t), [&] { return lrnPipeline(spec, t); });
}

}  // namespace netc::schedules
