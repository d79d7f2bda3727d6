// Shape rules of the training ops (NetTrainOps.td). A gradient has the
// shape of what it differentiates; forward ops in training mode add what
// their backward needs.
#include "compiler/dialect/NetOps.h"
#include "compiler/dialect/ShapeRules.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace netc::net;
using namespace netc::net::rules;

namespace {

// [N, C, h, w] from the attribute [h, w].
LogicalResult sizedType(Operation *op, int64_t n, int64_t c, ArrayAttr size, Type &out) {
  int64_t hw[2];
  if (failed(readPair(op, size, "input_size", 1, hw)))
    return failure();
  out = RankedTensorType::get({n, c, hw[0], hw[1]}, f32(op->getContext()));
  return success();
}

// The forward window applied to `in` must give `dy`'s spatial size.
LogicalResult checkForward(Operation *op, Type in, Value dy, const Window &w, int64_t c) {
  auto t = in.dyn_cast<RankedTensorType>();
  if (!t || !ranked(dy))
    return success();
  for (unsigned i = 0; i < 2; ++i) {
    int64_t h = t.getDimSize(2 + i);
    if (h == kDyn || dim(dy, 2 + i) == kDyn)
      continue;
    if ((h + 2 * w.p[i] - w.k[i]) / w.s[i] + 1 != dim(dy, 2 + i))
      return op->emitOpError() << "gradient " << dy.getType() << " does not come from input "
                               << in << " through this window";
  }
  if (c != kDyn && !sameDim(dim(dy, 1), c))
    return op->emitOpError() << "gradient has " << dimStr(dim(dy, 1)) << " channels, expected "
                             << c;
  return success();
}

// g, the gradient of an option-A shortcut of x (type `in`) with stride s,
// is [N, >= C, ceil(H/s), ceil(W/s)].
LogicalResult checkShortcutGrad(Operation *op, Value g, Type in, int64_t s) {
  auto t = in.dyn_cast<RankedTensorType>();
  if (!t || !ranked(g))
    return success();
  if (ranked(g).getRank() != 4)
    return op->emitOpError() << "shortcut gradient must have rank 4, got " << g.getType();
  bool ok = dim(g, 1) == kDyn || t.getDimSize(1) == kDyn || dim(g, 1) >= t.getDimSize(1);
  for (unsigned i = 2; i < 4; ++i) {
    int64_t h = t.getDimSize(i);
    ok = ok && (h == kDyn || dim(g, i) == kDyn || dim(g, i) == (h + s - 1) / s);
  }
  if (!ok)
    return op->emitOpError() << "shortcut gradient " << g.getType()
                             << " is not the shape of an option-A shortcut of " << in
                             << " with stride " << s;
  return success();
}

} // namespace

LogicalResult netc::net::verifyParamGrad(ParamGradOp op) {
  if (op.name().empty())
    return op.emitOpError("needs a non-empty name");
  // Unranked until shape inference has run after -net-autodiff.
  auto t = op.grad().getType().dyn_cast<RankedTensorType>();
  if (t && !t.hasStaticShape())
    return op.emitOpError("gradient of '") << op.name() << "' must have a static shape";
  return success();
}

LogicalResult BatchNormTrainOp::inferTypes(SmallVectorImpl<Type> &types) {
  if (failed(checkRank(*this, x(), 4, "input")))
    return failure();
  int64_t c = dim(x(), 1);
  for (Value v : {gamma(), beta(), running_mean(), running_var()})
    if (failed(checkVector(*this, v, c, "per-channel operand")))
      return failure();
  if (failed(checkPositive(*this, eps().convertToDouble(), "eps")))
    return failure();
  double m = momentum().convertToDouble();
  if (m < 0 || m > 1)
    return emitOpError() << "momentum must be in [0, 1], got " << m;
  types.push_back(x().getType());
  types.push_back(RankedTensorType::get({4, c}, f32(getContext())));
  return success();
}

LogicalResult DropoutTrainOp::inferTypes(SmallVectorImpl<Type> &types) {
  double r = rate().convertToDouble();
  if (r < 0 || r >= 1)
    return emitOpError() << "rate must be in [0, 1), got " << r;
  types.push_back(x().getType());
  types.push_back(x().getType());
  return success();
}

LogicalResult SoftmaxCrossEntropyOp::inferTypes(SmallVectorImpl<Type> &types) {
  if (failed(checkRank(*this, logits(), 2, "logits")) ||
      failed(checkRank(*this, labels(), 1, "labels")))
    return failure();
  if (!sameDim(dim(logits(), 0), dim(labels(), 0)))
    return emitOpError() << "batch of logits (" << dimStr(dim(logits(), 0))
                         << ") and labels (" << dimStr(dim(labels(), 0)) << ") differ";
  types.push_back(RankedTensorType::get({}, f32(getContext())));
  types.push_back(logits().getType());
  return success();
}

LogicalResult ReluGradOp::inferTypes(SmallVectorImpl<Type> &types) {
  if (failed(verifyCompatibleShape(dy().getType(), y().getType())))
    return emitOpError() << "gradient " << dy().getType() << " and output " << y().getType()
                         << " differ";
  types.push_back(dy().getType());
  return success();
}

LogicalResult Conv2dGradInputOp::inferTypes(SmallVectorImpl<Type> &types) {
  Window w;
  if (failed(readWindow(*this, kernel(), strides(), pads(), w)) ||
      failed(checkRank(*this, weight(), 4, "weight")) || failed(checkRank(*this, dy(), 4, "dy")))
    return failure();
  Type out;
  if (failed(sizedType(*this, dim(dy(), 0), dim(weight(), 1), input_size(), out)) ||
      failed(checkForward(*this, out, dy(), w, dim(weight(), 0))))
    return failure();
  auto ops = args();
  if (ops.size() != epilogue().size())
    return emitOpError() << "epilogue has " << epilogue().size() << " entries but "
                         << ops.size() << " operands";
  for (auto [a, v] : llvm::zip(epilogue(), ops)) {
    StringRef kind = a.cast<StringAttr>().getValue();
    if (kind == "add" || kind == "relu_mask") {
      if (failed(verifyCompatibleShape(v.getType(), out)))
        return emitOpError() << "'" << kind << "' operand " << v.getType()
                             << " does not match dx " << out;
    } else if (kind == "add_shortcut") {
      if (!shortcut_stride() || *shortcut_stride() < 1)
        return emitOpError("'add_shortcut' needs shortcut_stride >= 1");
      if (failed(checkShortcutGrad(*this, v, out, *shortcut_stride())))
        return failure();
    } else {
      return emitOpError() << "unknown epilogue '" << kind
                           << "' (expected add, add_shortcut or relu_mask)";
    }
  }
  types.push_back(out);
  return success();
}

LogicalResult Conv2dGradWeightOp::inferTypes(SmallVectorImpl<Type> &types) {
  Window w;
  if (failed(readWindow(*this, kernel(), strides(), pads(), w)) ||
      failed(checkRank(*this, x(), 4, "input")) || failed(checkRank(*this, dy(), 4, "dy")) ||
      failed(checkForward(*this, x().getType(), dy(), w, kDyn)))
    return failure();
  types.push_back(
      RankedTensorType::get({dim(dy(), 1), dim(x(), 1), w.k[0], w.k[1]}, f32(getContext())));
  return success();
}

LogicalResult Conv2dGradBiasOp::inferTypes(SmallVectorImpl<Type> &types) {
  if (failed(checkRank(*this, dy(), 4, "dy")))
    return failure();
  types.push_back(RankedTensorType::get({dim(dy(), 1)}, f32(getContext())));
  return success();
}

LogicalResult BatchNormGradOp::inferTypes(SmallVectorImpl<Type> &types) {
  if (failed(checkRank(*this, x(), 4, "input")))
    return failure();
  if (failed(verifyCompatibleShape(dy().getType(), x().getType())))
    return emitOpError() << "gradient " << dy().getType() << " and input " << x().getType()
                         << " differ";
  int64_t c = dim(x(), 1);
  if (failed(checkVector(*this, gamma(), c, "gamma")))
    return failure();
  if (relu() != static_cast<bool>(y()))
    return emitOpError("takes the saved output y exactly when relu = true");
  if (y() && failed(verifyCompatibleShape(y().getType(), x().getType())))
    return emitOpError() << "saved output " << y().getType() << " does not match the input";
  auto s = ranked(stats());
  if (s && (s.getRank() != 2 || s.getDimSize(0) != 4 || !sameDim(s.getDimSize(1), c)))
    return emitOpError() << "stats must be 4x" << dimStr(c) << ", got " << stats().getType();
  types.push_back(x().getType());
  types.push_back(RankedTensorType::get({c}, f32(getContext())));
  types.push_back(RankedTensorType::get({c}, f32(getContext())));
  return success();
}

LogicalResult MaxPoolGradOp::inferTypes(SmallVectorImpl<Type> &types) {
  Window w;
  if (failed(readWindow(*this, kernel(), strides(), pads(), w)) ||
      failed(checkRank(*this, x(), 4, "input")) ||
      failed(checkForward(*this, x().getType(), dy(), w, dim(x(), 1))))
    return failure();
  types.push_back(x().getType());
  return success();
}

LogicalResult AvgPoolGradOp::inferTypes(SmallVectorImpl<Type> &types) {
  Window w;
  Type out;
  if (failed(readWindow(*this, kernel(), strides(), pads(), w)) ||
      failed(checkRank(*this, dy(), 4, "dy")) ||
      failed(sizedType(*this, dim(dy(), 0), dim(dy(), 1), input_size(), out)) ||
      failed(checkForward(*this, out, dy(), w, kDyn)))
    return failure();
  types.push_back(out);
  return success();
}

LogicalResult GlobalAvgPoolGradOp::inferTypes(SmallVectorImpl<Type> &types) {
  Type out;
  if (failed(checkRank(*this, dy(), 4, "dy")) ||
      failed(sizedType(*this, dim(dy(), 0), dim(dy(), 1), input_size(), out)))
    return failure();
  if (!sameDim(dim(dy(), 2), 1) || !sameDim(dim(dy(), 3), 1))
    return emitOpError() << "gradient must be Nx" << dimStr(dim(dy(), 1)) << "x1x1, got "
                         << dy().getType();
  types.push_back(out);
  return success();
}

LogicalResult UnflattenOp::inferTypes(SmallVectorImpl<Type> &types) {
  if (failed(checkRank(*this, x(), 2, "input")))
    return failure();
  if (shape().size() != 3)
    return emitOpError("shape must be [C, H, W]");
  int64_t s[3], n = 1;
  for (unsigned i = 0; i < 3; ++i) {
    s[i] = shape()[i].cast<IntegerAttr>().getInt();
    if (s[i] < 1)
      return emitOpError("shape entries must be >= 1");
    n *= s[i];
  }
  if (!sameDim(dim(x(), 1), n))
    return emitOpError() << "cannot unflatten " << dimStr(dim(x(), 1)) << " features to "
                         << s[0] << "x" << s[1] << "x" << s[2];
  types.push_back(RankedTensorType::get({dim(x(), 0), s[0], s[1], s[2]}, f32(getContext())));
  return success();
}

LogicalResult FcGradOp::inferTypes(SmallVectorImpl<Type> &types) {
  if (failed(checkRank(*this, x(), 2, "input")) ||
      failed(checkRank(*this, weight(), 2, "weight")) || failed(checkRank(*this, dy(), 2, "dy")))
    return failure();
  if (!sameDim(dim(dy(), 1), dim(weight(), 0)) || !sameDim(dim(x(), 1), dim(weight(), 1)))
    return emitOpError() << "dy " << dy().getType() << " and input " << x().getType()
                         << " do not fit weight " << weight().getType();
  types.push_back(x().getType());
  types.push_back(weight().getType());
  types.push_back(RankedTensorType::get({dim(weight(), 0)}, f32(getContext())));
  return success();
}

LogicalResult ZeroPadShortcutGradOp::inferTypes(SmallVectorImpl<Type> &types) {
  Type out;
  int64_t s = static_cast<int64_t>(stride()), c = static_cast<int64_t>(in_channels());
  if (failed(checkRank(*this, g(), 4, "gradient")) ||
      failed(sizedType(*this, dim(g(), 0), c, input_size(), out)))
    return failure();
  if (s < 1)
    return emitOpError("stride must be >= 1");
  if (dim(g(), 1) != kDyn && dim(g(), 1) < c)
    return emitOpError() << "in_channels " << c << " exceeds the gradient's " << dim(g(), 1);
  if (failed(checkShortcutGrad(*this, g(), out, s)))
    return failure();
  types.push_back(out);
  return success();
}

LogicalResult DropoutGradOp::inferTypes(SmallVectorImpl<Type> &types) {
  if (failed(verifyCompatibleShape(dy().getType(), mask().getType())))
    return emitOpError("gradient and mask differ in shape");
  types.push_back(dy().getType());
  return success();
}
