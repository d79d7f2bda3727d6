// The compiler's MLIR stages, as the driver runs them.
#pragma once

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Dialect.h"
#include "mlir/Support/LogicalResult.h"

#include <string>

namespace netc::compiler {

/// The dialects a net module uses (net, std for return).
void registerDialects(mlir::DialectRegistry &registry);
void loadDialects(mlir::MLIRContext &ctx);

/// "mlir": verify the module and infer/refine every result type.
mlir::LogicalResult runMlirStage(mlir::ModuleOp module);

/// "fused" (inference): the "mlir" stage, then -net-fold-bn, -net-fuse,
/// -net-dce, and shape inference again over the new ops.
mlir::LogicalResult runFusedStage(mlir::ModuleOp module);

/// "train": the "mlir" stage, then -net-autodiff and -net-fuse-train: one
/// training step (loss and every parameter's gradient).
mlir::LogicalResult runTrainStage(mlir::ModuleOp module);

/// Runs a stage by name ("mlir", "fused" or "train"); fails on an unknown name.
mlir::LogicalResult runStage(mlir::ModuleOp module, llvm::StringRef stage);

/// The module's textual IR, as netc-opt would print it.
std::string printModule(mlir::ModuleOp module);

} // namespace netc::compiler
