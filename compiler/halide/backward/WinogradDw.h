// The weight gradient of a 3x3 stride-1 conv by Winograd F(3 x 3, m x m).
//
// Per m x m tile of dY and its (m+2) x (m+2) patch of padded X, the 3x3
// correlation of the two is, by the symmetry of the F(m x m, 3 x 3)
// algorithm (Lavin & Gray 2016), G^T [(A dY A^T) .* (B^T X B)] G. The
// transforms are linear, so the sum over tiles and images happens in the
// transformed domain: one GEMM per (ax, ay) of the alpha x alpha domain,
//   M(co, ci, ax, ay) = sum over (tile, n) of dYt(co, ..) * Xt(ci, ..),
// then dW = G^T M G once. alpha^2 / m^2 multiplies per pixel and tap pair
// instead of 9: 2.25x fewer for m = 2, 4x for m = 4.
//
// The sum runs in blocks of `imagesPerBlock` images: per block, X and dY
// are transformed (Xt, dYt: (c, tx, ty, n, ax, ay), the input transform of
// compiler/halide/WinogradConv), then `block` sums the block's tiles and
// images into a register tile and adds it to M. Images past the batch read
// as zeros. Same inputs and output as buildConvDw: dy, x -> dW (HWIO).
#pragma once

#include "ConvBackward.h"
#include "compiler/halide/WinogradConv.h"

namespace netc::halide::backward {

struct WinogradDwAlgo {
  ConvSpec spec;
  int m = 4, imagesPerBlock = 1;
  WinogradAlgo x;        // the input transform of X: x.inTile is Xt
  Halide::ImageParam dy, input;
  Halide::Func dyExt;    // dY, zero outside the image and the batch
  Halide::Func dyRows;   // (c, tx, ty, n, i, ay): A along y
  Halide::Func dyTile;   // dYt (c, tx, ty, n, ax, ay)
  Halide::Func block;    // (co, ci, ax, ay, b): sum over one block's tiles and images
  Halide::Func sum;      // M (co, ci, ax, ay): pure zero, update over rb
  Halide::Func outRows;  // (co, ci, kx, ay): G^T along x
  Halide::Func out;      // dW (co, ci, kx, ky)
  Halide::Var co{"co"}, ci{"ci"}, kx{"kx"}, ky{"ky"}, b{"b"};
  Halide::RDom rt;       // (tx, ty, i) inside a block
  Halide::RDom rb;       // over blocks
  std::vector<Halide::ImageParam> inputs;  // dy, x
};

// spec.winogradApplies() (its winograd field is ignored); m: 2 or 4.
WinogradDwAlgo buildWinogradDw(const ConvSpec &spec, int m, int imagesPerBlock);

}  // namespace netc::halide::backward
