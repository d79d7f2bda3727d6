#include "TrainKernels.h"

#include <sstream>

namespace netc::schedules::backward {

using Halide::Target;

namespace {

std::string cacheKey(const std::string &op, const std::string &spec, const Target &t,
                     const std::string &sched) {
  return op + "|" + spec + "|" + t.to_string() + "|" + sched;
}

std::string poolKey(const nh::PoolSpec &s) { return s.key(); }

// An op whose outputs are all NHWC with `channels` channels.
template <typename Build>
TrainKernelPtr nhwcKernel(const std::string &op, const std::string &spec, int channels,
                          const Target &t, Build build) {
  TrainSchedule s = defaultTrainSchedule(t);
  return cachedTrainKernel(cacheKey(op, spec, t, s.key()), t, [&] {
    nb::TrainAlgo a = build();
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
  return cachedTrainKernel(cacheKey(op, spec, t, s.key()), t, [&] {
    nb::TrainAlgo a = build();
    for (Halide::Func f : a.outs) scheduleFlatOut(f, s);
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
  return cachedTrainKernel(cacheKey("convdb", spec.key(), t, s.key()), t, [&] {
    nb::ConvDbAlgo a = nb::buildConvDb(spec);
    scheduleConvDb(a, spec.cout, s.vec);
    return singleOutput(a.out, a.inputs);
  });
}

TrainKernelPtr bnTrainForwardKernel(const nb::BnTrainSpec &spec, const Target &t) {
  TrainSchedule s = defaultTrainSchedule(t);
  return cachedTrainKernel(cacheKey("bntrain_fwd", spec.key(), t, s.key()), t, [&] {
    nb::TrainAlgo a = nb::buildBnTrainForward(spec);
    scheduleBnTrain(a, spec.shape.c, s);
    return a;
  });
}

TrainKernelPtr bnTrainBackwardKernel(const nb::BnTrainSpec &spec, const Target &t) {
  TrainSchedule s = defaultTrainSchedule(t);
  return cachedTrainKernel(cacheKey("bntrain_bwd", spec.key(), t, s.key()), t, [&] {
    nb::TrainAlgo a = nb::buildBnTrainBackward(spec);
    scheduleBnTrain(a, spec.shape.c, s);
    return a;
  });
}

TrainKernelPtr maxPoolBackwardKernel(const nh::PoolSpec &spec, const Target &t) {
  return nhwcKernel("maxpool_bwd", poolKey(spec), spec.c, t,
                    [&] { return nb::buildMaxPoolBackward(spec); });
}

TrainKernelPtr avgPoolBackwardKernel(const nh::PoolSpec &spec, const Target &t) {
  return nhwcKernel("avgpool_bwd", poolKey(spec), spec.c, t,
                    [&] { return nb::buildAvgPoolBackward(spec); });
}

TrainKernelPtr globalAvgPoolBackwardKernel(const nh::GlobalPoolSpec &spec, const Target &t) {
  return nhwcKernel("gap_bwd", spec.key(), spec.c, t,
                    [&] { return nb::buildGlobalAvgPoolBackward(spec); });
}

TrainKernelPtr zeroPadShortcutBackwardKernel(const nh::ZeroPadSpec &spec, const Target &t) {
  return nhwcKernel("zeropad_bwd", spec.key(), spec.in.c, t,
                    [&] { return nb::buildZeroPadShortcutBackward(spec); });
}

TrainKernelPtr fcBackwardKernel(const nh::FcSpec &spec, const Target &t) {
  TrainSchedule s = defaultTrainSchedule(t);
  return cachedTrainKernel(cacheKey("fc_bwd", spec.key(), t, s.key()), t, [&] {
    nb::TrainAlgo a = nb::buildFcBackward(spec);
    scheduleFcBackward(a, spec.in, spec.out, s);
    return a;
  });
}

TrainKernelPtr softmaxXentKernel(const nb::SoftmaxXentSpec &spec, const Target &t) {
  TrainSchedule s = defaultTrainSchedule(t);
  return cachedTrainKernel(cacheKey("xent", spec.key(), t, s.key()), t, [&] {
    nb::TrainAlgo a = nb::buildSoftmaxCrossEntropy(spec);
    scheduleXent(a, spec.classes, s);
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
  return flatKernel("sgd", "flat", t, [] { return nb::buildSgd(); });
}

}  // namespace netc::schedules::backward
