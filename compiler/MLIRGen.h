// MLIR generation: an elaborated dsl::Network becomes a module holding one
// builtin.func of net ops (dsl -> compiler hand-off).
#pragma once

#include "dsl/Network.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

namespace netc::compiler {

/// Builds `func @<net.name>(%input: tensor<?xCxHxWxf32>) -> <output type>`.
/// All net.param ops come first, in layer order, named as PyTorch's
/// state_dict names them ("<layer>.weight", "<layer>.bias", BN's
/// ".running_mean", ".running_var"); then one op per layer, with a
/// net.flatten inserted where a rank-4 value feeds fc or softmax.
/// Each result type comes from the op's shape rule and is cross-checked
/// against the DSL's shape. Loads the dialects it needs into `ctx`; returns
/// null after emitting a diagnostic on failure.
mlir::OwningOpRef<mlir::ModuleOp> buildModule(mlir::MLIRContext &ctx,
                                              const netc::dsl::Network &net);

} // namespace netc::compiler
