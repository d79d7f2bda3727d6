// What a training-op algorithm hands to its schedule: several outputs (a
// backward op often yields a tensor gradient and parameter gradients in one
// pass), typed inputs (labels are int32) and scalar parameters (the SGD
// hyperparameters change from step to step without a recompile).
#pragma once

#include "compiler/halide/Tensor.h"

#include <vector>

namespace netc::halide::backward {

struct TrainAlgo {
  std::vector<Halide::Func> outs;              // pipeline outputs, in call order
  std::vector<Halide::ImageParam> inputs;      // buffer inputs, in call order
  std::vector<Halide::Param<float>> scalars;   // scalar inputs, in call order
  NhwcVars v;                                  // loop variables of NHWC outputs
  // Intermediates a schedule computes once at root, vectorised over their
  // first dimension; per-channel sums f(c) = 0; f(c) += ... over `sumDom`
  // get their reduction loops outside the vector.
  std::vector<Halide::Func> rootFuncs;
  Halide::RDom sumDom;
};

// A dense 1-D array of runtime length (flat parameters, flat activations).
inline Halide::ImageParam flatParam(const char *name, Halide::Type t = Halide::Float(32)) {
  Halide::ImageParam p(t, 1, name);
  p.dim(0).set_min(0).set_stride(1);
  return p;
}

// The same, or (anyMin) one that may start at any index: a GPU library
// views an array that starts inside an aligned block through a buffer
// whose min is negative (runtime/aot/CTrainGpuSource.cpp).
inline Halide::ImageParam flatInput(const char *name, bool anyMin) {
  if (!anyMin) return flatParam(name);
  Halide::ImageParam p(Halide::Float(32), 1, name);
  p.dim(0).set_stride(1);
  return p;
}

inline Halide::ImageParam nhwcParam(const char *name, const Shape3 &s) {
  Halide::ImageParam p(Halide::Float(32), 4, name);
  constrainNhwc(p, s);
  return p;
}

inline Halide::ImageParam vecParam(const char *name, int extent) {
  Halide::ImageParam p(Halide::Float(32), 1, name);
  constrainVector(p, extent);
  return p;
}

}  // namespace netc::halide::backward
