#include "CpuKernels.h"

namespace netc::schedules {

namespace nh = netc::halide;
using Halide::Target;

namespace {

std::string cacheKey(const std::string &op, const std::string &spec, const Target &t,
                     const std::string &sched) {
  return op + "|" + spec + "|" + t.to_string() + "|" + sched;
}

// Shared path of the NHWC ops that use scheduleNhwc.
template <typename Build>
KernelPtr nhwcKernel(const std::string &op, const std::string &specKey, int outChannels,
                     const Target &t, Build build) {
  SimpleSchedule s = defaultSimpleSchedule(t);
  return nh::KernelCache::global().get(cacheKey(op, specKey, t, s.key()), t, [&] {
    nh::OpAlgo a = build();
    scheduleNhwc(a, outChannels, s);
    return nh::PipelineDef{a.out, a.inputs};
  });
}

}  // namespace

KernelPtr convKernel(const nh::ConvSpec &spec, const Target &t,
                     std::optional<ConvSchedule> schedule) {
  ConvSchedule s = clampConvSchedule(spec, schedule.value_or(defaultConvSchedule(spec, t)));
  return nh::KernelCache::global().get(cacheKey("conv", spec.key(), t, s.key()), t, [&] {
    nh::ConvAlgo a = nh::buildConv(spec);
    scheduleConv(a, s);
    return nh::PipelineDef{a.out, a.inputs};
  });
}

KernelPtr maxPoolKernel(const nh::PoolSpec &spec, const Target &t) {
  return nhwcKernel("maxpool", spec.key(), spec.c, t, [&] { return nh::buildMaxPool(spec); });
}

KernelPtr avgPoolKernel(const nh::PoolSpec &spec, const Target &t) {
  return nhwcKernel("avgpool", spec.key(), spec.c, t, [&] { return nh::buildAvgPool(spec); });
}

KernelPtr globalAvgPoolKernel(const nh::GlobalPoolSpec &spec, const Target &t) {
  return nhwcKernel("gap", spec.key(), spec.c, t, [&] { return nh::buildGlobalAvgPool(spec); });
}

KernelPtr addKernel(const nh::Shape3 &shape, bool relu, const Target &t) {
  return nhwcKernel(relu ? "add_relu" : "add", nh::shapeKey(shape), shape.c, t,
                    [&] { return nh::buildAdd(shape, relu); });
}

KernelPtr reluKernel(const nh::Shape3 &shape, const Target &t) {
  return nhwcKernel("relu", nh::shapeKey(shape), shape.c, t, [&] { return nh::buildRelu(shape); });
}

KernelPtr batchNormKernel(const nh::Shape3 &shape, bool relu, const Target &t) {
  return nhwcKernel(relu ? "bn_relu" : "bn", nh::shapeKey(shape), shape.c, t,
                    [&] { return nh::buildBatchNorm(shape, relu); });
}

KernelPtr zeroPadShortcutKernel(const nh::ZeroPadSpec &spec, const Target &t) {
  return nhwcKernel("zeropad", spec.key(), spec.outC, t,
                    [&] { return nh::buildZeroPadShortcut(spec); });
}

KernelPtr fcKernel(const nh::FcSpec &spec, const Target &t) {
  SimpleSchedule s = defaultSimpleSchedule(t);
  return nh::KernelCache::global().get(cacheKey("fc", spec.key(), t, s.key()), t, [&] {
    nh::FcAlgo a = nh::buildFc(spec);
    scheduleFc(a, s);
    return nh::PipelineDef{a.out, a.inputs};
  });
}

KernelPtr softmaxKernel(const nh::SoftmaxSpec &spec, const Target &t) {
  SimpleSchedule s = defaultSimpleSchedule(t);
  return nh::KernelCache::global().get(cacheKey("softmax", spec.key(), t, s.key()), t, [&] {
    nh::SoftmaxAlgo a = nh::buildSoftmax(spec);
    scheduleSoftmax(a, spec.features, s);
    return nh::PipelineDef{a.out, a.inputs};
  });
}

KernelPtr lrnKernel(const nh::LrnSpec &spec, const Target &t) {
  SimpleSchedule s = defaultSimpleSchedule(t);
  return nh::KernelCache::global().get(cacheKey("lrn", spec.key(), t, s.key()), t, [&] {
    nh::LrnAlgo a = nh::buildLrn(spec);
    scheduleLrn(a, spec.shape.c, s);
    return nh::PipelineDef{a.out, a.inputs};
  });
}

}  // namespace netc::schedules
