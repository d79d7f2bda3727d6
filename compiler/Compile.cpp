#include "compiler/Compile.h"

#include "compiler/MLIRGen.h"
#include "compiler/Pipeline.h"

#include "mlir/IR/Diagnostics.h"

#include <stdexcept>

namespace netc::compiler {

mlir::OwningOpRef<mlir::ModuleOp> compileNetwork(mlir::MLIRContext &ctx,
                                                 const netc::dsl::Network &net,
                                                 const std::string &stage) {
  std::string messages;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
    messages += d.str() + "\n";
    return mlir::success();
  });
  loadDialects(ctx);
  mlir::OwningOpRef<mlir::ModuleOp> m = buildModule(ctx, net);
  if (!m || mlir::failed(runStage(*m, stage)))
    throw std::runtime_error("compiling '" + net.name + "' failed:\n" + messages);
  return m;
}

} // namespace netc::compiler
