// One call from an elaborated network to a module at a given stage, with
// MLIR's diagnostics turned into an exception message: what the driver,
// the runtime and the tests use.
#pragma once

#include "dsl/Network.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>

namespace netc::compiler {

/// buildModule + runStage(stage) ("mlir", "fused" or "train"). Throws
/// std::runtime_error holding every diagnostic on failure.
mlir::OwningOpRef<mlir::ModuleOp> compileNetwork(mlir::MLIRContext &ctx,
                                                 const netc::dsl::Network &net,
                                                 const std::string &stage);

} // namespace netc::compiler
