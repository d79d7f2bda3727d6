#include "WinogradDw.h"

#include <stdexcept>

namespace netc::halide::backward {

using Halide::Expr;
using Halide::Func;
using Halide::Var;

namespace {

// X zero outside the image and past the batch: the last block may be partial.
void declareInputs(WinogradDwAlgo &a) {
  const ConvSpec &s = a.spec;
  a.dy = nhwcParam("dy", {s.cout, s.outW(), s.outH()});
  a.input = nhwcParam("dw_x", {s.cin, s.inW, s.inH});
  a.inputs = {a.dy, a.input};
  Halide::Region ybox = {{Expr(), Expr()}, {0, s.outW()}, {0, s.outH()}, {0, a.dy.dim(3).extent()}};
  a.dyExt = Halide::BoundaryConditions::constant_exterior(a.dy, 0.f, ybox);
}

// dYt = A dY A^T per tile: A is alpha x m.
void defineDyTransform(WinogradDwAlgo &a) {
  const WinogradRows am = winogradMatrix(a.m, WinogradMatrix::AT, true);
  const NhwcVars &v = a.x.conv.v;
  Var tx = a.x.tx, ty = a.x.ty, ax = a.x.ax, ay = a.x.ay, i = a.x.i;
  a.dyRows = Func("wdw_dy_rows");
  a.dyTile = Func("wdw_dy_tile");
  a.dyRows(v.c, tx, ty, v.n, i, ay) = winogradApplyRows(
      am, ay, [&](int j) { return a.dyExt(v.c, tx * a.m + i, ty * a.m + j, v.n); });
  a.dyTile(v.c, tx, ty, v.n, ax, ay) = winogradApplyRows(
      am, ax, [&](int j) { return a.dyRows(v.c, tx, ty, v.n, j, ay); });
}

// M: per block of images, the tiles' products summed, then the blocks.
void defineProduct(WinogradDwAlgo &a) {
  const int k = a.imagesPerBlock;
  Var ax = a.x.ax, ay = a.x.ay;
  a.rt = Halide::RDom(0, a.x.tilesX, 0, a.x.tilesY, 0, k, "rt");
  Expr n = a.b * k + a.rt.z;
  a.block = Func("wdw_block");
  a.block(a.co, a.ci, ax, ay, a.b) = 0.f;
  a.block(a.co, a.ci, ax, ay, a.b) += a.dyTile(a.co, a.rt.x, a.rt.y, n, ax, ay) *
                                       a.x.inTile(a.ci, a.rt.x, a.rt.y, n, ax, ay);
  a.rb = Halide::RDom(0, (a.dy.dim(3).extent() + k - 1) / k, "rb");
  a.sum = Func("wdw_sum");
  a.sum(a.co, a.ci, ax, ay) = 0.f;
  a.sum(a.co, a.ci, ax, ay) += a.block(a.co, a.ci, ax, ay, a.rb);
}

// dW = G^T M G, HWIO.
void defineOutput(WinogradDwAlgo &a) {
  const WinogradRows gt = winogradMatrix(a.m, WinogradMatrix::G, true);
  Var ax = a.x.ax, ay = a.x.ay;
  a.outRows = Func("wdw_out_rows");
  a.out = Func("convdw");
  a.outRows(a.co, a.ci, a.kx, ay) =
      winogradApplyRows(gt, a.kx, [&](int j) { return a.sum(a.co, a.ci, j, ay); });
  a.out(a.co, a.ci, a.kx, a.ky) =
      winogradApplyRows(gt, a.ky, [&](int j) { return a.outRows(a.co, a.ci, a.kx, j); });
  const ConvSpec &s = a.spec;
  Halide::OutputImageParam o = a.out.output_buffer();
  o.dim(0).set_bounds(0, s.cout).set_stride(1);
  o.dim(1).set_bounds(0, s.cin).set_stride(s.cout);
  o.dim(2).set_bounds(0, 3).set_stride(s.cout * s.cin);
  o.dim(3).set_bounds(0, 3).set_stride(s.cout * s.cin * 3);
}

}  // namespace

WinogradDwAlgo buildWinogradDw(const ConvSpec &specIn, int m, int imagesPerBlock) {
  ConvSpec spec = specIn.geometry();
  spec.winograd = m;
  spec.validate();  // 3x3, stride 1, cin % 8, cout % 16; m is 2 or 4
  if (imagesPerBlock < 1) throw std::invalid_argument(spec.key() + ": images per block < 1");
  WinogradDwAlgo a;
  a.spec = specIn.geometry();
  a.m = m;
  a.imagesPerBlock = imagesPerBlock;
  declareInputs(a);
  a.x = newWinogradAlgo(spec);
  a.x.conv.input = a.input;
  defineWinogradInputTransform(a.x, true);
  defineDyTransform(a);
  defineProduct(a);
  defineOutput(a);
  return a;
}

}  // namespace netc::halide::backward
