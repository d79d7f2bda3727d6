// Lowering of the training step: one kernel (or a view) per op of the
// "train" stage, forward ops in training mode first, then the gradients.
#include "runtime/TrainerImpl.h"

#include "runtime/WeightLayout.h"

namespace netc::runtime {

namespace {
// How a conv kernel of the step computes, in its description (the kernel
// list, the profile): Winograd F(m x m, 3 x 3) or, by default, direct.
std::string algorithm(int winograd) {
  return winograd ? " winograd F" + std::to_string(winograd) : "";
}
} // namespace

void Trainer::Impl::lower(mlir::ModuleOp module) {
  mlir::Operation *func = nullptr;
  for (mlir::Operation &op : module.getBody()->getOperations())
    if (op.getNumRegions() == 1)
      func = &op;
  if (!func || func->getRegion(0).empty())
    throw std::runtime_error("the module holds no network function");
  mlir::Block &body = func->getRegion(0).front();
  if (body.getNumArguments() != 2)
    throw std::runtime_error("not a training step: run the \"train\" stage first");
  input = newVal(body.getArgument(0));
  for (mlir::Operation &op : body.getOperations())
    if (!absorbed.count(&op))
      lowerOp(&op);
  if (loss < 0)
    throw std::runtime_error("the training step returns no loss");
}

void Trainer::Impl::lowerOp(mlir::Operation *op) {
  llvm::StringRef n = op->getName().getStringRef();
  if (n == "net.param")
    return bindParam(op);
  if (n == "net.param_grad") {
    std::string name = op->getAttrOfType<mlir::StringAttr>("name").str();
    Param &p = *paramByName.at(name);
    if (p.grad >= 0)
      unsupported(op, "parameter '" + name + "' has two gradients (a shared weight)");
    p.grad = valIn(op, op->getOperand(0));
    return;
  }
  if (op->getNumResults() == 0) { // the return: loss, logits
    loss = valIn(op, op->getOperand(0));
    logits = valIn(op, op->getOperand(1));
    return;
  }
  if (n.contains("_grad") || n == "net.unflatten")
    return lowerGrad(op, n);
  lowerForward(op, n);
}

hl::ConvSpec Trainer::Impl::convSpec(mlir::Operation *op, int cin, int cout, int inH, int inW) {
  std::vector<int64_t> k = intsAttr(op, "kernel"), s = intsAttr(op, "strides"), p = intsAttr(op, "pads");
  if (s[0] != s[1] || p[0] != p[1])
    unsupported(op, "training needs equal strides and pads along both axes");
  hl::ConvSpec spec;
  spec.cin = cin;
  spec.cout = cout;
  spec.kh = int(k[0]);
  spec.kw = int(k[1]);
  spec.stride = int(s[0]);
  spec.pad = int(p[0]);
  spec.inH = inH;
  spec.inW = inW;
  return spec;
}

hl::PoolSpec Trainer::Impl::poolSpec(mlir::Operation *op, int c, int inH, int inW) {
  std::vector<int64_t> k = intsAttr(op, "kernel"), s = intsAttr(op, "strides"), p = intsAttr(op, "pads");
  hl::PoolSpec ps;
  ps.c = c;
  ps.inH = inH;
  ps.inW = inW;
  ps.kh = int(k[0]);
  ps.kw = int(k[1]);
  ps.stride = int(s[0]);
  ps.pad = int(p[0]);
  ps.strideW = int(s[1]);
  ps.padW = int(p[1]);
  if (auto a = op->getAttrOfType<mlir::BoolAttr>("count_include_pad"))
    ps.countIncludePad = a.getValue();
  return ps;
}

void Trainer::Impl::conv(mlir::Operation *op) {
  int x = valIn(op, op->getOperand(0));
  Param &w = paramIn(op, op->getOperand(1));
  toHwio(w);
  const auto &xs = shapeOf(x);
  hl::ConvSpec spec = convSpec(op, int(xs[1]), int(w.shape[0]), int(xs[2]), int(xs[3]));
  std::vector<Arg> in = {nhwc(x), weight(w)};
  std::string what = "conv2d " + std::to_string(spec.kh) + "x" + std::to_string(spec.kw) + "/" +
                     std::to_string(spec.stride);
  if (op->getNumOperands() > 2) {
    spec.bias = true;
    in.push_back(weight(paramIn(op, op->getOperand(2))));
    what += " +bias";
  }
  // A conv without BN (VGG) applies its relu in the same pass; the relu's
  // output is the value its backward masks with.
  mlir::Value result = op->getResult(0);
  if (mlir::Operation *relu = soleUser(result, "net.relu")) {
    spec.relu = true;
    absorbed.insert(relu);
    result = relu->getResult(0);
    what += " +relu";
  }
  int y = newVal(result);
  sc::ConvSchedule sched = sc::chosenConvSchedule(spec, opts.target, opts.batch, true);
  Step &st = push(op, what + algorithm(sched.winograd), std::move(in), {nhwc(y)});
  st.fwd = sc::convKernel(sc::trainingConvSpec(spec, sched), opts.target, sched);
  st.conv = {TrainConvWork::Kind::Forward, spec, {}};
}

void Trainer::Impl::fc(mlir::Operation *op) {
  int x = valIn(op, op->getOperand(0));
  Param &w = paramIn(op, op->getOperand(1));
  hl::FcSpec s;
  s.out = int(w.shape[0]);
  s.in = int(w.shape[1]);
  s.bias = true;
  // A spatial map flattened from NHWC memory: permute the weight like the data.
  mlir::Operation *def = op->getOperand(0).getDefiningOp();
  if (def && def->getName().getStringRef() == "net.flatten" && w.layout == Param::Layout::Plain) {
    auto t = def->getOperand(0).getType().cast<mlir::RankedTensorType>();
    if (t.getDimSize(2) * t.getDimSize(3) > 1) {
      w.fcC = t.getDimSize(1), w.fcH = t.getDimSize(2), w.fcW = t.getDimSize(3);
      w.data = fcNchwToNhwc(w.data, w.shape[0], w.fcC, w.fcH, w.fcW);
      w.layout = Param::Layout::FcNhwc;
    }
  }
  mlir::Value result = op->getResult(0);
  if (mlir::Operation *relu = soleUser(result, "net.relu")) {
    s.relu = true;
    absorbed.insert(relu);
    result = relu->getResult(0);
  }
  int y = newVal(result);
  push(op, s.relu ? "fc +relu" : "fc",
       {matrix(x), weight(w), weight(paramIn(op, op->getOperand(2)))}, {matrix(y)})
      .fwd = sc::fcKernel(s, opts.target);
}

void Trainer::Impl::lowerForward(mlir::Operation *op, llvm::StringRef n) {
  if (n == "net.conv2d")
    return conv(op);
  if (n == "net.fc")
    return fc(op);
  int x = valIn(op, op->getOperand(0));
  if (n == "net.flatten") {
    aliasVal(op->getResult(0), x);
    return;
  }
  if (n == "net.batch_norm_train") {
    nb::BnTrainSpec s{shape3(x), float(realAttr(op, "eps")), float(realAttr(op, "momentum")),
                      flagAttr(op, "relu")};
    Param &g = paramIn(op, op->getOperand(1)), &b = paramIn(op, op->getOperand(2));
    Param &m = paramIn(op, op->getOperand(3)), &v = paramIn(op, op->getOperand(4));
    int y = newVal(op->getResult(0)), st = newVal(op->getResult(1));
    bnUpdates.push_back({st, &m, &v});
    push(op, s.relu ? "batch_norm_train +relu" : "batch_norm_train",
         {nhwc(x), weight(g), weight(b), weight(m), weight(v)}, {nhwc(y), rows(st)})
        .train = sb::bnTrainForwardKernel(s, opts.target);
    return;
  }
  if (n == "net.relu") {
    int y = newVal(op->getResult(0));
    push(op, "relu", {nhwc(x)}, {nhwc(y)}).fwd = sc::reluKernel(shape3(x), opts.target);
    return;
  }
  if (n == "net.add") {
    int b = valIn(op, op->getOperand(1));
    mlir::Value result = op->getResult(0);
    mlir::Operation *relu = soleUser(result, "net.relu");
    if (relu) {
      absorbed.insert(relu);
      result = relu->getResult(0);
    }
    int y = newVal(result);
    push(op, relu ? "add +relu" : "add", {nhwc(x), nhwc(b)}, {nhwc(y)}).fwd =
        sc::addKernel(shape3(x), relu != nullptr, opts.target);
    return;
  }
  if (n == "net.zero_pad_shortcut") {
    hl::ZeroPadSpec s{shape3(x), int(intAttr(op, "out_channels")), int(intAttr(op, "stride"))};
    int y = newVal(op->getResult(0));
    push(op, "zero_pad_shortcut", {nhwc(x)}, {nhwc(y)}).fwd =
        sc::zeroPadShortcutKernel(s, opts.target);
    return;
  }
  if (n == "net.max_pool" || n == "net.avg_pool") {
    const auto &xs = shapeOf(x);
    hl::PoolSpec ps = poolSpec(op, int(xs[1]), int(xs[2]), int(xs[3]));
    int y = newVal(op->getResult(0));
    bool mx = n == "net.max_pool";
    push(op, mx ? "max_pool" : "avg_pool", {nhwc(x)}, {nhwc(y)}).fwd =
        mx ? sc::maxPoolKernel(ps, opts.target) : sc::avgPoolKernel(ps, opts.target);
    return;
  }
  if (n == "net.global_avg_pool") {
    const auto &xs = shapeOf(x);
    hl::GlobalPoolSpec s{int(xs[1]), int(xs[2]), int(xs[3])};
    int y = newVal(op->getResult(0));
    push(op, "global_avg_pool", {nhwc(x)}, {nhwc(y)}).fwd = sc::globalAvgPoolKernel(s, opts.target);
    return;
  }
  if (n == "net.dropout_train") {
    float rate = float(realAttr(op, "rate"));
    int y = newVal(op->getResult(0)), mask = newVal(op->getResult(1));
    Step &s = push(op, "dropout_train", {flat(x), flat(mask)}, {flat(y)});
    s.train = sb::dropoutKernel(rate, opts.target);
    s.dropoutMask = mask;
    s.dropoutRate = rate;
    return;
  }
  if (n == "net.softmax_cross_entropy") {
    int l = newVal(op->getResult(0)), d = newVal(op->getResult(1));
    int k = int(shapeOf(x)[1]);
    Arg labels;
    labels.labels = true;
    labels.dims = {opts.batch};
    push(op, "softmax_cross_entropy", {matrix(x), labels}, {Arg{l, nullptr, {1}}, matrix(d)})
        .train = sb::softmaxXentKernel({k}, opts.target);
    return;
  }
  unsupported(op, "no training kernel for this op");
}

void Trainer::Impl::convGradInput(mlir::Operation *op) {
  int dy = valIn(op, op->getOperand(0));
  Param &w = paramIn(op, op->getOperand(1));
  std::vector<int64_t> size = intsAttr(op, "input_size");
  nb::ConvDxSpec d;
  d.conv = convSpec(op, int(w.shape[1]), int(w.shape[0]), int(size[0]), int(size[1]));
  std::vector<Arg> in = {nhwc(dy), weight(w)};
  std::string what = "conv2d_grad_input " + std::to_string(d.conv.kh) + "x" +
                     std::to_string(d.conv.kw) + "/" + std::to_string(d.conv.stride);
  unsigned arg = 2;
  for (mlir::Attribute a : op->getAttrOfType<mlir::ArrayAttr>("epilogue")) {
    llvm::StringRef kind = a.cast<mlir::StringAttr>().getValue();
    int v = valIn(op, op->getOperand(arg++));
    what += " +" + kind.str();
    if (kind == "relu_mask") {
      d.reluMask = true;
      in.push_back(nhwc(v));
      continue;
    }
    if (d.add != nb::GradAdd::None)
      unsupported(op, "the conv dX kernel adds at most one gradient");
    d.add = kind == "add" ? nb::GradAdd::Same : nb::GradAdd::ZeroPadded;
    if (d.add == nb::GradAdd::ZeroPadded) {
      const auto &gs = shapeOf(v);
      d.addC = int(gs[1]), d.addH = int(gs[2]), d.addW = int(gs[3]);
      d.addStride = int(intAttr(op, "shortcut_stride"));
    }
    // The kernel's operand order: dy, w, [add], [mask].
    in.insert(in.begin() + 2, nhwc(v));
  }
  int dx = newVal(op->getResult(0));
  sb::ConvDxSchedule sched = sb::chosenConvDxSchedule(d, opts.target, opts.batch);
  Step &st = push(op, what + algorithm(sched.winograd), std::move(in), {nhwc(dx)});
  st.train = sb::convDxKernel(d, opts.target, sched);
  st.conv = {TrainConvWork::Kind::Dx, d.conv, d};
}

void Trainer::Impl::lowerGrad(mlir::Operation *op, llvm::StringRef n) {
  if (n == "net.conv2d_grad_input")
    return convGradInput(op);
  int dy = valIn(op, op->getOperand(0));
  const auto &ds = shapeOf(dy);
  if (n == "net.conv2d_grad_weight") {
    int x = valIn(op, op->getOperand(1));
    const auto &xs = shapeOf(x);
    hl::ConvSpec s = convSpec(op, int(xs[1]), int(ds[1]), int(xs[2]), int(xs[3]));
    int dw = newVal(op->getResult(0));
    sb::ConvDwSchedule sched = sb::chosenConvDwSchedule(s, opts.target, opts.batch);
    Step &st = push(op, "conv2d_grad_weight" + algorithm(sched.winograd), {nhwc(dy), nhwc(x)},
                    {hwioVal(dw)});
    st.train = sb::convDwKernel(s, opts.target, sched);
    st.conv = {TrainConvWork::Kind::Dw, s, {}};
    return;
  }
  if (n == "net.conv2d_grad_bias") {
    hl::ConvSpec s;
    s.cout = int(ds[1]), s.inH = int(ds[2]), s.inW = int(ds[3]);
    int db = newVal(op->getResult(0));
    push(op, "conv2d_grad_bias", {nhwc(dy)}, {vec(db)}).train = sb::convDbKernel(s, opts.target);
    return;
  }
  if (n == "net.batch_norm_grad") {
    int x = valIn(op, op->getOperand(1)), st = valIn(op, op->getOperand(2));
    Param &g = paramIn(op, op->getOperand(3));
    bool relu = flagAttr(op, "relu");
    nb::BnTrainSpec s{shape3(x), float(realAttr(op, "eps")), 0.1f, relu};
    std::vector<Arg> in = {nhwc(dy)};
    if (relu)
      in.push_back(nhwc(valIn(op, op->getOperand(4))));
    in.insert(in.end(), {nhwc(x), rows(st), weight(g)});
    int dx = newVal(op->getResult(0));
    int dg = newVal(op->getResult(1));
    aliasVal(op->getResult(2), dg, shape3(x).c); // (c, 2): dgamma then dbeta
    vals[dg].shape = {2, shapeOf(dg)[0]};
    push(op, relu ? "batch_norm_grad +relu" : "batch_norm_grad", std::move(in),
         {nhwc(dx), rows(dg)})
        .train = sb::bnTrainBackwardKernel(s, opts.target);
    return;
  }
  if (n == "net.relu_grad") {
    int y = valIn(op, op->getOperand(1));
    int dx = newVal(op->getResult(0));
    push(op, "relu_grad", {flat(dy), flat(y)}, {flat(dx)}).train =
        sb::reluBackwardKernel(opts.target);
    return;
  }
  if (n == "net.max_pool_grad") {
    int x = valIn(op, op->getOperand(0));
    dy = valIn(op, op->getOperand(1));
    const auto &xs = shapeOf(x);
    hl::PoolSpec ps = poolSpec(op, int(xs[1]), int(xs[2]), int(xs[3]));
    int dx = newVal(op->getResult(0));
    push(op, "max_pool_grad", {nhwc(x), nhwc(dy)}, {nhwc(dx)}).train =
        sb::maxPoolBackwardKernel(ps, opts.target);
    return;
  }
  if (n == "net.avg_pool_grad" || n == "net.global_avg_pool_grad") {
    std::vector<int64_t> size = intsAttr(op, "input_size");
    int dx = newVal(op->getResult(0));
    if (n == "net.avg_pool_grad") {
      hl::PoolSpec ps = poolSpec(op, int(ds[1]), int(size[0]), int(size[1]));
      push(op, "avg_pool_grad", {nhwc(dy)}, {nhwc(dx)}).train =
          sb::avgPoolBackwardKernel(ps, opts.target);
    } else {
      hl::GlobalPoolSpec s{int(ds[1]), int(size[0]), int(size[1])};
      push(op, "global_avg_pool_grad", {nhwc(dy)}, {nhwc(dx)}).train =
          sb::globalAvgPoolBackwardKernel(s, opts.target);
    }
    return;
  }
  if (n == "net.unflatten") {
    aliasVal(op->getResult(0), dy);
    return;
  }
  if (n == "net.fc_grad") {
    int x = valIn(op, op->getOperand(1));
    Param &w = paramIn(op, op->getOperand(2));
    hl::FcSpec s;
    s.out = int(w.shape[0]);
    s.in = int(w.shape[1]);
    s.bias = true;
    int dx = newVal(op->getResult(0)), dw = newVal(op->getResult(1)), db = newVal(op->getResult(2));
    push(op, "fc_grad", {matrix(dy), matrix(x), weight(w)}, {matrix(dx), rows(dw), vec(db)})
        .train = sb::fcBackwardKernel(s, opts.target);
    return;
  }
  if (n == "net.zero_pad_shortcut_grad") {
    std::vector<int64_t> size = intsAttr(op, "input_size");
    hl::ZeroPadSpec s{{int(intAttr(op, "in_channels")), int(size[1]), int(size[0])}, int(ds[1]),
                      int(intAttr(op, "stride"))};
    int dx = newVal(op->getResult(0));
    push(op, "zero_pad_shortcut_grad", {nhwc(dy)}, {nhwc(dx)}).train =
        sb::zeroPadShortcutBackwardKernel(s, opts.target);
    return;
  }
  if (n == "net.dropout_grad") {
    int mask = valIn(op, op->getOperand(1));
    int dx = newVal(op->getResult(0));
    push(op, "dropout_grad", {flat(dy), flat(mask)}, {flat(dx)}).train =
        sb::dropoutKernel(float(realAttr(op, "rate")), opts.target);
    return;
  }
  unsupported(op, "no training kernel for this op");
}


} // namespace netc::runtime
