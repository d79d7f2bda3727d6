// -net-shape-inference: refine result types from each op's shape rule.
#include "compiler/dialect/NetOps.h"
#include "compiler/passes/Passes.h"

#include "mlir/Dialect/StandardOps/IR/Ops.h"

using namespace mlir;

namespace {

// The most static type compatible with both, or null when they conflict.
Type meet(Type declared, Type inferred) {
  auto d = declared.dyn_cast<RankedTensorType>(), i = inferred.dyn_cast<RankedTensorType>();
  if (!i)
    return declared;
  if (!d)
    return inferred;
  if (d.getRank() != i.getRank())
    return nullptr;
  SmallVector<int64_t, 4> shape;
  for (auto [a, b] : llvm::zip(d.getShape(), i.getShape())) {
    if (a != ShapedType::kDynamicSize && b != ShapedType::kDynamicSize && a != b)
      return nullptr;
    shape.push_back(a == ShapedType::kDynamicSize ? b : a);
  }
  return RankedTensorType::get(shape, d.getElementType());
}

struct ShapeInferencePass : PassWrapper<ShapeInferencePass, OperationPass<FuncOp>> {
  StringRef getArgument() const final { return "net-shape-inference"; }
  StringRef getDescription() const final {
    return "Infer and refine the result types of net ops";
  }

  void runOnOperation() override {
    FuncOp func = getOperation();
    // Ops are visited in order, so refined types flow forward to users.
    WalkResult walk = func.walk([](netc::net::ShapeInfer op) {
      SmallVector<Type, 2> inferred;
      if (failed(op.inferTypes(inferred)))
        return WalkResult::interrupt();
      for (auto [result, type] : llvm::zip(op->getResults(), inferred)) {
        Type refined = meet(result.getType(), type);
        if (!refined) {
          op->emitOpError() << "declared result type " << result.getType()
                            << " conflicts with the inferred " << type;
          return WalkResult::interrupt();
        }
        result.setType(refined);
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    // The signature must name the (possibly refined) returned types.
    func.walk([&](ReturnOp ret) {
      func.setType(FunctionType::get(func.getContext(), func.getArgumentTypes(),
                                     ret.getOperandTypes()));
    });
  }
};

} // namespace

std::unique_ptr<Pass> netc::net::createShapeInferencePass() {
  return std::make_unique<ShapeInferencePass>();
}
