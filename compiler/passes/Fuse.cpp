// -net-fuse: conv2d [-> batch_norm] [-> add] [-> relu] into one
// net.fused_conv, so the lowering computes each output tile once and applies
// the post-ops while it is still in registers.
#include "compiler/dialect/NetOps.h"
#include "compiler/passes/Passes.h"

using namespace mlir;
using namespace netc::net;

namespace {

// The only user of v; null when v has no use or several (the intermediate
// value would then be needed in memory anyway).
Operation *soleUser(Value v) { return v.hasOneUse() ? *v.user_begin() : nullptr; }

void fuseFrom(Conv2dOp conv) {
  Builder b(conv.getContext());
  SmallVector<Attribute> postOps;
  SmallVector<Value> args;
  FloatAttr eps;
  SmallVector<Operation *> chain{conv};
  if (conv.bias()) {
    postOps.push_back(b.getStringAttr("bias"));
    args.push_back(conv.bias());
  }
  Value cur = conv.output();
  if (auto bn = dyn_cast_or_null<BatchNormOp>(soleUser(cur))) {
    postOps.push_back(b.getStringAttr("bn"));
    args.append({bn.gamma(), bn.beta(), bn.running_mean(), bn.running_var()});
    eps = bn.epsAttr();
    chain.push_back(bn);
    cur = bn.output();
  }
  // The residual (identity, zero_pad_shortcut or projection) is the other
  // operand. Convs are visited in program order, so when both operands are
  // conv chains the earlier one absorbs the add: in the DSL's block layout
  // that is the main path, and the projection stays a separate conv.
  if (auto add = dyn_cast_or_null<AddOp>(soleUser(cur))) {
    postOps.push_back(b.getStringAttr("add"));
    args.push_back(add.lhs() == cur ? add.rhs() : add.lhs());
    chain.push_back(add);
    cur = add.output();
  }
  if (auto relu = dyn_cast_or_null<ReluOp>(soleUser(cur))) {
    postOps.push_back(b.getStringAttr("relu"));
    chain.push_back(relu);
    cur = relu.output();
  }
  if (chain.size() == 1)
    return; // nothing to fuse; a bare conv stays a conv2d
  // Built at the chain's last op, which every operand dominates.
  Operation *last = chain.back();
  OpBuilder ob(last);
  SmallVector<Location> locs;
  for (Operation *op : chain)
    locs.push_back(op->getLoc());
  auto fused = ob.create<FusedConvOp>(ob.getFusedLoc(locs), cur.getType(), conv.input(),
                                      conv.weight(), args, conv.kernelAttr(), conv.stridesAttr(),
                                      conv.padsAttr(), ob.getArrayAttr(postOps), eps);
  cur.replaceAllUsesWith(fused.output());
  // Last first: each op's only user is the next one in the chain.
  for (Operation *op : llvm::reverse(chain))
    op->erase();
}

struct FusePass : PassWrapper<FusePass, OperationPass<FuncOp>> {
  StringRef getArgument() const final { return "net-fuse"; }
  StringRef getDescription() const final {
    return "Fuse conv2d with following batch_norm, add and relu into net.fused_conv";
  }

  void runOnOperation() override {
    // Collected first: fusing erases ops, but never another conv2d.
    SmallVector<Conv2dOp> convs;
    getOperation().walk([&](Conv2dOp conv) { convs.push_back(conv); });
    for (Conv2dOp conv : convs)
      fuseFrom(conv);
  }
};

} // namespace

std::unique_ptr<Pass> netc::net::createFusePass() { return std::make_unique<FusePass>(); }
