// -net-fold-bn: at inference a batch norm after a conv is an affine map per
// output channel, so it can be folded into the conv's weight and bias.
#include "compiler/dialect/NetOps.h"
#include "compiler/passes/Passes.h"

using namespace mlir;
using namespace netc::net;

namespace {

struct FoldBnPass : PassWrapper<FoldBnPass, OperationPass<FuncOp>> {
  StringRef getArgument() const final { return "net-fold-bn"; }
  StringRef getDescription() const final {
    return "Fold inference batch norm into the preceding conv2d";
  }

  void runOnOperation() override {
    SmallVector<BatchNormOp> norms;
    getOperation().walk([&](BatchNormOp bn) { norms.push_back(bn); });
    for (BatchNormOp bn : norms) {
      auto conv = bn.x().getDefiningOp<Conv2dOp>();
      // A conv whose output is also used elsewhere must keep that output.
      if (!conv || !conv->hasOneUse())
        continue;
      // Built at the batch norm: every operand of both ops dominates it.
      OpBuilder b(bn);
      Location loc = b.getFusedLoc({conv.getLoc(), bn.getLoc()});
      auto weightType = conv.weight().getType().dyn_cast<RankedTensorType>();
      int64_t o = weightType ? weightType.getDimSize(0) : ShapedType::kDynamicSize;
      Type biasType = RankedTensorType::get({o}, b.getF32Type());
      auto fold = b.create<FoldBnOp>(loc, conv.weight().getType(), biasType, conv.weight(),
                                     bn.gamma(), bn.beta(), bn.running_mean(),
                                     bn.running_var(), conv.bias(), bn.epsAttr());
      auto folded = b.create<Conv2dOp>(loc, bn.getType(), conv.input(), fold.folded_weight(),
                                       fold.folded_bias(), conv.kernelAttr(),
                                       conv.stridesAttr(), conv.padsAttr());
      bn.replaceAllUsesWith(folded.output());
      bn.erase();
      conv.erase();
    }
  }
};

} // namespace

std::unique_ptr<Pass> netc::net::createFoldBnPass() { return std::make_unique<FoldBnPass>(); }
