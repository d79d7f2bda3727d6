#include "WinogradDx.h"

#include <stdexcept>

namespace netc::halide::backward {

using Halide::Func;
using Halide::Var;

bool winogradDxApplies(const ConvDxSpec &spec) {
  const ConvSpec &c = spec.conv;
  return c.kh == 3 && c.kw == 3 && c.sH() == 1 && c.sW() == 1 && c.pTop() == c.pBottom() &&
         c.pLeft() == c.pRight() && c.pTop() <= 2 && c.pLeft() <= 2 && c.cin % 16 == 0 &&
         c.cout % 8 == 0;
}

namespace {

// The conv dX is: over dY, padded by 2 - pad, cout -> cin channels. Its
// output is X's size: (outW + 2 (2 - pad) - 2) = inW for stride 1.
ConvSpec transposedConv(const ConvDxSpec &spec, int m, int block) {
  const ConvSpec &c = spec.conv;
  ConvSpec t;
  t.cin = c.cout, t.cout = c.cin;
  t.kh = t.kw = 3;
  t.padTop = t.padBottom = 2 - c.pTop();
  t.padLeft = t.padRight = 2 - c.pLeft();
  t.inH = c.outH(), t.inW = c.outW();
  t.winograd = m;
  t.winogradFromHwio = true;
  t.wBlock = block;
  return t;
}

}  // namespace

WinogradDxAlgo buildWinogradDx(const ConvDxSpec &spec, int m, int block) {
  spec.validate();
  if (!winogradDxApplies(spec))
    throw std::invalid_argument(spec.key() + ": no Winograd dX (needs 3x3, stride 1, pad <= 2, "
                                             "cin % 16, cout % 8)");
  WinogradDxAlgo a;
  a.dx.spec = spec;
  a.dx.out = Func("convdx_out");
  declareConvDxInputs(a.dx);
  a.wg = newWinogradAlgo(transposedConv(spec, m, block));
  a.wg.conv.input = a.dx.dy;
  // HWIO of the transposed conv: (ci, co, kx, ky) of W, rotated.
  Var co("co"), ci("ci"), kx("kx"), ky("ky");
  Func rotated("dx_w_rot");
  rotated(ci, co, kx, ky) = a.dx.weights(co, ci, 2 - kx, 2 - ky);
  defineWeightTransform(a.wg, rotated, block);
  defineWinogradStages(a.wg);
  a.dx.sum = a.wg.conv.conv;
  defineConvDxOutput(a.dx);
  a.wg.conv.out = a.dx.out;
  return a;
}

}  // namespace netc::halide::backward
