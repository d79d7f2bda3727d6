#include "Tensor.h"

namespace netc::halide {

namespace {
// Dense NHWC strides for dims (c, x, y, n).
template <typename Dims>
void denseNhwc(Dims dimOf, const Shape3 &s) {
  dimOf(0).set_bounds(0, s.c).set_stride(1);
  dimOf(1).set_bounds(0, s.w).set_stride(s.c);
  dimOf(2).set_bounds(0, s.h).set_stride(s.c * s.w);
  dimOf(3).set_min(0).set_stride(s.c * s.w * s.h);
}
}  // namespace

void constrainNhwc(Halide::ImageParam &p, const Shape3 &s) {
  denseNhwc([&](int d) { return p.dim(d); }, s);
}

void constrainNhwcOutput(Halide::Func &f, const Shape3 &s) {
  Halide::OutputImageParam o = f.output_buffer();
  denseNhwc([&](int d) { return o.dim(d); }, s);
}

void constrainMatrix(Halide::ImageParam &p, int features) {
  p.dim(0).set_bounds(0, features).set_stride(1);
  p.dim(1).set_min(0).set_stride(features);
}

void constrainMatrixOutput(Halide::Func &f, int features) {
  Halide::OutputImageParam o = f.output_buffer();
  o.dim(0).set_bounds(0, features).set_stride(1);
  o.dim(1).set_min(0).set_stride(features);
}

void constrainVector(Halide::ImageParam &p, int extent) {
  p.dim(0).set_bounds(0, extent).set_stride(1);
}

int windowOutExtent(int in, int k, int stride, int pad, bool ceilMode) {
  int span = in + 2 * pad - k;
  int out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
  // PyTorch rule: the last window must start inside the input or left pad.
  if (ceilMode && (out - 1) * stride >= in + pad) --out;
  return out;
}

}  // namespace netc::halide
