// Shape rules and verifiers of the net ops: one inferTypes function per op
// checks operands and attributes and computes the result types.
#include "compiler/dialect/NetOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace netc::net;

namespace {

constexpr int64_t kDyn = ShapedType::kDynamicSize;

Type f32(MLIRContext *ctx) { return FloatType::getF32(ctx); }
Type unknown(MLIRContext *ctx) { return UnrankedTensorType::get(f32(ctx)); }

RankedTensorType ranked(Value v) { return v.getType().dyn_cast<RankedTensorType>(); }

// Dimension i of a ranked value, kDyn when the value is unranked.
int64_t dim(Value v, unsigned i) {
  auto t = ranked(v);
  return t ? t.getDimSize(i) : kDyn;
}

bool sameDim(int64_t a, int64_t b) { return a == kDyn || b == kDyn || a == b; }

std::string dimStr(int64_t d) { return d == kDyn ? "?" : std::to_string(d); }

// An unranked value passes: its rank is checked once it is known.
LogicalResult checkRank(Operation *op, Value v, int64_t rank, StringRef what) {
  auto t = ranked(v);
  if (t && t.getRank() != rank)
    return op->emitOpError() << what << " must have rank " << rank << ", got " << t.getRank();
  return success();
}

// A per-channel vector: rank 1 with n elements.
LogicalResult checkVector(Operation *op, Value v, int64_t n, StringRef what) {
  if (failed(checkRank(op, v, 1, what)))
    return failure();
  if (!sameDim(dim(v, 0), n))
    return op->emitOpError() << what << " must have " << dimStr(n) << " elements, got "
                             << dimStr(dim(v, 0));
  return success();
}

// An [h, w] attribute whose entries are all >= min.
LogicalResult readPair(Operation *op, ArrayAttr a, StringRef name, int64_t min, int64_t out[2]) {
  if (a.size() != 2)
    return op->emitOpError() << name << " must have 2 entries [h, w], got " << a.size();
  for (unsigned i = 0; i < 2; ++i) {
    out[i] = a[i].cast<IntegerAttr>().getInt();
    if (out[i] < min)
      return op->emitOpError() << name << " entries must be >= " << min << ", got " << out[i];
  }
  return success();
}

struct Window {
  int64_t k[2], s[2], p[2];
};

LogicalResult readWindow(Operation *op, ArrayAttr kernel, ArrayAttr strides, ArrayAttr pads,
                         Window &w) {
  if (failed(readPair(op, kernel, "kernel", 1, w.k)) ||
      failed(readPair(op, strides, "strides", 1, w.s)) || failed(readPair(op, pads, "pads", 0, w.p)))
    return failure();
  return success();
}

// [N, C, H, W] -> [N, outC, H', W'] with H' = floor((H + 2p - k) / s) + 1.
LogicalResult windowType(Operation *op, Value x, int64_t outC, const Window &w, Type &out) {
  if (failed(checkRank(op, x, 4, "input")))
    return failure();
  if (!ranked(x)) {
    out = unknown(op->getContext());
    return success();
  }
  int64_t hw[2];
  for (unsigned i = 0; i < 2; ++i) {
    int64_t in = dim(x, 2 + i);
    if (in == kDyn) {
      hw[i] = kDyn;
      continue;
    }
    if (in + 2 * w.p[i] < w.k[i])
      return op->emitOpError() << "window " << w.k[0] << "x" << w.k[1]
                               << " is larger than the padded input";
    hw[i] = (in + 2 * w.p[i] - w.k[i]) / w.s[i] + 1;
  }
  out = RankedTensorType::get({dim(x, 0), outC, hw[0], hw[1]}, f32(op->getContext()));
  return success();
}

// Shared by conv2d and fused_conv: weight [O, C, kh, kw] against the
// input and the kernel attribute.
LogicalResult convType(Operation *op, Value x, Value weight, ArrayAttr kernel, ArrayAttr strides,
                       ArrayAttr pads, Type &out) {
  Window w;
  if (failed(readWindow(op, kernel, strides, pads, w)) ||
      failed(checkRank(op, weight, 4, "weight")))
    return failure();
  if (ranked(x) && !sameDim(dim(weight, 1), dim(x, 1)))
    return op->emitOpError() << "weight has " << dimStr(dim(weight, 1))
                             << " input channels but the input has " << dimStr(dim(x, 1));
  if (!sameDim(dim(weight, 2), w.k[0]) || !sameDim(dim(weight, 3), w.k[1]))
    return op->emitOpError() << "weight window " << dimStr(dim(weight, 2)) << "x"
                             << dimStr(dim(weight, 3)) << " does not match kernel " << w.k[0]
                             << "x" << w.k[1];
  return windowType(op, x, dim(weight, 0), w, out);
}

// Pools: the padding must leave a real pixel in every window (ONNX allows
// up to the window less one; the .net language keeps PyTorch's stricter
// half-window rule).
LogicalResult poolType(Operation *op, Value x, ArrayAttr kernel, ArrayAttr strides, ArrayAttr pads,
                       Type &out) {
  Window w;
  if (failed(readWindow(op, kernel, strides, pads, w)))
    return failure();
  if (w.p[0] >= w.k[0] || w.p[1] >= w.k[1])
    return op->emitOpError("pads must be smaller than the kernel");
  return windowType(op, x, dim(x, 1), w, out);
}

LogicalResult checkPositive(Operation *op, double v, StringRef name) {
  if (!(v > 0))
    return op->emitOpError() << name << " must be positive, got " << v;
  return success();
}

} // namespace

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
