// Shape rules and verifiers of the net ops: one inferTypes function per op
// checks operands and attributes and computes the result types.
#include "compiler/dialect/NetOps.h"
#include "compiler/dialect/ShapeRules.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace netc::net;

using namespace netc::net::rules;

RankedTensorType netc::net::activationType(MLIRContext *ctx, ArrayRef<int64_t> chw) {
  SmallVector<int64_t, 4> shape{kDyn};
  shape.append(chw.begin(), chw.end());
  return RankedTensorType::get(shape, f32(ctx));
}

LogicalResult netc::net::verifyInferredTypes(Operation *op) {
  SmallVector<Type, 2> inferred;
  if (failed(cast<ShapeInfer>(op).inferTypes(inferred)))
    return failure();
  for (auto [result, type] : llvm::zip(op->getResults(), inferred))
    if (failed(verifyCompatibleShape(result.getType(), type)))
      return op->emitOpError() << "result type " << result.getType()
                               << " does not match the inferred " << type;
  return success();
}

//===----------------------------------------------------------------------===//

LogicalResult ParamOp::inferTypes(SmallVectorImpl<Type> &types) {
  if (name().empty())
    return emitOpError("needs a non-empty name");
  auto t = getType().dyn_cast<RankedTensorType>();
  if (!t || !t.hasStaticShape())
    return emitOpError("parameter '") << name() << "' must have a static shape";
  types.push_back(t);
  return success();
}

LogicalResult FoldBnOp::inferTypes(SmallVectorImpl<Type> &types) {
  if (failed(checkRank(*this, weight(), 4, "weight")))
    return failure();
  int64_t o = dim(weight(), 0);
  if (failed(checkVector(*this, gamma(), o, "gamma")) ||
      failed(checkVector(*this, beta(), o, "beta")) ||
      failed(checkVector(*this, mean(), o, "mean")) ||
      failed(checkVector(*this, var(), o, "var")) ||
      (bias() && failed(checkVector(*this, bias(), o, "bias"))) ||
      failed(checkPositive(*this, eps().convertToDouble(), "eps")))
    return failure();
  types.push_back(weight().getType());
  types.push_back(RankedTensorType::get({o}, f32(getContext())));
  return success();
}

LogicalResult Conv2dOp::inferTypes(SmallVectorImpl<Type> &types) {
  Type out;
  if (failed(convType(*this, input(), weight(), kernel(), strides(), pads(), out)) ||
      (bias() && failed(checkVector(*this, bias(), dim(weight(), 0), "bias"))))
    return failure();
  types.push_back(out);
  return success();
}

LogicalResult FusedConvOp::inferTypes(SmallVectorImpl<Type> &types) {
  Type out;
  if (failed(convType(*this, input(), weight(), kernel(), strides(), pads(), out)))
    return failure();
  int64_t o = dim(weight(), 0);
  auto args = this->args();
  unsigned next = 0;
  // Takes the next n operands of `args` for post-op `what`.
  auto take = [&](unsigned n, StringRef what) -> LogicalResult {
    if (next + n > args.size())
      return emitOpError() << "post-op '" << what << "' needs " << n
                           << " more operand(s) than given";
    next += n;
    return success();
  };
  for (Attribute a : post_ops()) {
    StringRef kind = a.cast<StringAttr>().getValue();
    unsigned first = next;
    if (kind == "bias") {
      if (failed(take(1, kind)) || failed(checkVector(*this, args[first], o, "bias")))
        return failure();
    } else if (kind == "bn") {
      if (failed(take(4, kind)))
        return failure();
      for (unsigned i = 0; i < 4; ++i)
        if (failed(checkVector(*this, args[first + i], o, "bn operand")))
          return failure();
      if (!bn_eps())
        return emitOpError("post-op 'bn' needs the bn_eps attribute");
      if (failed(checkPositive(*this, bn_eps()->convertToDouble(), "bn_eps")))
        return failure();
    } else if (kind == "add") {
      if (failed(take(1, kind)))
        return failure();
      if (failed(verifyCompatibleShape(args[first].getType(), out)))
        return emitOpError() << "residual " << args[first].getType()
                             << " does not match the convolution's " << out;
    } else if (kind != "relu") {
      return emitOpError() << "unknown post-op '" << kind
                           << "' (expected bias, bn, add or relu)";
    }
  }
  if (next != args.size())
    return emitOpError() << "post-ops use " << next << " operand(s) but " << args.size()
                         << " were given";
  types.push_back(out);
  return success();
}

LogicalResult BatchNormOp::inferTypes(SmallVectorImpl<Type> &types) {
  if (failed(checkRank(*this, x(), 4, "input")))
    return failure();
  int64_t c = dim(x(), 1);
  if (failed(checkVector(*this, gamma(), c, "gamma")) ||
      failed(checkVector(*this, beta(), c, "beta")) ||
      failed(checkVector(*this, running_mean(), c, "running_mean")) ||
      failed(checkVector(*this, running_var(), c, "running_var")) ||
      failed(checkPositive(*this, eps().convertToDouble(), "eps")))
    return failure();
  double m = momentum().convertToDouble();
  if (m < 0 || m > 1)
    return emitOpError() << "momentum must be in [0, 1], got " << m;
  types.push_back(x().getType());
  return success();
}

LogicalResult ReluOp::inferTypes(SmallVectorImpl<Type> &types) {
  types.push_back(x().getType());
  return success();
}

LogicalResult AddOp::inferTypes(SmallVectorImpl<Type> &types) {
  if (failed(verifyCompatibleShape(lhs().getType(), rhs().getType())))
    return emitOpError() << "operand shapes differ: " << lhs().getType() << " vs "
                         << rhs().getType();
  // The more informative operand type: a ranked one if any.
  types.push_back(ranked(lhs()) ? lhs().getType() : rhs().getType());
  return success();
}

LogicalResult MaxPoolOp::inferTypes(SmallVectorImpl<Type> &types) {
  Type out;
  if (failed(poolType(*this, x(), kernel(), strides(), pads(), out)))
    return failure();
  types.push_back(out);
  return success();
}

LogicalResult AvgPoolOp::inferTypes(SmallVectorImpl<Type> &types) {
  Type out;
  if (failed(poolType(*this, x(), kernel(), strides(), pads(), out)))
    return failure();
  types.push_back(out);
  return success();
}

LogicalResult GlobalAvgPoolOp::inferTypes(SmallVectorImpl<Type> &types) {
  if (failed(checkRank(*this, x(), 4, "input")))
    return failure();
  types.push_back(ranked(x()) ? Type(RankedTensorType::get({dim(x(), 0), dim(x(), 1), 1, 1},
                                                           f32(getContext())))
                              : unknown(getContext()));
  return success();
}

LogicalResult FlattenOp::inferTypes(SmallVectorImpl<Type> &types) {
  if (failed(checkRank(*this, x(), 4, "input")))
    return failure();
  auto t = ranked(x());
  if (!t) {
    types.push_back(unknown(getContext()));
    return success();
  }
  int64_t n = 1;
  for (unsigned i = 1; i < 4; ++i)
    n = (n == kDyn || t.getDimSize(i) == kDyn) ? kDyn : n * t.getDimSize(i);
  types.push_back(RankedTensorType::get({t.getDimSize(0), n}, f32(getContext())));
  return success();
}

LogicalResult FcOp::inferTypes(SmallVectorImpl<Type> &types) {
  if (failed(checkRank(*this, x(), 2, "input")) ||
      failed(checkRank(*this, weight(), 2, "weight")))
    return failure();
  int64_t o = dim(weight(), 0);
  if (ranked(x()) && !sameDim(dim(weight(), 1), dim(x(), 1)))
    return emitOpError() << "weight expects " << dimStr(dim(weight(), 1))
                         << " input features but the input has " << dimStr(dim(x(), 1));
  if (failed(checkVector(*this, bias(), o, "bias")))
    return failure();
  types.push_back(ranked(x()) ? Type(RankedTensorType::get({dim(x(), 0), o}, f32(getContext())))
                              : unknown(getContext()));
  return success();
}

LogicalResult DropoutOp::inferTypes(SmallVectorImpl<Type> &types) {
  double r = rate().convertToDouble();
  if (r < 0 || r >= 1)
    return emitOpError() << "rate must be in [0, 1), got " << r;
  types.push_back(x().getType());
  return success();
}

LogicalResult LrnOp::inferTypes(SmallVectorImpl<Type> &types) {
  if (failed(checkRank(*this, x(), 4, "input")))
    return failure();
  if (size() < 1)
    return emitOpError("size must be >= 1");
  if (failed(checkPositive(*this, k().convertToDouble(), "k")))
    return failure();
  types.push_back(x().getType());
  return success();
}

LogicalResult SoftmaxOp::inferTypes(SmallVectorImpl<Type> &types) {
  if (failed(checkRank(*this, x(), 2, "input")))
    return failure();
  types.push_back(x().getType());
  return success();
}

LogicalResult ZeroPadShortcutOp::inferTypes(SmallVectorImpl<Type> &types) {
  if (failed(checkRank(*this, x(), 4, "input")))
    return failure();
  int64_t s = static_cast<int64_t>(stride()), c = static_cast<int64_t>(out_channels());
  if (s < 1)
    return emitOpError("stride must be >= 1");
  if (dim(x(), 1) != kDyn && dim(x(), 1) > c)
    return emitOpError() << "out_channels " << c << " is fewer than the input's "
                         << dim(x(), 1);
  if (!ranked(x())) {
    types.push_back(unknown(getContext()));
    return success();
  }
  auto sub = [&](int64_t d) { return d == kDyn ? kDyn : (d + s - 1) / s; };
  types.push_back(
      RankedTensorType::get({dim(x(), 0), c, sub(dim(x(), 2)), sub(dim(x(), 3))}, f32(getContext())));
  return success();
}

#define GET_OP_CLASSES
#include "compiler/dialect/NetOps.cpp.inc"
