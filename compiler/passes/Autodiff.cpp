// -net-autodiff: turns an inference network function into one training
// step. Reverse mode, op by op:
//
//   func @net(%x) -> probs          func @net(%x, %labels: tensor<?xi32>)
//                                        -> (tensor<f32>, logits)
//     forward ops                      forward ops in training mode
//                                      (batch_norm_train, dropout_train)
//     softmax                          softmax_cross_entropy (loss, dlogits)
//                                      one *_grad op per forward op, last first
//                                      net.param_grad "name", %g per parameter
//
// A value used twice gets the sum of its gradients (net.add). The network's
// input needs no gradient, so the first conv computes dW only. New ops are
// created with unranked result types; the shape inference that follows
// gives them their types. -net-fuse-train then merges what the kernels
// compute in one pass.
#include "compiler/dialect/NetOps.h"
#include "compiler/passes/Passes.h"

#include "mlir/Dialect/StandardOps/IR/Ops.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseMap.h"

using namespace mlir;
using namespace netc::net;

namespace {

class Differentiator {
public:
  Differentiator(FuncOp func) : func_(func), b_(func.getContext()) {}

  LogicalResult run();

private:
  // ---- helpers ----------------------------------------------------------
  Type unranked() { return UnrankedTensorType::get(b_.getF32Type()); }

  Operation *make(Location loc, StringRef name, ValueRange operands, unsigned results,
                  ArrayRef<NamedAttribute> attrs = {}) {
    OperationState st(loc, name);
    st.addOperands(operands);
    st.addTypes(SmallVector<Type>(results, unranked()));
    st.addAttributes(attrs);
    return b_.createOperation(st);
  }
  NamedAttribute attr(StringRef name, Attribute a) { return b_.getNamedAttr(name, a); }
  NamedAttribute copy(Operation *op, StringRef name) { return attr(name, op->getAttr(name)); }
  // [h, w] of a rank-4 value.
  ArrayAttr spatial(Value v) {
    auto t = v.getType().cast<RankedTensorType>();
    return b_.getI64ArrayAttr({t.getDimSize(2), t.getDimSize(3)});
  }

  // Adds g to the gradient of v (v's gradient is complete once every user
  // of v, all later in the block, has been visited).
  void accumulate(Value v, Value g) {
    if (v == input_)
      return;
    auto it = grads_.find(v);
    if (it == grads_.end()) {
      grads_[v] = g;
      return;
    }
    it->second = make(g.getLoc(), "net.add", {it->second, g}, 1)->getResult(0);
  }
  LogicalResult paramGrad(Operation *op, Value param, Value g) {
    auto p = param.getDefiningOp<ParamOp>();
    if (!p)
      return op->emitOpError("can only be trained when its weights are net.param values");
    OperationState st(op->getLoc(), "net.param_grad");
    st.addOperands(g);
    st.addAttribute("name", p.nameAttr());
    b_.createOperation(st);
    return success();
  }

  LogicalResult prepare();
  LogicalResult toTrainingMode(Operation *op);
  LogicalResult backward(Operation *op, Value dy);
  LogicalResult convGrad(Operation *op, Value dy);

  FuncOp func_;
  OpBuilder b_;
  Value input_;
  llvm::DenseMap<Value, Value> grads_;
  SmallVector<Operation *> forward_;
  // Training-mode replacements: a forward value -> the extra result its
  // backward needs (batch statistics, dropout mask).
  llvm::DenseMap<Operation *, Value> saved_;
};

LogicalResult Differentiator::prepare() {
  Block &body = func_.getBody().front();
  if (body.getNumArguments() != 1)
    return func_.emitOpError("a trainable network takes exactly one input");
  input_ = body.getArgument(0);
  for (Operation &op : body.without_terminator()) {
    // The gradient ops and the runtime's memory plan need every size but
    // the batch: shape inference must have run, and the input be static.
    for (Value r : op.getResults()) {
      auto t = r.getType().dyn_cast<RankedTensorType>();
      bool ok = t != nullptr;
      for (int64_t i = 1; ok && i < t.getRank(); ++i)
        ok = !t.isDynamicDim(i);
      if (!ok)
        return op.emitOpError("training needs static shapes (all but the batch), got ")
               << r.getType() << "; run -net-shape-inference first";
    }
    forward_.push_back(&op);
  }
  return success();
}

LogicalResult Differentiator::toTrainingMode(Operation *op) {
  StringRef n = op->getName().getStringRef();
  if (n != "net.batch_norm" && n != "net.dropout")
    return success();
  b_.setInsertionPoint(op);
  bool bn = n == "net.batch_norm";
  SmallVector<NamedAttribute> attrs(op->getAttrs().begin(), op->getAttrs().end());
  if (bn)
    attrs.push_back(attr("relu", b_.getBoolAttr(false)));
  Operation *t = make(op->getLoc(), bn ? "net.batch_norm_train" : "net.dropout_train",
                      op->getOperands(), 2, attrs);
  op->getResult(0).replaceAllUsesWith(t->getResult(0));
  saved_[t] = t->getResult(1);
  for (Operation *&f : forward_)
    if (f == op)
      f = t;
  op->erase();
  return success();
}

LogicalResult Differentiator::run() {
  if (failed(prepare()))
    return failure();
  for (Operation *op : SmallVector<Operation *>(forward_))
    if (failed(toTrainingMode(op)))
      return failure();

  Block &body = func_.getBody().front();
  Operation *ret = body.getTerminator();
  if (ret->getNumOperands() != 1)
    return func_.emitOpError("a trainable network returns exactly one value");
  Value out = ret->getOperand(0);
  Value logits = out;
  if (auto sm = out.getDefiningOp<SoftmaxOp>())
    logits = sm.x(); // the loss takes the logits; softmax stays for inference
  auto lt = logits.getType().dyn_cast<RankedTensorType>();
  if (!lt || lt.getRank() != 2)
    return func_.emitOpError("the training loss needs [N, classes] logits, got ")
           << logits.getType();

  Value labels = body.addArgument(RankedTensorType::get({ShapedType::kDynamicSize},
                                                        b_.getI32Type()),
                                  func_.getLoc());
  b_.setInsertionPoint(ret);
  Operation *xent = make(logits.getLoc(), "net.softmax_cross_entropy", {logits, labels}, 2);
  grads_[logits] = xent->getResult(1);

  for (Operation *op : llvm::reverse(forward_)) {
    if (op->getNumResults() == 0 || isa<ParamOp>(op))
      continue;
    auto it = grads_.find(op->getResult(0));
    if (it == grads_.end())
      continue; // not on the path to the loss (the final softmax)
    if (failed(backward(op, it->second)))
      return failure();
  }

  OpBuilder rb(ret);
  rb.create<ReturnOp>(ret->getLoc(), ValueRange{xent->getResult(0), logits});
  ret->erase();
  // Unused ops: the final softmax, and gradient ops whose only use was the
  // network input's gradient (a pool or relu reading the input directly).
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
    if (isOpTriviallyDead(&op))
      op.erase();
  SmallVector<Type> results{xent->getResult(0).getType(), logits.getType()};
  func_.setType(FunctionType::get(func_.getContext(), body.getArgumentTypes(), results));
  return success();
}

LogicalResult Differentiator::convGrad(Operation *op, Value dy) {
  Value x = op->getOperand(0), w = op->getOperand(1);
  SmallVector<NamedAttribute> window{copy(op, "kernel"), copy(op, "strides"), copy(op, "pads")};
  if (x != input_) {
    SmallVector<NamedAttribute> a = window;
    a.push_back(attr("input_size", spatial(x)));
    a.push_back(attr("epilogue", b_.getStrArrayAttr({})));
    accumulate(x, make(op->getLoc(), "net.conv2d_grad_input", {dy, w}, 1, a)->getResult(0));
  }
  Value dw = make(op->getLoc(), "net.conv2d_grad_weight", {dy, x}, 1, window)->getResult(0);
  if (failed(paramGrad(op, w, dw)))
    return failure();
  if (op->getNumOperands() > 2) {
    Value db = make(op->getLoc(), "net.conv2d_grad_bias", {dy}, 1)->getResult(0);
    return paramGrad(op, op->getOperand(2), db);
  }
  return success();
}

LogicalResult Differentiator::backward(Operation *op, Value dy) {
  StringRef n = op->getName().getStringRef();
  Location loc = op->getLoc();
  Value x = op->getNumOperands() ? op->getOperand(0) : Value();
  if (n == "net.conv2d")
    return convGrad(op, dy);
  if (n == "net.batch_norm_train") {
    Operation *g = make(loc, "net.batch_norm_grad", {dy, x, saved_[op], op->getOperand(1)}, 3,
                        {copy(op, "eps"), attr("relu", b_.getBoolAttr(false))});
    accumulate(x, g->getResult(0));
    if (failed(paramGrad(op, op->getOperand(1), g->getResult(1))))
      return failure();
    return paramGrad(op, op->getOperand(2), g->getResult(2));
  }
  if (n == "net.relu") {
    accumulate(x, make(loc, "net.relu_grad", {dy, op->getResult(0)}, 1)->getResult(0));
    return success();
  }
  if (n == "net.add") {
    accumulate(op->getOperand(0), dy);
    accumulate(op->getOperand(1), dy);
    return success();
  }
  if (n == "net.zero_pad_shortcut") {
    auto c = x.getType().cast<RankedTensorType>().getDimSize(1);
    accumulate(x, make(loc, "net.zero_pad_shortcut_grad", {dy}, 1,
                       {copy(op, "stride"), attr("in_channels", b_.getI64IntegerAttr(c)),
                        attr("input_size", spatial(x))})
                      ->getResult(0));
    return success();
  }
  if (n == "net.max_pool") {
    accumulate(x, make(loc, "net.max_pool_grad", {x, dy}, 1,
                       {copy(op, "kernel"), copy(op, "strides"), copy(op, "pads")})
                      ->getResult(0));
    return success();
  }
  if (n == "net.avg_pool") {
    accumulate(x, make(loc, "net.avg_pool_grad", {dy}, 1,
                       {copy(op, "kernel"), copy(op, "strides"), copy(op, "pads"),
                        copy(op, "count_include_pad"), attr("input_size", spatial(x))})
                      ->getResult(0));
    return success();
  }
  if (n == "net.global_avg_pool") {
    accumulate(x, make(loc, "net.global_avg_pool_grad", {dy}, 1,
                       {attr("input_size", spatial(x))})
                      ->getResult(0));
    return success();
  }
  if (n == "net.flatten") {
    auto t = x.getType().cast<RankedTensorType>();
    ArrayAttr shape = b_.getI64ArrayAttr({t.getDimSize(1), t.getDimSize(2), t.getDimSize(3)});
    accumulate(x, make(loc, "net.unflatten", {dy}, 1, {attr("shape", shape)})->getResult(0));
    return success();
  }
  if (n == "net.fc") {
    Operation *g = make(loc, "net.fc_grad", {dy, x, op->getOperand(1)}, 3);
    accumulate(x, g->getResult(0));
    if (failed(paramGrad(op, op->getOperand(1), g->getResult(1))))
      return failure();
    return paramGrad(op, op->getOperand(2), g->getResult(2));
  }
  if (n == "net.dropout_train") {
    accumulate(x, make(loc, "net.dropout_grad", {dy, saved_[op]}, 1, {copy(op, "rate")})
                      ->getResult(0));
    return success();
  }
  return op->emitOpError("has no gradient rule: training through '")
         << n << "' is not supported (supported: conv, batch norm, relu, add, shortcuts, "
            "pools, flatten, fc, dropout, and a final softmax)";
}

struct AutodiffPass : PassWrapper<AutodiffPass, OperationPass<FuncOp>> {
  StringRef getArgument() const final { return "net-autodiff"; }
  StringRef getDescription() const final {
    return "Build the training step (loss, gradients) of a network function";
  }
  void runOnOperation() override {
    Differentiator d(getOperation());
    if (failed(d.run()))
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> netc::net::createAutodiffPass() { return std::make_unique<AutodiffPass>(); }
