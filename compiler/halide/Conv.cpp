#include "Conv.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace netc::halide {

using Halide::Expr;
using Halide::Float;
using Halide::Func;
using Halide::ImageParam;

double ConvSpec::flops(int batch) const {
  return 2.0 * batch * outH() * outW() * cout * cin * kh * kw;
}

ConvSpec ConvSpec::geometry() const {
  ConvSpec g = *this;
  g.bias = g.scaleShift = g.relu = false;
  g.residual = Residual::None;
  g.resC = g.resH = g.resW = 0;
  g.resStride = 1;
  g.wBlock = g.winograd = 0;
  g.winogradFromHwio = false;
  return g;
}

std::string ConvSpec::key() const {
  std::ostringstream k;
  k << "conv ci" << cin << " co" << cout << " k" << kh << "x" << kw << " s" << sH() << "x"
    << sW() << " p" << pTop() << "," << pLeft() << "," << pBottom() << "," << pRight() << " in"
    << inH << "x" << inW << (bias ? " bias" : "")
    << (scaleShift ? " bn" : "") << (relu ? " relu" : "");
  if (wBlock) k << " wb" << wBlock;
  if (winograd) k << " wg" << winograd << (winogradFromHwio ? "hwio" : "");
  if (residual == Residual::Same) k << " res";
  if (residual == Residual::ZeroPadded)
    k << " resA" << resC << "x" << resH << "x" << resW << "s" << resStride;
  return k.str();
}

void ConvSpec::validate() const {
  auto fail = [&](const char *why) { throw std::invalid_argument(key() + ": " + why); };
  if (cin < 1 || cout < 1 || kh < 1 || kw < 1 || sH() < 1 || sW() < 1) fail("bad sizes");
  if (std::min({pTop(), pLeft(), pBottom(), pRight()}) < 0) fail("negative padding");
  if (inH + pTop() + pBottom() < kh || inW + pLeft() + pRight() < kw)
    fail("kernel larger than padded input");
  if (wBlock < 0 || (wBlock > 0 && (wBlock % 16 != 0 || cout % wBlock != 0)))
    fail("weight block must be a multiple of 16 dividing cout");
  if (winograd != 0 && winograd != 2 && winograd != 4) fail("winograd tile must be 0, 2 or 4");
  if (winograd && !winogradApplies()) fail("winograd needs 3x3, stride 1, cin % 8, cout % 16");
  if (winogradFromHwio && !winograd) fail("HWIO Winograd weights without a Winograd tile");
  if (residual != Residual::ZeroPadded) return;
  if (resC < 1 || resC > cout || resStride < 1) fail("bad shortcut channels or stride");
  if ((outW() - 1) * resStride >= resW || (outH() - 1) * resStride >= resH)
    fail("shortcut smaller than the output");
}

bool ConvSpec::winogradApplies() const {
  return kh == 3 && kw == 3 && sH() == 1 && sW() == 1 && cin % 8 == 0 && cout % 16 == 0;
}

namespace {

ImageParam vectorParam(const char *name, int extent) {
  ImageParam p(Float(32), 1, name);
  constrainVector(p, extent);
  return p;
}

}  // namespace

void declareConvInputs(ConvAlgo &a) {
  const ConvSpec &s = a.spec;
  a.input = ImageParam(Float(32), 4, "conv_in");
  constrainNhwc(a.input, {s.cin, s.inW, s.inH});
  if (s.winograd > 0 && !s.winogradFromHwio) {  // U = G g G^T: (cb, ci, cob, ax, ay), dense
    const int block = s.wBlock > 0 ? s.wBlock : s.cout, alpha = s.winograd + 2;
    a.weights = ImageParam(Float(32), 5, "conv_w");
    int extents[5] = {block, s.cin, s.cout / block, alpha, alpha};
    int stride = 1;
    for (int d = 0; d < 5; ++d) {
      a.weights.dim(d).set_bounds(0, extents[d]).set_stride(stride);
      stride *= extents[d];
    }
  } else if (s.wBlock > 0 && !s.winograd) {
    a.weights = ImageParam(Float(32), 5, "conv_w");
    int extents[5] = {s.wBlock, s.cin, s.kw, s.kh, s.cout / s.wBlock};
    int stride = 1;
    for (int d = 0; d < 5; ++d) {
      a.weights.dim(d).set_bounds(0, extents[d]).set_stride(stride);
      stride *= extents[d];
    }
  } else {
    a.weights = ImageParam(Float(32), 4, "conv_w");
    // HWIO is dense with the same stride pattern as an NHWC tensor.
    constrainNhwc(a.weights, {s.cout, s.cin, s.kw});
    a.weights.dim(3).set_bounds(0, s.kh);
  }
  a.inputs = {a.input, a.weights};
  if (s.bias) a.inputs.push_back(a.bias = vectorParam("conv_bias", s.cout));
  if (s.scaleShift) {
    a.inputs.push_back(a.scale = vectorParam("conv_scale", s.cout));
    a.inputs.push_back(a.shift = vectorParam("conv_shift", s.cout));
  }
  if (s.residual == Residual::Same) {
    a.residual = ImageParam(Float(32), 4, "conv_res");
    constrainNhwc(a.residual, {s.cout, s.outW(), s.outH()});
    a.inputs.push_back(a.residual);
  } else if (s.residual == Residual::ZeroPadded) {
    a.residual = ImageParam(Float(32), 4, "conv_res");
    constrainNhwc(a.residual, {s.resC, s.resW, s.resH});
    a.inputs.push_back(a.residual);
  }
}

namespace {

// Zero padding only in x and y; no boundary logic at all without padding.
void definePadded(ConvAlgo &a) {
  const ConvSpec &s = a.spec;
  if (!s.hasPadding()) {
    a.padded = Func(a.input);
    return;
  }
  Halide::Region box = {{Expr(), Expr()}, {0, s.inW}, {0, s.inH}, {Expr(), Expr()}};
  a.padded = Halide::BoundaryConditions::constant_exterior(a.input, 0.f, box);
}

// A vectorised schedule rounds the co extent up to the vector width; when
// cout is not a multiple of 16 the extra lanes must read zeros, not past the
// end of the weights.
void defineWeights(ConvAlgo &a) {
  const ConvSpec &s = a.spec;
  if (s.wBlock > 0) {  // cout is a multiple of the block: nothing to extend
    Halide::Var co("co"), ci("ci"), kx("kx"), ky("ky");
    a.wts = Func("conv_wts");
    a.wts(co, ci, kx, ky) = a.weights(co % s.wBlock, ci, kx, ky, co / s.wBlock);
    return;
  }
  if (!weightsZeroExtended(s)) {
    a.wts = Func(a.weights);
    return;
  }
  Halide::Region box = {{0, s.cout}, {Expr(), Expr()}, {Expr(), Expr()}, {Expr(), Expr()}};
  a.wts = Halide::BoundaryConditions::constant_exterior(a.weights, 0.f, box);
}

Expr residualTerm(const ConvAlgo &a) {
  const ConvSpec &s = a.spec;
  const NhwcVars &v = a.v;
  if (s.residual == Residual::Same) return a.residual(v.c, v.x, v.y, v.n);
  // Zero channels split evenly around the shortcut's (dsl/Network.h).
  int before = (s.cout - s.resC) / 2;
  Expr src = v.c - before;
  Expr cc = Halide::clamp(src, 0, s.resC - 1);
  Expr val = a.residual(cc, v.x * s.resStride, v.y * s.resStride, v.n);
  return Halide::select(src >= 0 && src < s.resC, val, 0.f);
}

}  // namespace

void defineConvOutput(ConvAlgo &a) {
  const ConvSpec &s = a.spec;
  const NhwcVars &v = a.v;
  Expr e = a.conv(v.c, v.x, v.y, v.n);
  if (s.bias) e = e + a.bias(v.c);
  if (s.scaleShift) e = e * a.scale(v.c) + a.shift(v.c);
  if (s.residual != Residual::None) e = e + residualTerm(a);
  if (s.relu) e = Halide::max(e, 0.f);
  a.out(v.c, v.x, v.y, v.n) = e;
  constrainNhwcOutput(a.out, {s.cout, s.outW(), s.outH()});
}

ConvAlgo buildConv(const ConvSpec &spec) {
  spec.validate();
  ConvAlgo a;
  a.spec = spec;
  a.padded = Func("conv_padded");
  a.conv = Func("conv_sum");
  a.out = Func("conv_out");
  if (spec.winograd)
    throw std::invalid_argument(spec.key() + ": a Winograd spec is built by buildWinogradConv");
  declareConvInputs(a);
  definePadded(a);
  defineWeights(a);
  const NhwcVars &v = a.v;
  a.r = Halide::RDom(0, spec.cin, 0, spec.kw, 0, spec.kh, "r");
  Expr ix = v.x * spec.sW() + a.r.y - spec.pLeft();
  Expr iy = v.y * spec.sH() + a.r.z - spec.pTop();
  a.conv(v.c, v.x, v.y, v.n) = 0.f;
  a.conv(v.c, v.x, v.y, v.n) += a.wts(v.c, a.r.x, a.r.y, a.r.z) * a.padded(a.r.x, ix, iy, v.n);
  defineConvOutput(a);
  return a;
}

std::vector<float> hwioToBlocked(const float *hwio, int cout, int cin, int kw, int kh, int block) {
  if (block <= 0 || cout % block != 0)
    throw std::invalid_argument("hwioToBlocked: block must divide cout");
  std::vector<float> out(static_cast<size_t>(cout) * cin * kw * kh);
  size_t k = 0;
  for (int cob = 0; cob < cout / block; ++cob)
    for (int ky = 0; ky < kh; ++ky)
      for (int kx = 0; kx < kw; ++kx)
        for (int ci = 0; ci < cin; ++ci) {
          const float *src = hwio + ((static_cast<size_t>(ky) * kw + kx) * cin + ci) * cout +
                             static_cast<size_t>(cob) * block;
          for (int cb = 0; cb < block; ++cb) out[k++] = src[cb];
        }
  return out;
}

}  // namespace netc::halide
