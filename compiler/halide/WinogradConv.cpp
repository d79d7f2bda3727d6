#include "WinogradConv.h"

#include <functional>
#include <stdexcept>

namespace netc::halide {

using Halide::Expr;
using Halide::Func;
using Halide::Var;

namespace {

using Matrix = std::vector<std::vector<double>>;

// The transforms of Lavin & Gray for the points 0, +-1, (+-2,) infinity.
struct Transforms {
  Matrix bt, g, at;
};

const Transforms &transforms(int m) {
  static const Transforms f2{
      {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}},
      {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}},
      {{1, 1, 1, 0}, {0, 1, -1, -1}}};
  static const Transforms f4{
      {{4, 0, -5, 0, 1, 0},
       {0, -4, -4, 1, 1, 0},
       {0, 4, -4, -1, 1, 0},
       {0, -2, -1, 2, 1, 0},
       {0, 2, -1, -2, 1, 0},
       {0, 4, 0, -5, 0, 1}},
      {{1 / 4., 0, 0},
       {-1 / 6., -1 / 6., -1 / 6.},
       {-1 / 6., 1 / 6., -1 / 6.},
       {1 / 24., 1 / 12., 1 / 6.},
       {1 / 24., -1 / 12., 1 / 6.},
       {0, 0, 1}},
      {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}}};
  if (m == 2) return f2;
  if (m == 4) return f4;
  throw std::invalid_argument("winograd tile must be 2 or 4");
}

// Row `row` of the constant matrix applied to term(0..): zero coefficients
// dropped, +-1 without a multiply.
Expr rowDot(const std::vector<double> &coef, const std::function<Expr(int)> &term) {
  Expr sum;
  for (size_t j = 0; j < coef.size(); ++j) {
    if (coef[j] == 0) continue;
    Expr t = term(static_cast<int>(j));
    if (coef[j] == -1)
      t = -t;
    else if (coef[j] != 1)
      t = t * static_cast<float>(coef[j]);
    sum = sum.defined() ? sum + t : t;
  }
  return sum.defined() ? sum : Expr(0.f);
}

// M applied along an index: the row chosen by `v`, which a schedule unrolls
// so that the mux folds to one constant row.
Expr applyRows(const Matrix &mat, Var v, const std::function<Expr(int)> &term) {
  std::vector<Expr> rows;
  for (const auto &row : mat) rows.push_back(rowDot(row, term));
  return Halide::mux(v, rows);
}

void defineInputTransform(WinogradAlgo &w, bool zeroPastBatch = false) {
  const ConvSpec &s = w.conv.spec;
  const Matrix &bt = transforms(w.m).bt;
  const NhwcVars &v = w.conv.v;
  // Tiles reach past the image on the right and bottom when m does not
  // divide the output: zeros there, like the padding.
  Halide::Region box = {{Expr(), Expr()}, {0, s.inW}, {0, s.inH}, {Expr(), Expr()}};
  if (zeroPastBatch) box[3] = {0, w.conv.input.dim(3).extent()};
  w.conv.padded = Halide::BoundaryConditions::constant_exterior(w.conv.input, 0.f, box);
  Func padded = w.conv.padded;
  Expr x0 = w.tx * w.m - s.pLeft(), y0 = w.ty * w.m - s.pTop();
  w.inRows(v.c, w.tx, w.ty, v.n, w.i, w.ay) = applyRows(
      bt, w.ay, [&](int j) { return padded(v.c, x0 + w.i, y0 + j, v.n); });
  w.inTile(v.c, w.tx, w.ty, v.n, w.ax, w.ay) = applyRows(
      bt, w.ax, [&](int i) { return w.inRows(v.c, w.tx, w.ty, v.n, i, w.ay); });
}

void defineProduct(WinogradAlgo &w) {
  const NhwcVars &v = w.conv.v;
  w.rc = Halide::RDom(0, w.conv.spec.cin, "rc");
  w.gemm(v.c, w.tx, w.ty, v.n, w.ax, w.ay) = 0.f;
  // Blocked weights: each channel tile's (ax, ay) slice is one stream.
  Expr u = w.u(v.c % w.block, w.rc, v.c / w.block, w.ax, w.ay);
  w.gemm(v.c, w.tx, w.ty, v.n, w.ax, w.ay) += u * w.inTile(w.rc, w.tx, w.ty, v.n, w.ax, w.ay);
  w.product(v.c, w.tx, w.ty, v.n, w.ax, w.ay) = w.gemm(v.c, w.tx, w.ty, v.n, w.ax, w.ay);
}

void defineOutputTransform(WinogradAlgo &w) {
  const Matrix &at = transforms(w.m).at;
  const NhwcVars &v = w.conv.v;
  Func prod = w.product;
  w.outRows(v.c, w.tx, w.ty, v.n, w.ax, w.oy) = applyRows(
      at, w.oy, [&](int ay) { return prod(v.c, w.tx, w.ty, v.n, w.ax, ay); });
  // x = tx*m + ox: a schedule splits x and y by m and unrolls the inner
  // loops, so x / m and x % m fold to the tile and a constant.
  Var ox("ox");
  Func outTile("wg_out_tile");
  outTile(v.c, w.tx, w.ty, v.n, ox, w.oy) = applyRows(
      at, ox, [&](int ax) { return w.outRows(v.c, w.tx, w.ty, v.n, ax, w.oy); });
  w.conv.conv(v.c, v.x, v.y, v.n) =
      outTile(v.c, v.x / w.m, v.y / w.m, v.n, v.x % w.m, v.y % w.m);
}

}  // namespace

WinogradAlgo newWinogradAlgo(const ConvSpec &spec) {
  spec.validate();
  if (spec.winograd == 0)
    throw std::invalid_argument(spec.key() + ": not a Winograd spec (winograd = 0)");
  WinogradAlgo w;
  w.conv.spec = spec;
  w.m = spec.winograd;
  w.alpha = w.m + 2;
  w.tilesX = (spec.outW() + w.m - 1) / w.m;
  w.tilesY = (spec.outH() + w.m - 1) / w.m;
  w.conv.conv = Func("wg_conv");
  w.conv.out = Func("conv_out");
  w.inRows = Func("wg_in_rows");
  w.inTile = Func("wg_in_tile");
  w.gemm = Func("wg_gemm");
  w.product = Func("wg_product");
  w.outRows = Func("wg_out_rows");
  return w;
}

void defineWeightTransform(WinogradAlgo &w, Func hwio, int block) {
  const Matrix &g = transforms(w.m).g;
  const ConvSpec &s = w.conv.spec;
  w.block = block > 0 ? block : s.cout;
  if (s.cout % w.block != 0)
    throw std::invalid_argument(s.key() + ": the weight block must divide cout");
  w.uInKernel = true;
  w.uRows = Func("wg_u_rows");
  w.u = Func("wg_u");
  Var co("co");
  w.uRows(co, w.ci, w.kx, w.ay) =
      applyRows(g, w.ay, [&](int ky) { return hwio(co, w.ci, w.kx, ky); });
  Expr c = w.cob * w.block + w.cb;
  w.u(w.cb, w.ci, w.cob, w.ax, w.ay) =
      applyRows(g, w.ax, [&](int kx) { return w.uRows(c, w.ci, kx, w.ay); });
}

void defineWinogradInputTransform(WinogradAlgo &w, bool zeroPastBatch) {
  defineInputTransform(w, zeroPastBatch);
}

WinogradRows winogradMatrix(int m, WinogradMatrix which, bool transposed) {
  const Transforms &f = transforms(m);
  const Matrix &mat = which == WinogradMatrix::BT ? f.bt : which == WinogradMatrix::G ? f.g : f.at;
  if (!transposed) return mat;
  Matrix t(mat[0].size(), std::vector<double>(mat.size()));
  for (size_t i = 0; i < mat.size(); ++i)
    for (size_t j = 0; j < mat[i].size(); ++j) t[j][i] = mat[i][j];
  return t;
}

Expr winogradApplyRows(const WinogradRows &mat, Var v, const std::function<Expr(int)> &term) {
  return applyRows(mat, v, term);
}

void defineWinogradStages(WinogradAlgo &w) {
  defineInputTransform(w);
  defineProduct(w);
  defineOutputTransform(w);
}

WinogradAlgo buildWinogradConv(const ConvSpec &spec) {
  WinogradAlgo w = newWinogradAlgo(spec);
  declareConvInputs(w.conv);
  if (spec.winogradFromHwio) {
    defineWeightTransform(w, Func(w.conv.weights), spec.wBlock);
  } else {  // transformed when bound (winogradWeights)
    w.block = spec.wBlock > 0 ? spec.wBlock : spec.cout;
    w.u = Func(w.conv.weights);
  }
  defineWinogradStages(w);
  defineConvOutput(w.conv);
  return w;
}

std::vector<float> winogradWeights(const float *hwio, int cout, int cin, int m, int block) {
  const Matrix &g = transforms(m).g;
  const int alpha = m + 2;
  if (block <= 0) block = cout;
  if (cout % block != 0) throw std::invalid_argument("winogradWeights: block must divide cout");
  std::vector<float> u(static_cast<size_t>(alpha) * alpha * cin * cout);
  auto w = [&](int co, int ci, int kx, int ky) {
    return static_cast<double>(hwio[((static_cast<size_t>(ky) * 3 + kx) * cin + ci) * cout + co]);
  };
  for (int ay = 0; ay < alpha; ++ay)
    for (int ax = 0; ax < alpha; ++ax)
      for (int ci = 0; ci < cin; ++ci)
        for (int co = 0; co < cout; ++co) {
          double sum = 0;
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) sum += g[ay][ky] * g[ax][kx] * w(co, ci, kx, ky);
          size_t plane = (static_cast<size_t>(ay) * alpha + ax) * (cout / block) + co / block;
          u[(plane * cin + ci) * block + co % block] = static_cast<float>(sum);
        }
  return u;
}

ConvWeights convKernelWeights(const ConvSpec &s, const float *hwio) {
  if (s.winograd && !s.winogradFromHwio)
    return {winogradWeights(hwio, s.cout, s.cin, s.winograd, s.wBlock), winogradWeightDims(s)};
  if (s.wBlock > 0 && !s.winograd)
    return {hwioToBlocked(hwio, s.cout, s.cin, s.kw, s.kh, s.wBlock),
            {s.wBlock, s.cin, s.kw, s.kh, s.cout / s.wBlock}};
  return {std::vector<float>(hwio, hwio + static_cast<size_t>(s.cout) * s.cin * s.kw * s.kh),
          {s.cout, s.cin, s.kw, s.kh}};
}

std::vector<int> winogradWeightDims(const ConvSpec &s) {
  const int block = s.wBlock > 0 ? s.wBlock : s.cout, alpha = s.winograd + 2;
  return {block, s.cin, s.cout / block, alpha, alpha};
}

}  // namespace netc::halide
