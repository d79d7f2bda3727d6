// What the Executor and the Trainer both need to walk a compiled `net`
// module: attribute readers, the layer name an op came from, the error for
// an op a backend cannot run, parameter binding, and the NCHW -> NHWC copy
// of a batch at the boundary.
#pragma once

#include "runtime/NamedTensor.h"

#include "mlir/IR/Location.h"
#include "mlir/IR/Operation.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace netc::runtime {

std::vector<int64_t> intsAttr(mlir::Operation *op, const char *name);
double realAttr(mlir::Operation *op, const char *name);
int64_t intAttr(mlir::Operation *op, const char *name);
bool flagAttr(mlir::Operation *op, const char *name); ///< false when absent

/// The layer name MLIRGen put in the location (fusion merges locations),
/// else the op's name ("net.add").
std::string layerName(mlir::Operation *op);

/// Throws std::runtime_error: "cannot <verb> 'layer' (net.op) on the CPU
/// backend: <why>".
[[noreturn]] void unsupportedOp(mlir::Operation *op, const std::string &verb,
                                const std::string &why);

/// The tensor bound to the net.param `op`, checked against its static type.
/// Throws std::runtime_error naming the parameter when it is missing or has
/// another shape.
const NamedTensor &boundParam(mlir::Operation *op,
                              const std::map<std::string, const NamedTensor *> &given);

/// A batch of n images from NCHW (the caller's) to NHWC (the kernels').
void nchwToNhwc(const float *in, float *out, int64_t n, int64_t c, int64_t h, int64_t w);

} // namespace netc::runtime
