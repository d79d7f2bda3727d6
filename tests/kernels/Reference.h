// Plain C++ reference implementations (double accumulation) of the ops.
// Tensors use the Halide dims of the kernels: NHWC as (c, x, y, n).
#pragma once

#include "Helpers.h"
#include "compiler/halide/Conv.h"
#include "compiler/halide/Eltwise.h"
#include "compiler/halide/Fc.h"
#include "compiler/halide/Lrn.h"
#include "compiler/halide/Pool.h"

namespace netc::test {

struct ConvInputs {
  Buf x, w, bias, scale, shift, residual;
};

Buf refConv(const netc::halide::ConvSpec &s, const ConvInputs &in);
Buf refMaxPool(const netc::halide::PoolSpec &s, const Buf &x);
Buf refAvgPool(const netc::halide::PoolSpec &s, const Buf &x);
Buf refGlobalAvgPool(const Buf &x);
Buf refFc(const netc::halide::FcSpec &s, const Buf &x, const Buf &w, const Buf &bias);
Buf refSoftmax(const Buf &x);
Buf refLrn(const netc::halide::LrnSpec &s, const Buf &x);
Buf refZeroPad(const netc::halide::ZeroPadSpec &s, const Buf &x);

}  // namespace netc::test
