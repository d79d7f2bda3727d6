#include "runtime/Trainer.h"

#include "runtime/Init.h"
#include "runtime/MemoryPlan.h"
#include "runtime/WeightLayout.h"
#include "schedules/cpu/CpuKernels.h"
#include "schedules/cpu/backward/TrainKernels.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <stdexcept>

namespace netc::runtime {

namespace hl = netc::halide;
namespace nb = netc::halide::backward;
namespace sc = netc::schedules;
namespace sb = netc::schedules::backward;

namespace {

std::vector<int64_t> ints(mlir::Operation *op, const char *name) {
  std::vector<int64_t> v;
  for (mlir::Attribute a : op->getAttrOfType<mlir::ArrayAttr>(name))
    v.push_back(a.cast<mlir::IntegerAttr>().getInt());
  return v;
}
double real(mlir::Operation *op, const char *name) {
  return op->getAttrOfType<mlir::FloatAttr>(name).getValueAsDouble();
}
int64_t integer(mlir::Operation *op, const char *name) {
  return op->getAttrOfType<mlir::IntegerAttr>(name).getInt();
}
bool flag(mlir::Operation *op, const char *name) {
  auto a = op->getAttrOfType<mlir::BoolAttr>(name);
  return a && a.getValue();
}
std::string locName(mlir::Location loc) {
  if (auto n = loc.dyn_cast<mlir::NameLoc>())
    return n.getName().str();
  if (auto f = loc.dyn_cast<mlir::FusedLoc>())
    for (mlir::Location l : f.getLocations()) {
      std::string s = locName(l);
      if (!s.empty())
        return s;
    }
  return "";
}
std::string opName(mlir::Operation *op) { return op->getName().getStringRef().str(); }

[[noreturn]] void unsupported(mlir::Operation *op, const std::string &why) {
  std::string where = locName(op->getLoc());
  throw std::runtime_error("cannot train '" + (where.empty() ? opName(op) : where) + "' (" +
                           opName(op) + ") on the CPU backend: " + why);
}

/// A trained parameter or buffer, in the kernels' layout.
struct Param {
  enum class Layout { Plain, Hwio, FcNhwc } layout = Layout::Plain;
  std::string name;
  std::vector<int64_t> shape; // PyTorch's
  std::vector<float> data; // while lowering; then moved into the aligned block
  float *ptr = nullptr;     // the values the kernels and the optimiser use
  int64_t count = 0;
  int64_t fcC = 0, fcH = 0, fcW = 0; // FcNhwc: the flattened map
  int grad = -1;                     // value holding its gradient
};

/// A tensor of the step: a slot of the arena, or a view into another's.
struct Val {
  std::vector<int64_t> shape; // batch resolved
  int owner = -1;
  int64_t shift = 0; // floats into the owner's slot
  int64_t offset = 0;
  int64_t floats() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

/// How a kernel sees a tensor: Halide dims, innermost first.
struct Arg {
  int val = -1;
  Param *param = nullptr;
  std::vector<int> dims;
  bool labels = false;
};

struct Step {
  std::string name, what;
  sc::KernelPtr fwd; // single output, halide_buffer_t** calling convention
  sb::TrainKernelPtr train;
  std::vector<Arg> in, out;
  int dropoutMask = -1; // val to fill with a fresh mask before running
  float dropoutRate = 0;
  std::vector<Halide::Buffer<>> inBufs, outBufs;
  std::vector<halide_buffer_t *> args;
  double seconds = 0;
};

/// 64-byte aligned float storage: the kernels' schedules use aligned vector
/// loads (vmovaps) on their buffers.
struct FreeDeleter {
  void operator()(float *p) const { std::free(p); }
};
using AlignedFloats = std::unique_ptr<float[], FreeDeleter>;
AlignedFloats alignedFloats(size_t n) {
  size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
  auto *p = static_cast<float *>(std::aligned_alloc(64, bytes ? bytes : 64));
  if (!p)
    throw std::bad_alloc();
  std::memset(p, 0, bytes); // fault every page in now, not during a step
  return AlignedFloats(p);
}

struct BnUpdate {
  int stats;
  Param *mean, *var;
};

using Clock = std::chrono::steady_clock;

} // namespace

struct Trainer::Impl {
  TrainerOptions opts;
  std::map<std::string, const NamedTensor *> given;
  std::deque<Param> params; // stable addresses
  std::map<std::string, Param *> paramByName;
  llvm::DenseMap<mlir::Value, Param *> paramOf;
  llvm::DenseMap<mlir::Value, int> valOf;
  llvm::DenseSet<mlir::Operation *> absorbed;
  std::vector<Val> vals;
  std::vector<Step> steps;
  std::vector<BnUpdate> bnUpdates;
  int input = -1, loss = -1, logits = -1;
  std::vector<int64_t> inShape;
  std::vector<int32_t> labelData;
  MemoryPlan plan;
  AlignedFloats arena, paramBlock;
  bool profile = false;
  int64_t stepsRun = 0;
  Trainer::MaskSource maskSource;

  // ---- values -----------------------------------------------------------

  int newVal(mlir::Value v) {
    auto t = v.getType().dyn_cast<mlir::RankedTensorType>();
    if (!t)
      throw std::runtime_error("the training graph has an unranked value");
    Val x;
    for (int64_t d : t.getShape())
      x.shape.push_back(d < 0 ? opts.batch : d);
    vals.push_back(x);
    int id = static_cast<int>(vals.size()) - 1;
    valOf[v] = id;
    return id;
  }
  int aliasVal(mlir::Value v, int of, int64_t shift = 0) {
    int id = newVal(v);
    vals[id].owner = vals[of].owner < 0 ? of : vals[of].owner;
    vals[id].shift = vals[of].shift + shift;
    return id;
  }
  int valIn(mlir::Operation *op, mlir::Value v) {
    auto it = valOf.find(v);
    if (it == valOf.end())
      unsupported(op, "an operand is not a tensor of the step");
    return it->second;
  }
  Param &paramIn(mlir::Operation *op, mlir::Value v) {
    auto it = paramOf.find(v);
    if (it == paramOf.end())
      unsupported(op, "a weight operand is not a bound parameter");
    return *it->second;
  }
  const std::vector<int64_t> &shapeOf(int v) const { return vals[v].shape; }

  // Views (dims innermost first): NHWC (c, w, h, n), matrix (f, n), flat.
  Arg nhwc(int v) {
    const auto &s = shapeOf(v);
    if (s.size() == 2)
      return {v, nullptr, {int(s[1]), 1, 1, int(s[0])}};
    return {v, nullptr, {int(s[1]), int(s[3]), int(s[2]), int(s[0])}};
  }
  Arg matrix(int v) {
    const auto &s = shapeOf(v);
    return {v, nullptr, {int(vals[v].floats() / s[0]), int(s[0])}};
  }
  Arg flat(int v) { return {v, nullptr, {int(vals[v].floats())}}; }
  Arg rows(int v) { // a [r, c] parameter-shaped value: (c, r)
    const auto &s = shapeOf(v);
    return {v, nullptr, {int(s[1]), int(s[0])}};
  }
  Arg vec(int v) { return {v, nullptr, {int(shapeOf(v)[0])}}; }
  Arg hwioVal(int v) { // a conv weight gradient [O, C, kh, kw] in HWIO memory
    const auto &s = shapeOf(v);
    return {v, nullptr, {int(s[0]), int(s[1]), int(s[3]), int(s[2])}};
  }
  Arg weight(Param &p) {
    if (p.layout == Param::Layout::Hwio)
      return {-1, &p, {int(p.shape[0]), int(p.shape[1]), int(p.shape[3]), int(p.shape[2])}};
    if (p.shape.size() == 2)
      return {-1, &p, {int(p.shape[1]), int(p.shape[0])}};
    return {-1, &p, {int(p.shape[0])}};
  }
  hl::Shape3 shape3(int v) const {
    const auto &s = shapeOf(v);
    if (s.size() == 2)
      return {int(s[1]), 1, 1};
    return {int(s[1]), int(s[3]), int(s[2])};
  }

  Step &push(mlir::Operation *op, std::string what, std::vector<Arg> in, std::vector<Arg> out) {
    Step s;
    s.name = locName(op->getLoc());
    if (s.name.empty())
      s.name = opName(op);
    s.what = std::move(what);
    s.in = std::move(in);
    s.out = std::move(out);
    steps.push_back(std::move(s));
    return steps.back();
  }

  static mlir::Operation *soleUser(mlir::Value v, llvm::StringRef name) {
    if (!v.hasOneUse())
      return nullptr;
    mlir::Operation *u = *v.getUsers().begin();
    return u->getName().getStringRef() == name ? u : nullptr;
  }

  // ---- parameters --------------------------------------------------------

  void bindParam(mlir::Operation *op) {
    std::string name = op->getAttrOfType<mlir::StringAttr>("name").str();
    auto it = given.find(name);
    if (it == given.end())
      throw std::runtime_error("no weights for parameter '" + name + "'");
    auto t = op->getResult(0).getType().cast<mlir::RankedTensorType>();
    std::vector<int64_t> shape(t.getShape().begin(), t.getShape().end());
    if (it->second->shape != shape)
      throw std::runtime_error("parameter '" + name + "' is " + shapeString(it->second->shape) +
                               " but the network needs " + shapeString(shape));
    Param p;
    p.name = name;
    p.shape = shape;
    p.data = it->second->data;
    params.push_back(std::move(p));
    paramByName[name] = &params.back();
    paramOf[op->getResult(0)] = &params.back();
  }

  void toHwio(Param &p) {
    if (p.layout == Param::Layout::Hwio)
      return;
    p.data = oihwToHwio(p.data, p.shape[0], p.shape[1], p.shape[2], p.shape[3]);
    p.layout = Param::Layout::Hwio;
  }

  // ---- lowering ----------------------------------------------------------

  void lower(mlir::ModuleOp module);
  void lowerOp(mlir::Operation *op);
  void lowerForward(mlir::Operation *op, llvm::StringRef n);
  void lowerGrad(mlir::Operation *op, llvm::StringRef n);
  hl::ConvSpec convSpec(mlir::Operation *op, int cin, int cout, int inH, int inW);
  hl::PoolSpec poolSpec(mlir::Operation *op, int c, int inH, int inW);
  void conv(mlir::Operation *op);
  void convGradInput(mlir::Operation *op);
  void fc(mlir::Operation *op);

  // ---- memory and buffers ------------------------------------------------

  void planArena();
  void placeParams();
  void makeBuffers();
  Halide::Buffer<> buffer(const Arg &a);
  void runSteps(uint64_t stepIndex, bool check, std::string *bad);
  void fillMask(Step &s, uint64_t stepIndex, size_t k);
};

// ---------------------------------------------------------------------------

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
  std::vector<int64_t> k = ints(op, "kernel"), s = ints(op, "strides"), p = ints(op, "pads");
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
  std::vector<int64_t> k = ints(op, "kernel"), s = ints(op, "strides"), p = ints(op, "pads");
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
  int y = newVal(op->getResult(0));
  push(op, what, std::move(in), {nhwc(y)}).fwd = sc::convKernel(spec, opts.target);
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
    nb::BnTrainSpec s{shape3(x), float(real(op, "eps")), float(real(op, "momentum")),
                      flag(op, "relu")};
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
    hl::ZeroPadSpec s{shape3(x), int(integer(op, "out_channels")), int(integer(op, "stride"))};
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
    float rate = float(real(op, "rate"));
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
  std::vector<int64_t> size = ints(op, "input_size");
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
      d.addStride = int(integer(op, "shortcut_stride"));
    }
    // The kernel's operand order: dy, w, [add], [mask].
    in.insert(in.begin() + 2, nhwc(v));
  }
  int dx = newVal(op->getResult(0));
  push(op, what, std::move(in), {nhwc(dx)}).train = sb::convDxKernel(d, opts.target);
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
    push(op, "conv2d_grad_weight", {nhwc(dy), nhwc(x)}, {hwioVal(dw)}).train =
        sb::convDwKernel(s, opts.target);
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
    bool relu = flag(op, "relu");
    nb::BnTrainSpec s{shape3(x), float(real(op, "eps")), 0.1f, relu};
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
    std::vector<int64_t> size = ints(op, "input_size");
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
    std::vector<int64_t> size = ints(op, "input_size");
    hl::ZeroPadSpec s{{int(integer(op, "in_channels")), int(size[1]), int(size[0])}, int(ds[1]),
                      int(integer(op, "stride"))};
    int dx = newVal(op->getResult(0));
    push(op, "zero_pad_shortcut_grad", {nhwc(dy)}, {nhwc(dx)}).train =
        sb::zeroPadShortcutBackwardKernel(s, opts.target);
    return;
  }
  if (n == "net.dropout_grad") {
    int mask = valIn(op, op->getOperand(1));
    int dx = newVal(op->getResult(0));
    push(op, "dropout_grad", {flat(dy), flat(mask)}, {flat(dx)}).train =
        sb::dropoutKernel(float(real(op, "rate")), opts.target);
    return;
  }
  unsupported(op, "no training kernel for this op");
}

// ---------------------------------------------------------------------------

void Trainer::Impl::planArena() {
  std::vector<Lifetime> lives(vals.size());
  auto root = [&](int v) { return vals[v].owner < 0 ? v : vals[v].owner; };
  auto touch = [&](int v, int step) {
    Lifetime &l = lives[root(v)];
    l.last = std::max(l.last, step);
  };
  for (size_t v = 0; v < vals.size(); ++v)
    if (vals[v].owner < 0)
      lives[v].bytes = vals[v].floats() * 4;
  int end = static_cast<int>(steps.size()) + 1;
  for (size_t k = 0; k < steps.size(); ++k) {
    int step = static_cast<int>(k) + 1;
    for (const Arg &a : steps[k].out)
      if (a.val >= 0) {
        if (lives[root(a.val)].first == 0)
          lives[root(a.val)].first = step;
        touch(a.val, step);
      }
    for (const Arg &a : steps[k].in)
      if (a.val >= 0)
        touch(a.val, step);
  }
  // Read after the last kernel: the loss, the logits, the gradients (by
  // the optimiser) and the batch statistics (running-stat update).
  touch(loss, end);
  touch(logits, end);
  for (const Param &p : params)
    if (p.grad >= 0)
      touch(p.grad, end);
  for (const BnUpdate &u : bnUpdates)
    touch(u.stats, end);
  plan = planMemory(lives);
  arena = alignedFloats(static_cast<size_t>(plan.arenaBytes / 4 + 16));
  for (size_t v = 0; v < vals.size(); ++v)
    vals[v].offset = plan.offsets[root(static_cast<int>(v))] / 4 + vals[v].shift;
}

Halide::Buffer<> Trainer::Impl::buffer(const Arg &a) {
  if (a.labels)
    return Halide::Buffer<int32_t>(labelData.data(), a.dims);
  float *p = a.param ? a.param->ptr : arena.get() + vals[a.val].offset;
  return Halide::Buffer<float>(p, a.dims);
}

void Trainer::Impl::placeParams() {
  size_t total = 0;
  for (const Param &p : params)
    total += (p.data.size() + 15) / 16 * 16;
  paramBlock = alignedFloats(total);
  float *next = paramBlock.get();
  for (Param &p : params) {
    p.ptr = next;
    p.count = static_cast<int64_t>(p.data.size());
    std::copy(p.data.begin(), p.data.end(), p.ptr);
    next += (p.data.size() + 15) / 16 * 16;
    std::vector<float>().swap(p.data);
  }
}

void Trainer::Impl::makeBuffers() {
  for (Step &s : steps) {
    for (const Arg &a : s.in)
      s.inBufs.push_back(buffer(a));
    for (const Arg &a : s.out)
      s.outBufs.push_back(buffer(a));
    if (s.fwd) {
      for (Halide::Buffer<> &b : s.inBufs)
        s.args.push_back(b.raw_buffer());
      s.args.push_back(s.outBufs[0].raw_buffer());
    }
  }
  const auto &x = shapeOf(input);
  inShape = {opts.batch, x[1], x[2], x[3]};
}

void Trainer::Impl::fillMask(Step &s, uint64_t stepIndex, size_t k) {
  // A fresh Bernoulli(1 - rate) mask per (seed, step, op): deterministic
  // and resumable from the step index alone.
  float *m = arena.get() + vals[s.dropoutMask].offset;
  int64_t n = vals[s.dropoutMask].floats();
  if (maskSource)
    return maskSource(s.name, stepIndex, m, n);
  Rng rng(opts.seed * 0x9E3779B97F4A7C15ull ^ (stepIndex << 20) ^ k);
  for (int64_t i = 0; i < n; ++i)
    m[i] = rng.uniform() >= s.dropoutRate ? 1.f : 0.f;
}

namespace {
bool allFinite(const Halide::Buffer<> &b) {
  if (b.type() != Halide::Float(32))
    return true;
  Halide::Buffer<float> f(b);
  bool ok = true;
  f.for_each_value([&](float v) { ok = ok && std::isfinite(v); });
  return ok;
}
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
} // namespace

void Trainer::Impl::runSteps(uint64_t stepIndex, bool check, std::string *bad) {
  for (size_t k = 0; k < steps.size(); ++k) {
    Step &s = steps[k];
    Clock::time_point t0;
    if (profile)
      t0 = Clock::now();
    if (s.dropoutMask >= 0)
      fillMask(s, stepIndex, k);
    if (s.fwd)
      s.fwd->run(s.args.data());
    else
      s.train->run(s.inBufs, s.outBufs);
    if (profile)
      s.seconds += since(t0);
    if (check)
      for (const Halide::Buffer<> &b : s.outBufs)
        if (!allFinite(b)) {
          *bad = s.name + " (" + s.what + ")";
          return;
        }
  }
}

// ---------------------------------------------------------------------------

Trainer::Trainer(mlir::ModuleOp module, const std::vector<NamedTensor> &params,
                 const TrainerOptions &opts)
    : impl_(std::make_unique<Impl>()) {
  Impl &m = *impl_;
  m.opts = opts;
  const char *prof = std::getenv("NETC_PROFILE");
  m.profile = prof && *prof && std::strcmp(prof, "0") != 0;
  for (const NamedTensor &t : params)
    m.given[t.name] = &t;
  m.labelData.assign(static_cast<size_t>(opts.batch), 0);
  m.lower(module);
  m.planArena();
  m.placeParams();
  m.makeBuffers();
}

Trainer::~Trainer() {
  const Impl &m = *impl_;
  if (!m.profile || m.stepsRun == 0)
    return;
  double n = double(m.stepsRun), total = 0;
  for (const Step &s : m.steps)
    total += s.seconds / n;
  std::fprintf(stderr, "netc train profile: %lld steps, batch %d, mean ms per step\n",
               static_cast<long long>(m.stepsRun), m.opts.batch);
  for (size_t k = 0; k < m.steps.size(); ++k) {
    const Step &s = m.steps[k];
    std::fprintf(stderr, "%4zu %9.3f %6.2f  %s  %s\n", k, s.seconds / n * 1e3,
                 100 * s.seconds / n / total, s.name.c_str(), s.what.c_str());
  }
  std::fprintf(stderr, "     %9.3f  total\n", total * 1e3);
}

namespace {
// NCHW (the caller's) -> NHWC (the kernels').
void toNhwc(const float *in, float *out, int64_t n, int64_t c, int64_t h, int64_t w) {
  for (int64_t b = 0; b < n; ++b)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t ch = 0; ch < c; ++ch) {
        const float *src = in + ((b * c + ch) * h + y) * w;
        float *dst = out + (b * h + y) * w * c + ch;
        for (int64_t x = 0; x < w; ++x)
          dst[x * c] = src[x];
      }
}
} // namespace

double Trainer::step(const float *images, const int32_t *labels, uint64_t stepIndex) {
  Impl &m = *impl_;
  const auto &s = m.inShape;
  toNhwc(images, m.arena.get() + m.vals[m.input].offset, s[0], s[1], s[2], s[3]);
  int k = classes();
  for (int i = 0; i < m.opts.batch; ++i) {
    if (labels[i] < 0 || labels[i] >= k)
      throw std::runtime_error("label " + std::to_string(labels[i]) + " of image " +
                               std::to_string(i) + " is outside [0, " + std::to_string(k) + ")");
    m.labelData[static_cast<size_t>(i)] = labels[i];
  }
  m.runSteps(stepIndex, false, nullptr);
  ++m.stepsRun;
  double loss = m.arena[static_cast<size_t>(m.vals[m.loss].offset)];
  if (!std::isfinite(loss))
    return loss;
  for (const BnUpdate &u : m.bnUpdates) {
    const float *st = m.arena.get() + m.vals[u.stats].offset;
    size_t c = static_cast<size_t>(u.mean->count);
    std::memcpy(u.mean->ptr, st + nb::kBnRunMean * c, c * 4);
    std::memcpy(u.var->ptr, st + nb::kBnRunVar * c, c * 4);
  }
  return loss;
}

std::string Trainer::findNonFinite(const float *images, const int32_t *labels,
                                   uint64_t stepIndex) {
  Impl &m = *impl_;
  const auto &s = m.inShape;
  toNhwc(images, m.arena.get() + m.vals[m.input].offset, s[0], s[1], s[2], s[3]);
  for (int i = 0; i < m.opts.batch; ++i)
    m.labelData[static_cast<size_t>(i)] = labels[i];
  for (const Param &p : m.params)
    for (int64_t i = 0; i < p.count; ++i)
      if (!std::isfinite(p.ptr[i]))
        return "parameter '" + p.name + "'";
  std::string bad;
  m.runSteps(stepIndex, true, &bad);
  return bad;
}

void Trainer::setMaskSource(MaskSource source) { impl_->maskSource = std::move(source); }

const float *Trainer::logits() const {
  return impl_->arena.get() + impl_->vals[impl_->logits].offset;
}
int Trainer::classes() const { return int(impl_->vals[impl_->logits].shape[1]); }

std::vector<Trainer::Gradient> Trainer::gradients() {
  Impl &m = *impl_;
  std::vector<Gradient> g;
  for (Param &p : m.params)
    if (p.grad >= 0)
      g.push_back({p.name, p.ptr, m.arena.get() + m.vals[p.grad].offset, p.count});
  return g;
}

std::vector<NamedTensor> Trainer::parameters() const {
  std::vector<NamedTensor> out;
  for (const Param &p : impl_->params) {
    NamedTensor t;
    t.name = p.name;
    t.shape = p.shape;
    std::vector<float> v(p.ptr, p.ptr + p.count);
    if (p.layout == Param::Layout::Hwio)
      t.data = hwioToOihw(v, p.shape[0], p.shape[1], p.shape[2], p.shape[3]);
    else if (p.layout == Param::Layout::FcNhwc)
      t.data = fcNhwcToNchw(v, p.shape[0], p.fcC, p.fcH, p.fcW);
    else
      t.data = std::move(v);
    out.push_back(std::move(t));
  }
  return out;
}

const std::vector<int64_t> &Trainer::inputShape() const { return impl_->inShape; }
int64_t Trainer::arenaBytes() const { return impl_->plan.arenaBytes; }

std::vector<std::string> Trainer::describeSteps() const {
  std::vector<std::string> out;
  for (const Step &s : impl_->steps)
    out.push_back(s.name + "  " + s.what);
  return out;
}

} // namespace netc::runtime
