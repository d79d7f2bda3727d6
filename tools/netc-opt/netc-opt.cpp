// netc-opt: mlir-opt for the net dialect. Parses net IR, runs any of the
// -net-* passes (or a -pass-pipeline) and prints the result; with
// -verify-diagnostics it checks expected-error comments, for the tests.
// -net-mlir-stage and -net-fused-stage run the compiler's stages exactly.
#include "compiler/Pipeline.h"
#include "compiler/passes/Passes.h"

#include "mlir/Support/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  netc::compiler::registerDialects(registry);
  netc::net::registerNetPasses();
  // Generic clean-ups are handy next to ours when reading the IR.
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "netc optimizer driver for the net dialect\n", registry));
}
