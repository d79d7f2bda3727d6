// Shape-rule helpers shared by the net ops' inferTypes functions
// (NetOps.cpp, NetTrainOps.cpp). Internal to the dialect.
#pragma once

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"

#include <string>

namespace netc::net::rules {

using namespace mlir;

constexpr int64_t kDyn = ShapedType::kDynamicSize;

inline Type f32(MLIRContext *ctx) { return FloatType::getF32(ctx); }
inline Type unknown(MLIRContext *ctx) { return UnrankedTensorType::get(f32(ctx)); }

inline RankedTensorType ranked(Value v) { return v.getType().dyn_cast<RankedTensorType>(); }

// Dimension i of a ranked value, kDyn when the value is unranked.
inline int64_t dim(Value v, unsigned i) {
  auto t = ranked(v);
  return t ? t.getDimSize(i) : kDyn;
}

inline bool sameDim(int64_t a, int64_t b) { return a == kDyn || b == kDyn || a == b; }

inline std::string dimStr(int64_t d) { return d == kDyn ? "?" : std::to_string(d); }

// An unranked value passes: its rank is checked once it is known.
inline LogicalResult checkRank(Operation *op, Value v, int64_t rank, StringRef what) {
  auto t = ranked(v);
  if (t && t.getRank() != rank)
    return op->emitOpError() << what << " must have rank " << rank << ", got " << t.getRank();
  return success();
}

// A per-channel vector: rank 1 with n elements.
inline LogicalResult checkVector(Operation *op, Value v, int64_t n, StringRef what) {
  if (failed(checkRank(op, v, 1, what)))
    return failure();
  if (!sameDim(dim(v, 0), n))
    return op->emitOpError() << what << " must have " << dimStr(n) << " elements, got "
                             << dimStr(dim(v, 0));
  return success();
}

// An [h, w] attribute whose entries are all >= min.
inline LogicalResult readPair(Operation *op, ArrayAttr a, StringRef name, int64_t min, int64_t out[2]) {
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

inline LogicalResult readWindow(Operation *op, ArrayAttr kernel, ArrayAttr strides, ArrayAttr pads,
                         Window &w) {
  if (failed(readPair(op, kernel, "kernel", 1, w.k)) ||
      failed(readPair(op, strides, "strides", 1, w.s)) || failed(readPair(op, pads, "pads", 0, w.p)))
    return failure();
  return success();
}

// [N, C, H, W] -> [N, outC, H', W'] with H' = floor((H + 2p - k) / s) + 1.
inline LogicalResult windowType(Operation *op, Value x, int64_t outC, const Window &w, Type &out) {
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
inline LogicalResult convType(Operation *op, Value x, Value weight, ArrayAttr kernel, ArrayAttr strides,
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
inline LogicalResult poolType(Operation *op, Value x, ArrayAttr kernel, ArrayAttr strides, ArrayAttr pads,
                       Type &out) {
  Window w;
  if (failed(readWindow(op, kernel, strides, pads, w)))
    return failure();
  if (w.p[0] >= w.k[0] || w.p[1] >= w.k[1])
    return op->emitOpError("pads must be smaller than the kernel");
  return windowType(op, x, dim(x, 1), w, out);
}

inline LogicalResult checkPositive(Operation *op, double v, StringRef name) {
  if (!(v > 0))
    return op->emitOpError() << name << " must be positive, got " << v;
  return success();
}


} // namespace netc::net::rules
