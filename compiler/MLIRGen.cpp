#include "compiler/MLIRGen.h"

#include "compiler/Pipeline.h"
#include "compiler/dialect/NetOps.h"
#include "dsl/Params.h"

#include "mlir/Dialect/StandardOps/IR/Ops.h"

#include <map>

using namespace mlir;
using netc::dsl::Layer;
using L = netc::dsl::Op; // mlir::Op is taken

namespace {

class Gen {
public:
  Gen(MLIRContext &ctx, const netc::dsl::Network &net) : ctx_(ctx), b_(&ctx), net_(net) {}

  OwningOpRef<ModuleOp> build() {
    if (net_.layers.empty() || net_.layers[0].op != L::Input) {
      emitError(UnknownLoc::get(&ctx_)) << "network '" << net_.name << "' has no input layer";
      return nullptr;
    }
    OwningOpRef<ModuleOp> module = ModuleOp::create(UnknownLoc::get(&ctx_));
    const Layer &in = net_.layers[0];
    Type inType = netc::net::activationType(&ctx_, {in.out.c, in.out.h, in.out.w});
    // The result type is set once the last layer's type is known.
    auto func = FuncOp::create(loc(in), net_.name, b_.getFunctionType({inType}, {}));
    module->push_back(func);
    b_.setInsertionPointToStart(func.addEntryBlock());
    values_.resize(net_.layers.size());
    values_[0] = func.getArgument(0);
    emitParams();
    for (const Layer &l : net_.layers)
      if (l.op != L::Input && failed(emitLayer(l)))
        return nullptr;
    Value out = values_.back();
    b_.create<ReturnOp>(loc(net_.output()), out);
    func.setType(b_.getFunctionType({inType}, {out.getType()}));
    return module;
  }

private:
  Location loc(const Layer &l) { return NameLoc::get(b_.getStringAttr(l.name)); }

  // Names, shapes and order come from dsl::parameterSpecs, the list that
  // weights files, ONNX import and initialisers also use.
  void emitParams() {
    for (const netc::dsl::ParamSpec &spec : netc::dsl::parameterSpecs(net_)) {
      auto type = RankedTensorType::get(spec.shape, b_.getF32Type());
      Value v = b_.create<netc::net::ParamOp>(loc(net_.layers[spec.layer]), type,
                                              b_.getStringAttr(spec.name));
      params_[spec.layer].push_back(v); // weight, bias / BN's four, in order
    }
  }

  ArrayAttr pair(int a, int b) { return b_.getI64ArrayAttr({a, b}); }

  // fc and softmax work on [N, K]: flatten a rank-4 input first.
  Value flat(Value v, const Layer &l) {
    if (v.getType().cast<ShapedType>().getRank() == 2)
      return v;
    auto op = b_.create<netc::net::FlattenOp>(
        NameLoc::get(b_.getStringAttr(l.name + ".flatten")),
        TypeRange{UnrankedTensorType::get(b_.getF32Type())}, ValueRange{v});
    return succeeded(infer(op)) ? op.output() : Value();
  }

  // Sets the op's result types from its shape rule (which also checks it).
  LogicalResult infer(Operation *op) {
    SmallVector<Type, 2> types;
    if (failed(cast<netc::net::ShapeInfer>(op).inferTypes(types)))
      return failure();
    for (auto [result, type] : llvm::zip(op->getResults(), types))
      result.setType(type);
    return success();
  }

  template <typename OpT>
  Operation *make(const Layer &l, ValueRange operands, ArrayRef<NamedAttribute> attrs = {}) {
    return b_.create<OpT>(loc(l), TypeRange{UnrankedTensorType::get(b_.getF32Type())}, operands,
                          attrs);
  }

  NamedAttribute attr(StringRef name, Attribute a) { return b_.getNamedAttr(name, a); }
  NamedAttribute f64(StringRef name, double v) { return attr(name, b_.getF64FloatAttr(v)); }

  LogicalResult emitLayer(const Layer &l) {
    Value x = values_[l.inputs[0]];
    SmallVector<Value> &p = params_[l.id];
    SmallVector<NamedAttribute> window{attr("kernel", pair(l.kh, l.kw)),
                                       attr("strides", pair(l.sh, l.sw)),
                                       attr("pads", pair(l.ph, l.pw))};
    Operation *op = nullptr;
    switch (l.op) {
    case L::Input:
      return success();
    case L::Conv: {
      SmallVector<Value, 3> operands{x, p[0]};
      if (l.bias)
        operands.push_back(p[1]);
      op = make<netc::net::Conv2dOp>(l, operands, window);
      break;
    }
    case L::BatchNorm:
      op = make<netc::net::BatchNormOp>(l, {x, p[0], p[1], p[2], p[3]},
                                        {f64("eps", l.bnEps), f64("momentum", l.bnMomentum)});
      break;
    case L::Relu:
      op = make<netc::net::ReluOp>(l, {x});
      break;
    case L::Add:
      op = make<netc::net::AddOp>(l, {x, values_[l.inputs[1]]});
      break;
    case L::MaxPool:
      op = make<netc::net::MaxPoolOp>(l, {x}, window);
      break;
    case L::AvgPool:
      window.push_back(attr("count_include_pad", b_.getBoolAttr(l.countIncludePad)));
      op = make<netc::net::AvgPoolOp>(l, {x}, window);
      break;
    case L::GlobalAvgPool:
      op = make<netc::net::GlobalAvgPoolOp>(l, {x});
      break;
    case L::Flatten:
      if (!(x = flat(x, l)))
        return failure();
      values_[l.id] = x;
      return checkShape(l, x);
    case L::Fc:
      if (!(x = flat(x, l)))
        return failure();
      op = make<netc::net::FcOp>(l, {x, p[0], p[1]});
      break;
    case L::Dropout:
      op = make<netc::net::DropoutOp>(l, {x}, {f64("rate", l.rate)});
      break;
    case L::Lrn:
      op = make<netc::net::LrnOp>(l, {x},
                                  {attr("size", b_.getI64IntegerAttr(l.lrnSize)),
                                   f64("alpha", l.lrnAlpha), f64("beta", l.lrnBeta),
                                   f64("k", l.lrnK)});
      break;
    case L::Softmax:
      if (!(x = flat(x, l)))
        return failure();
      op = make<netc::net::SoftmaxOp>(l, {x});
      break;
    case L::ZeroPadShortcut:
      op = make<netc::net::ZeroPadShortcutOp>(
          l, {x},
          {attr("stride", b_.getI64IntegerAttr(l.sh)),
           attr("out_channels", b_.getI64IntegerAttr(l.out.c))});
      break;
    }
    if (failed(infer(op)))
      return failure();
    values_[l.id] = op->getResult(0);
    return checkShape(l, values_[l.id]);
  }

  // The DSL and the op's shape rule must agree: a mismatch is a bug in one
  // of them, better caught here than as wrong numbers at run time.
  LogicalResult checkShape(const Layer &l, Value v) {
    auto t = v.getType().cast<RankedTensorType>();
    bool ok = t.getRank() == 4
                  ? t.getDimSize(1) == l.out.c && t.getDimSize(2) == l.out.h &&
                        t.getDimSize(3) == l.out.w
                  : t.getRank() == 2 && t.getDimSize(1) == l.out.elements();
    if (!ok)
      return emitError(loc(l)) << "layer '" << l.name << "': MLIR infers " << t
                               << " but the DSL gives " << l.out.str();
    return success();
  }

  MLIRContext &ctx_;
  OpBuilder b_;
  const netc::dsl::Network &net_;
  std::vector<Value> values_;                   // by layer id
  std::map<int, SmallVector<Value>> params_;    // by layer id, in emission order
};

} // namespace

OwningOpRef<ModuleOp> netc::compiler::buildModule(MLIRContext &ctx, const netc::dsl::Network &net) {
  loadDialects(ctx);
  return Gen(ctx, net).build();
}
