#include "compiler/passes/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

void netc::net::buildMlirStage(OpPassManager &pm) {
  pm.nest<FuncOp>().addPass(createShapeInferencePass());
}

void netc::net::buildFusedStage(OpPassManager &pm) {
  OpPassManager &fn = pm.nest<FuncOp>();
  fn.addPass(createShapeInferencePass());
  fn.addPass(createFoldBnPass());
  fn.addPass(createFusePass());
  fn.addPass(createDcePass());
  // The new ops' types are already exact; this re-checks them.
  fn.addPass(createShapeInferencePass());
}

void netc::net::buildTrainStage(OpPassManager &pm) {
  OpPassManager &fn = pm.nest<FuncOp>();
  fn.addPass(createShapeInferencePass());
  fn.addPass(createAutodiffPass());
  fn.addPass(createShapeInferencePass());
  fn.addPass(createFuseTrainPass());
}

void netc::net::registerNetPasses() {
  // Each pass names its own command-line argument (getArgument).
  registerPass(createShapeInferencePass);
  registerPass(createFoldBnPass);
  registerPass(createFusePass);
  registerPass(createDcePass);
  registerPass(createAutodiffPass);
  registerPass(createFuseTrainPass);
  // Static registrations would run at load time in every binary linking
  // the library; these only exist where someone asked for them.
  PassPipelineRegistration<>("net-mlir-stage", "The compiler's \"mlir\" stage",
                             buildMlirStage);
  PassPipelineRegistration<>("net-fused-stage", "The compiler's \"fused\" stage",
                             buildFusedStage);
  PassPipelineRegistration<>("net-train-stage", "The compiler's \"train\" stage",
                             buildTrainStage);
}
