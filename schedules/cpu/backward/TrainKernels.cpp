#include "TrainKernels.h"

#include "schedules/cuda/GpuTrainSchedules.h"

#include <sstream>

namespace netc::schedules::backward {

using Halide::Target;

namespace {

std::string cacheKey(const std::string &op, const std::string &spec, const Target &t,
                     const std::string &sched) {
  return op + "|" + spec + "|" + t.to_string() + "|" + sched;
}

std::string poolKey(const nh::PoolSpec &s) { return s.key(); }

bool gpu(const Target &t) { return t.has_gpu_feature(); }

// The schedule part of a cache key: GPU schedules have no parameters yet
// (the register-tiled conv gradients say gpu-v2).
std::string schedKey(const TrainSchedule &s, const Target &t) {
  return gpu(t) ? std::string("gpu-v1") : s.key();
}

// An op whose outputs are all NHWC with `channels` channels, `width` wide.
template <typename Build>
TrainKernelPtr nhwcKernel(const std::string &op, const std::string &spec, int channels,
                          int width, const Target &t, Build build) {
  TrainSchedule s = defaultTrainSchedule(t);
  return cachedTrainKernel(cacheKey(op, spec, t, schedKey(s, t)), t, [&] {
    nb::TrainAlgo a = build();
    if (gpu(t)) {
      for (Halide::Func f : a.outs) scheduleNhwcOutGpu(f, a.v, channels, width);
      scheduleRootFuncsGpu(a, channels);
      return a;
    }
    for (Halide::Func f : a.outs) scheduleNhwcOut(f, a.v, channels, s);
    scheduleRootFuncs(a, channels, s);
    return a;
  });
}

// An op over flat arrays.
template <typename Build>
TrainKernelPtr flatKernel(const std::string &op, const std::string &spec, const Target &t,
                          Build build) {
  TrainSchedule s = defaultTrainSchedule(t);
  return cachedTrainKernel(cacheKey(op, spec, t, schedKey(s, t)), t, [&] {
    nb::TrainAlgo a = build();
    for (Halide::Func f : a.outs) gpu(t) ? scheduleFlatOutGpu(f) : scheduleFlatOut(f, s);
    return a;
  });
}

// A kernel with one output.
nb::TrainAlgo singleOutput(Halide::Func out, std::vector<Halide::ImageParam> inputs) {
  nb::TrainAlgo a;
  a.outs = {out};
  a.inputs = std::move(inputs);
  return a;
}

}  // namespace

TrainKernelPtr convDxKernel(const nb::ConvDxSpec &spec, const Target &t,
                            std::optional<ConvDxSchedule> sched) {
  if (gpu(t))
    return cachedTrainKernel(cacheKey("convdx", spec.key(), t, "gpu-v2"), t, [&] {
      nb::ConvDxAlgo a = nb::buildConvDx(spec);
      scheduleConvDxGpu(a);
      return singleOutput(a.out, a.inputs);
    });
  ConvDxSchedule s = clampConvDxSchedule(spec, sched.value_or(defaultConvDxSchedule(spec, t)));
  return cachedTrainKernel(cacheKey("convdx", spec.key(), t, s.key()), t, [&] {
    if (s.winograd) {
      nb::WinogradDxAlgo w = nb::buildWinogradDx(spec, s.winograd, winogradDxBlock(spec, s));
      scheduleWinogradDx(w, s);
      return singleOutput(w.dx.out, w.dx.inputs);
    }
    nb::ConvDxAlgo a = nb::buildConvDx(spec);
    scheduleConvDx(a, s);
    return singleOutput(a.out, a.inputs);
  });
}

TrainKernelPtr convDwKernel(const nh::ConvSpec &spec, const Target &t,
                            std::optional<ConvDwSchedule> sched) {
  if (gpu(t))
    return cachedTrainKernel(cacheKey("convdw", spec.key(), t, "gpu-v2"), t, [&] {
      nb::ConvDwAlgo a = nb::buildConvDw(spec);
      scheduleConvDwGpu(a);
      return singleOutput(a.out, a.inputs);
    });
  ConvDwSchedule s = clampConvDwSchedule(spec, sched.value_or(defaultConvDwSchedule(spec, t)));
  return cachedTrainKernel(cacheKey("convdw", spec.key(), t, s.key()), t, [&] {
    if (s.winograd) {
      nb::WinogradDwAlgo w = nb::buildWinogradDw(spec, s.winograd, s.imagesPerBlock);
      scheduleWinogradDw(w, s);
      return singleOutput(w.out, w.inputs);
    }
    nb::ConvDwAlgo a = nb::buildConvDw(spec);
    scheduleConvDw(a, s);
    return singleOutput(a.out, a.inputs);
  });
}

TrainKernelPtr convDbKernel(const nh::ConvSpec &spec, const Target &t) {
  TrainSchedule s = defaultTrainSchedule(t);
  return cachedTrainKernel(cacheKey("convdb", spec.key(), t, schedKey(s, t)), t, [&] {
    nb::ConvDbAlgo a = nb::buildConvDb(spec);
    if (gpu(t)) scheduleConvDbGpu(a, spec.cout);
    else scheduleConvDb(a, spec.cout, s.vec);
    return singleOutput(a.out, a.inputs);
  });
}

TrainKernelPtr bnTrainForwardKernel(const nb::BnTrainSpec &spec, const Target &t) {
  TrainSchedule s = defaultTrainSchedule(t);
  return cachedTrainKernel(cacheKey("bntrain_fwd", spec.key(), t, schedKey(s, t)), t, [&] {
    nb::TrainAlgo a = nb::buildBnTrainForward(spec);
    if (gpu(t)) scheduleBnTrainGpu(a, spec.shape);
    else scheduleBnTrain(a, spec.shape.c, s);
    return a;
  });
}

TrainKernelPtr bnTrainBackwardKernel(const nb::BnTrainSpec &spec, const Target &t) {
  TrainSchedule s = defaultTrainSchedule(t);
  return cachedTrainKernel(cacheKey("bntrain_bwd", spec.key(), t, schedKey(s, t)), t, [&] {
    nb::TrainAlgo a = nb::buildBnTrainBackward(spec);
    if (gpu(t)) scheduleBnTrainGpu(a, spec.shape);
    else scheduleBnTrain(a, spec.shape.c, s);
    return a;
  });
}

TrainKernelPtr maxPoolBackwardKernel(const nh::PoolSpec &spec, const Target &t) {
  return nhwcKernel("maxpool_bwd", poolKey(spec), spec.c, spec.inW, t,
                    [&] { return nb::buildMaxPoolBackward(spec); });
}

TrainKernelPtr avgPoolBackwardKernel(const nh::PoolSpec &spec, const Target &t) {
  return nhwcKernel("avgpool_bwd", poolKey(spec), spec.c, spec.inW, t,
                    [&] { return nb::buildAvgPoolBackward(spec); });
}

TrainKernelPtr globalAvgPoolBackwardKernel(const nh::GlobalPoolSpec &spec, const Target &t) {
  return nhwcKernel("gap_bwd", spec.key(), spec.c, spec.inW, t,
                    [&] { return nb::buildGlobalAvgPoolBackward(spec); });
}

TrainKernelPtr zeroPadShortcutBackwardKernel(const nh::ZeroPadSpec &spec, const Target &t) {
  return nhwcKernel("zeropad_bwd", spec.key(), spec.in.c, spec.in.w, t,
                    [&] { return nb::buildZeroPadShortcutBackward(spec); });
}

TrainKernelPtr fcBackwardKernel(const nh::FcSpec &spec, const Target &t) {
  TrainSchedule s = defaultTrainSchedule(t);
  return cachedTrainKernel(cacheKey("fc_bwd", spec.key(), t, schedKey(s, t)), t, [&] {
    nb::TrainAlgo a = nb::buildFcBackward(spec);
    if (gpu(t)) scheduleFcBackwardGpu(a, spec.in, spec.out);
    else scheduleFcBackward(a, spec.in, spec.out, s);
    return a;
  });
}

TrainKernelPtr softmaxXentKernel(const nb::SoftmaxXentSpec &spec, const Target &t) {
  TrainSchedule s = defaultTrainSchedule(t);
  return cachedTrainKernel(cacheKey("xent", spec.key(), t, schedKey(s, t)), t, [&] {
    nb::TrainAlgo a = nb::buildSoftmaxCrossEntropy(spec);
    if (gpu(t)) scheduleXentGpu(a, spec.classes);
    else scheduleXent(a, spec.classes, s);
    return a;
  });
}

TrainKernelPtr reluBackwardKernel(const Target &t) {
  return flatKernel("relu_bwd", "flat", t, [] { return nb::buildReluBackward(); });
}

TrainKernelPtr dropoutKernel(float p, const Target &t) {
  std::ostringstream k;
  k << "p" << p;
  return flatKernel("dropout", k.str(), t, [&] { return nb::buildDropout(p); });
}

TrainKernelPtr sgdKernel(const Target &t) {
  // On a GPU the gradient may be a view from an aligned base (CTrainGpuSource.cpp).
  return flatKernel("sgd", "flat", t, [&] { return nb::buildSgd(gpu(t)); });
}

TrainKernelPtr flatCopyKernel(const Target &t) {
  return flatKernel("copy", "flat", t, [&] { return nb::buildFlatCopy(gpu(t)); });
}

TrainKernelPtr nchwToNhwcKernel(const nh::Shape3 &shape, const Target &t) {
  std::ostringstream k;
  k << shape.c << "x" << shape.h << "x" << shape.w;
  return nhwcKernel("nchw_to_nhwc", k.str(), shape.c, shape.w, t,
                    [&] { return nb::buildNchwToNhwc(shape); });
}

}  // namespace netc::schedules::backward
