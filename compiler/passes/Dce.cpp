// -net-dce: inference clean-up. Dropout is the identity at inference, and
// ops whose results nobody uses (all net ops are side-effect free) go.
#include "compiler/dialect/NetOps.h"
#include "compiler/passes/Passes.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;
using namespace netc::net;

namespace {

struct DcePass : PassWrapper<DcePass, OperationPass<FuncOp>> {
  StringRef getArgument() const final { return "net-dce"; }
  StringRef getDescription() const final {
    return "Remove inference dropout and unused net ops";
  }

  void runOnOperation() override {
    FuncOp func = getOperation();
    func.walk([](DropoutOp drop) {
      drop.replaceAllUsesWith(drop.x());
      drop.erase();
    });
    // Backwards, so an op whose only user was just erased is seen as dead.
    for (Block &block : func.getBody())
      for (Operation &op : llvm::make_early_inc_range(llvm::reverse(block)))
        if (!op.hasTrait<OpTrait::IsTerminator>() && isOpTriviallyDead(&op))
          op.erase();
  }
};

} // namespace

std::unique_ptr<Pass> netc::net::createDcePass() { return std::make_unique<DcePass>(); }
