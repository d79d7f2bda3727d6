// -net-fuse-train: merges training ops that the CPU kernels compute in one
// pass, as -net-fuse does for inference:
//
//   relu(batch_norm_train(x))            -> batch_norm_train {relu}
//   batch_norm_grad(relu_grad(d, y), ..) -> batch_norm_grad(d, .., y) {relu}
//   add(conv2d_grad_input(..), g)        -> conv2d_grad_input(.., g) {epilogue ["add"]}
//   add(conv2d_grad_input(..), zero_pad_shortcut_grad(g))
//                                        -> .. {epilogue ["add_shortcut"]}
//   relu_grad(conv2d_grad_input(..), m)  -> .. {epilogue [..., "relu_mask"]}
//
// Each rewrite needs the inner value to have a single use, so nothing it
// removes is needed in memory anyway. A rewritten op is built where the
// outer op was: every operand dominates that point.
#include "compiler/dialect/NetOps.h"
#include "compiler/passes/Passes.h"

using namespace mlir;
using namespace netc::net;

namespace {

template <typename T> T soleDef(Value v) {
  auto d = v.getDefiningOp<T>();
  return d && v.hasOneUse() ? d : T();
}

void fuseBnRelu(ReluOp relu) {
  auto bn = soleDef<BatchNormTrainOp>(relu.x());
  if (!bn || bn.relu())
    return;
  bn.reluAttr(BoolAttr::get(bn.getContext(), true));
  bn->setLoc(FusedLoc::get(bn.getContext(), {bn.getLoc(), relu.getLoc()}));
  relu.output().replaceAllUsesWith(bn.output());
  relu.erase();
}

void fuseBnGradRelu(BatchNormGradOp g) {
  if (g.relu())
    return;
  auto rg = soleDef<ReluGradOp>(g.dy());
  if (!rg)
    return;
  OpBuilder b(g);
  OperationState st(g.getLoc(), g->getName());
  st.addOperands({rg.dy(), g.x(), g.stats(), g.gamma(), rg.y()});
  st.addTypes(g->getResultTypes());
  st.addAttribute("eps", g.epsAttr());
  st.addAttribute("relu", b.getBoolAttr(true));
  Operation *fused = b.createOperation(st);
  g->replaceAllUsesWith(fused->getResults());
  g.erase();
  rg.erase();
}

// conv2d_grad_input `c` with one more epilogue entry, built at `at`.
Operation *extend(Conv2dGradInputOp c, Operation *at, StringRef kind, Value arg,
                  IntegerAttr shortcutStride = {}) {
  OpBuilder b(at);
  SmallVector<Attribute> epi(c.epilogue().begin(), c.epilogue().end());
  epi.push_back(b.getStringAttr(kind));
  OperationState st(FusedLoc::get(c.getContext(), {c.getLoc(), at->getLoc()}), c->getName());
  st.addOperands({c.dy(), c.weight()});
  st.addOperands(c.args());
  st.addOperands(arg);
  st.addTypes(at->getResultTypes());
  for (NamedAttribute a : c->getAttrs())
    if (a.getName() != "epilogue" && a.getName() != "shortcut_stride")
      st.addAttribute(a.getName(), a.getValue());
  st.addAttribute("epilogue", b.getArrayAttr(epi));
  if (shortcutStride)
    st.addAttribute("shortcut_stride", shortcutStride);
  else if (c.shortcut_strideAttr())
    st.addAttribute("shortcut_stride", c.shortcut_strideAttr());
  Operation *fused = b.createOperation(st);
  at->getResult(0).replaceAllUsesWith(fused->getResult(0));
  at->erase();
  c.erase();
  return fused;
}

bool hasEntry(Conv2dGradInputOp c, StringRef kind) {
  for (Attribute a : c.epilogue())
    if (a.cast<StringAttr>().getValue() == kind)
      return true;
  return false;
}

// The conv kernel adds at most one gradient, before the relu mask.
void fuseGradAdd(AddOp add) {
  for (unsigned i = 0; i < 2; ++i) {
    auto c = soleDef<Conv2dGradInputOp>(add->getOperand(i));
    if (!c || !c.epilogue().empty())
      continue;
    Value other = add->getOperand(1 - i);
    if (auto zp = soleDef<ZeroPadShortcutGradOp>(other)) {
      Value g = zp.g();
      IntegerAttr s = zp.strideAttr();
      extend(c, add, "add_shortcut", g, s);
      zp.erase();
      return;
    }
    extend(c, add, "add", other);
    return;
  }
}

void fuseGradReluMask(ReluGradOp rg) {
  auto c = soleDef<Conv2dGradInputOp>(rg.dy());
  if (c && !hasEntry(c, "relu_mask"))
    extend(c, rg, "relu_mask", rg.y());
}

struct FuseTrainPass : PassWrapper<FuseTrainPass, OperationPass<FuncOp>> {
  StringRef getArgument() const final { return "net-fuse-train"; }
  StringRef getDescription() const final {
    return "Fuse training ops computed in one kernel pass (BN+relu, conv dX epilogues)";
  }
  void runOnOperation() override {
    FuncOp f = getOperation();
    // Each walk collects first: the rewrites erase ops.
    SmallVector<ReluOp> relus;
    f.walk([&](ReluOp op) { relus.push_back(op); });
    for (ReluOp op : relus)
      fuseBnRelu(op);
    SmallVector<BatchNormGradOp> bns;
    f.walk([&](BatchNormGradOp op) { bns.push_back(op); });
    for (BatchNormGradOp op : bns)
      fuseBnGradRelu(op);
    SmallVector<AddOp> adds;
    f.walk([&](AddOp op) { adds.push_back(op); });
    for (AddOp op : adds)
      fuseGradAdd(op);
    SmallVector<ReluGradOp> masks;
    f.walk([&](ReluGradOp op) { masks.push_back(op); });
    for (ReluGradOp op : masks)
      fuseGradReluMask(op);
  }
};

} // namespace

std::unique_ptr<Pass> netc::net::createFuseTrainPass() {
  return std::make_unique<FuseTrainPass>();
}
