#include "compiler/Pipeline.h"

#include "compiler/dialect/NetDialect.h"
#include "compiler/passes/Passes.h"

#include "mlir/Dialect/StandardOps/IR/Ops.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

using namespace mlir;

void netc::compiler::registerDialects(DialectRegistry &registry) {
  registry.insert<netc::net::NetDialect, StandardOpsDialect>();
}

void netc::compiler::loadDialects(MLIRContext &ctx) {
  DialectRegistry registry;
  registerDialects(registry);
  ctx.appendDialectRegistry(registry);
  ctx.loadAllAvailableDialects();
}

namespace {
// The pass manager verifies the IR after every pass.
LogicalResult run(ModuleOp module, void (*build)(OpPassManager &)) {
  if (failed(verify(module)))
    return failure();
  PassManager pm(module.getContext());
  build(pm);
  return pm.run(module);
}
} // namespace

LogicalResult netc::compiler::runMlirStage(ModuleOp module) {
  return run(module, netc::net::buildMlirStage);
}
LogicalResult netc::compiler::runFusedStage(ModuleOp module) {
  return run(module, netc::net::buildFusedStage);
}

LogicalResult netc::compiler::runTrainStage(ModuleOp module) {
  return run(module, netc::net::buildTrainStage);
}

LogicalResult netc::compiler::runStage(ModuleOp module, llvm::StringRef stage) {
  if (stage == "mlir")
    return runMlirStage(module);
  if (stage == "fused")
    return runFusedStage(module);
  if (stage == "train")
    return runTrainStage(module);
  return emitError(module.getLoc()) << "unknown stage '" << stage << "' (expected mlir, fused or train)";
}

std::string netc::compiler::printModule(ModuleOp module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module.print(os);
  return os.str();
}
