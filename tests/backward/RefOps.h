// Plain double-precision forward ops (NHWC, batch n), the ground truth the
// gradients are finite-differenced from. Written for clarity, not speed.
#pragma once

#include "GradCheck.h"
#include "compiler/halide/Conv.h"
#include "compiler/halide/Eltwise.h"
#include "compiler/halide/Pool.h"

namespace netc::test::bwd {

// Convolution only (no post-ops); w is HWIO.
Vec refConv(const netc::halide::ConvSpec &s, int n, const Vec &x, const Vec &w);
// The option-A shortcut: out(c) = x(c - p, x*s, y*s) or 0.
Vec refZeroPad(const netc::halide::ZeroPadSpec &s, int n, const Vec &x);
Vec refRelu(const Vec &x);

struct BnOut {
  Vec y, mean, var;  // var biased
};
// Training-mode BatchNorm over (n, x, y) per channel (+ relu).
BnOut refBnTrain(const netc::halide::Shape3 &s, int n, const Vec &x, const Vec &gamma,
                 const Vec &beta, double eps, bool relu);

Vec refMaxPool(const netc::halide::PoolSpec &s, int n, const Vec &x);
Vec refAvgPool(const netc::halide::PoolSpec &s, int n, const Vec &x);
Vec refGlobalAvgPool(const netc::halide::GlobalPoolSpec &s, int n, const Vec &x);

// y(o, n) = sum_i W[o][i] x(i, n) + b(o); W row-major (out, in).
Vec refFc(int in, int out, int n, const Vec &x, const Vec &w, const Vec &b);
// Mean over the batch of -log softmax(z)[label].
double refXent(int classes, int n, const Vec &z, const std::vector<int> &labels);

}  // namespace netc::test::bwd
