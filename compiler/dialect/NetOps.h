// Ops of the `net` dialect (see NetOps.td).
#pragma once

#include "compiler/dialect/NetDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace netc::net {
/// Verifier shared by all net ops: runs the op's inferTypes and checks each
/// declared result type is compatible with the inferred one.
mlir::LogicalResult verifyInferredTypes(mlir::Operation *op);

/// tensor<?xCxHxWxf32>: an activation with a dynamic batch.
mlir::RankedTensorType activationType(mlir::MLIRContext *ctx, llvm::ArrayRef<int64_t> chw);

class ParamGradOp;
/// net.param_grad: a non-empty name and a static gradient type.
mlir::LogicalResult verifyParamGrad(ParamGradOp op);
} // namespace netc::net

#define GET_OP_CLASSES
#include "compiler/dialect/NetOps.h.inc"
