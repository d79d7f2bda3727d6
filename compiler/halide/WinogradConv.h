// Winograd F(m x m, 3 x 3) convolution (Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks", CVPR 2016), fused with the conv post-ops.
//
// The output is cut into m x m tiles; each reads an alpha x alpha input
// tile (alpha = m + 2). Per tile and channel the input is transformed,
// V = B^T d B; per (ax, ay) of the alpha x alpha transformed domain the
// channels are contracted by a GEMM, M = U V, with the weights transformed
// ahead of time, U = G g G^T (winogradWeights); the output tile is
// Y = A^T M A. Multiplies per output: alpha^2/m^2 instead of 9, i.e. 2.25x
// fewer for m = 2 and 4x fewer for m = 4; the price is the transforms and a
// weight tensor alpha^2/9 times larger (2.25x for m = 2 and 4x for m = 4).
//
// Halide dims (innermost first): V (c, tx, ty, n, ax, ay), M (co, tx, ty, n,
// ax, ay), U (cb, ci, cob, ax, ay), blocked by ConvSpec::wBlock. The rest
// (inputs, post-ops, `out`) is the direct conv's.
//
// U is either a kernel input, transformed once when the weights are bound
// (inference), or, with ConvSpec::winogradFromHwio, computed from the HWIO
// weights at the start of every call (the training step, whose weights
// change every step; G g G^T costs alpha^2 / (tiles x batch) of the GEMM).
#pragma once

#include "Conv.h"

#include <functional>
#include <vector>

namespace netc::halide {

struct WinogradAlgo {
  ConvAlgo conv;  // spec (winograd = m), inputs, padded, conv (= Y), out
  int m = 4, alpha = 6;
  int tilesX = 1, tilesY = 1;
  Halide::Var tx{"tx"}, ty{"ty"}, ax{"ax"}, ay{"ay"}, i{"i"}, oy{"oy"};
  Halide::Func inRows;   // (c, tx, ty, n, i, ay): B^T along y, column i of the tile
  Halide::Func inTile;   // V = (c, tx, ty, n, ax, ay)
  Halide::Func gemm;     // sum over ci of U * V: pure 0, update over rc
  Halide::Func product;  // M = gemm, stored for the tiles of a task
  Halide::Func outRows;  // (co, tx, ty, n, ax, oy): A^T along y
  Halide::RDom rc;       // over ci
  Halide::Func u;        // U (cb, ci, cob, ax, ay) as the GEMM reads it
  int block = 0;         // its output channels per block (cob)
  // Set when U is computed in the kernel (a schedule stores it once per call):
  bool uInKernel = false;
  Halide::Var cb{"cb"}, ci{"ci"}, cob{"cob"}, kx{"kx"};
  Halide::Func uRows;    // (co, ci, kx, ay): G along ky
};

// spec.winograd must be 2 or 4 and spec.winogradApplies().
WinogradAlgo buildWinogradConv(const ConvSpec &spec);

// The pieces, for algorithms with their own inputs and output (the input
// gradient of the training step, compiler/halide/backward/WinogradDx):
// an algorithm for `spec` with no stages defined yet ...
WinogradAlgo newWinogradAlgo(const ConvSpec &spec);
// ... U = G g G^T of 3x3 weights hwio(co, ci, kx, ky), computed in the
// kernel, blocked by `block` output channels (spec.cout when 0) ...
void defineWeightTransform(WinogradAlgo &w, Halide::Func hwio, int block);
// ... and the stages from w.conv.input (c, x, y, n) and w.u to w.conv.conv.
void defineWinogradStages(WinogradAlgo &w);
// Only the input transform, w.inRows and w.inTile (the weight gradient);
// zeroPastBatch: images past the input's batch read as zeros.
void defineWinogradInputTransform(WinogradAlgo &w, bool zeroPastBatch);

// The constant matrices of F(m x m, 3 x 3), as rows: B^T (alpha x alpha),
// G (alpha x 3), A^T (m x alpha); `transposed` gives B, G^T, A.
enum class WinogradMatrix { BT, G, AT };
using WinogradRows = std::vector<std::vector<double>>;
WinogradRows winogradMatrix(int m, WinogradMatrix which, bool transposed = false);
// The row of `mat` chosen by `v` applied to term(0..): a schedule unrolls v
// so the mux folds to one row; zero coefficients are dropped.
Halide::Expr winogradApplyRows(const WinogradRows &mat, Halide::Var v,
                               const std::function<Halide::Expr(int)> &term);

// HWIO weights (co fastest, then ci, kx, ky) to U = G g G^T, computed in
// double, blocked by `block` output channels (0: cout): Halide dims
// (cb, ci, cob, ax, ay) with co = cob * block + cb, i.e. the weights one
// channel tile needs at one (ax, ay) are contiguous.
std::vector<float> winogradWeights(const float *hwio, int cout, int cin, int m, int block = 0);

// The Halide extents of those weights.
std::vector<int> winogradWeightDims(const ConvSpec &spec);

// Conv weights in the layout `spec`'s kernel reads, from HWIO: Winograd-
// transformed (spec.winograd), blocked (spec.wBlock) or HWIO as they are.
struct ConvWeights {
  std::vector<float> data;
  std::vector<int> dims;  // Halide extents, innermost first
};
ConvWeights convKernelWeights(const ConvSpec &spec, const float *hwio);

}  // namespace netc::halide
