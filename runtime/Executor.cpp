#include "runtime/Executor.h"

#include "runtime/MemoryPlan.h"
#include "runtime/ModuleWalk.h"
#include "runtime/WeightLayout.h"
#include "schedules/cpu/CpuKernels.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <sstream>
#include <stdexcept>

namespace netc::runtime {

namespace hl = netc::halide;
namespace sc = netc::schedules;

namespace {

/// A weight tensor on the host, in whatever layout its consumer wants.
struct Host {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

/// An activation: per-sample NHWC shape, lifetime and arena placement.
/// Flatten and dropout results alias their input's storage (`owner`).
struct Act {
  int64_t c = 1, h = 1, w = 1;
  int owner = -1;
  int first = 0, last = 0;
  int64_t offset = 0; // floats into the arena
  // Set on a flattened activation: the c x h x w it came from (fc weights
  // must be permuted when that is spatial).
  int64_t fromC = 0, fromH = 0, fromW = 0;
};

/// How a step views an activation: NHWC (c, x, y, n) or matrix (features, n).
enum class View { Nhwc, Matrix };

struct Operand {
  int act = -1;          // an activation, or
  const Host *w = nullptr; // a weight
  View view = View::Nhwc;
  std::vector<int> dims;   // weight buffer dims (innermost first)
};

struct Step {
  std::string name, what;
  sc::KernelPtr kernel;
  std::vector<Operand> in;
  int out = -1;
  View outView = View::Nhwc;
  std::vector<Halide::Buffer<float>> inBufs; // made once after planning
  Halide::Buffer<float> outBuf;
  std::vector<halide_buffer_t *> args; // inBufs then outBuf, for Kernel::run
  std::optional<hl::ConvSpec> conv; // conv steps: the spec (ExecPlan, `netc tune`)
  double flops = 0;    // per image, for the profile (convs and fcs)
  double seconds = 0;  // accumulated by forward() under NETC_PROFILE
  int64_t calls = 0;
};

[[noreturn]] void unsupported(mlir::Operation *op, const std::string &why) {
  unsupportedOp(op, "run", why);
}

} // namespace

struct Executor::Impl {
  ExecOptions opts;
  std::map<std::string, const NamedTensor *> params;
  std::deque<Host> hosts; // stable addresses
  llvm::DenseMap<mlir::Value, const Host *> weights;
  llvm::DenseMap<mlir::Value, int> acts;
  llvm::DenseSet<mlir::Operation *> absorbed; // fused into a consumer
  std::vector<Act> act;
  std::vector<Step> steps;
  int inputAct = -1, outputAct = -1;
  std::vector<int64_t> inShape, outShape;
  MemoryPlan plan;
  std::unique_ptr<float[]> arena;
  // NETC_PROFILE=1: time every step; the table is printed to stderr when the
  // executor is destroyed. Off, forward() pays one branch per pass.
  bool profile = false, printProfile = false;
  double ioSeconds = 0, forwardSeconds = 0;
  int64_t forwards = 0;

  // ---- values ----------------------------------------------------------

  int newAct(mlir::Value v) {
    auto t = v.getType().cast<mlir::RankedTensorType>();
    Act a;
    a.c = t.getDimSize(1);
    if (t.getRank() == 4) {
      a.h = t.getDimSize(2);
      a.w = t.getDimSize(3);
    }
    act.push_back(a);
    int id = static_cast<int>(act.size()) - 1;
    acts[v] = id;
    return id;
  }
  int owner(int a) const { return act[a].owner < 0 ? a : act[a].owner; }
  int actOf(mlir::Operation *op, mlir::Value v) {
    auto it = acts.find(v);
    if (it == acts.end())
      unsupported(op, "an operand is neither an activation nor a parameter");
    return it->second;
  }
  const Host &weightOf(mlir::Operation *op, mlir::Value v) {
    auto it = weights.find(v);
    if (it == weights.end())
      unsupported(op, "a weight operand is not a bound parameter");
    return *it->second;
  }
  const Host *keep(Host h) {
    hosts.push_back(std::move(h));
    return &hosts.back();
  }
  hl::Shape3 shape3(int a) const {
    return {static_cast<int>(act[a].c), static_cast<int>(act[a].w), static_cast<int>(act[a].h)};
  }

  Operand use(int a, View v = View::Nhwc) { return {a, nullptr, v, {}}; }
  Operand weight(const Host *h, std::vector<int> dims) { return {-1, h, View::Nhwc, std::move(dims)}; }

  Step &push(mlir::Operation *op, std::string what, sc::KernelPtr k, std::vector<Operand> in,
             mlir::Value result, View outView = View::Nhwc) {
    Step s;
    s.name = layerName(op);
    s.what = std::move(what);
    s.kernel = std::move(k);
    s.in = std::move(in);
    s.out = newAct(result);
    s.outView = outView;
    steps.push_back(std::move(s));
    return steps.back();
  }

  // The single user of `v` if it is an op named `name`, else null.
  static mlir::Operation *soleUser(mlir::Value v, llvm::StringRef name) {
    if (!v.hasOneUse())
      return nullptr;
    mlir::Operation *u = *v.getUsers().begin();
    return u->getName().getStringRef() == name ? u : nullptr;
  }

  // ---- lowering --------------------------------------------------------

  void lower(mlir::ModuleOp module) {
    mlir::Operation *func = nullptr;
    for (mlir::Operation &op : module.getBody()->getOperations())
      if (op.getNumRegions() == 1)
        func = &op;
    if (!func || func->getRegion(0).empty())
      throw std::runtime_error("the module holds no network function");
    mlir::Block &body = func->getRegion(0).front();
    if (body.getNumArguments() != 1)
      throw std::runtime_error("the network function must take one input");
    inputAct = newAct(body.getArgument(0));
    for (mlir::Operation &op : body.getOperations())
      if (!absorbed.count(&op))
        lowerOp(&op);
  }

  void lowerOp(mlir::Operation *op) {
    llvm::StringRef n = op->getName().getStringRef();
    if (n == "net.param")
      return bindParam(op);
    if (n == "net.fold_bn")
      return foldBnOp(op);
    if (n == "net.conv2d" || n == "net.fused_conv")
      return conv(op);
    if (n == "net.max_pool" || n == "net.avg_pool")
      return pool(op, n == "net.max_pool");
    if (n == "net.global_avg_pool") {
      int x = actOf(op, op->getOperand(0));
      hl::GlobalPoolSpec s{static_cast<int>(act[x].c), static_cast<int>(act[x].h),
                           static_cast<int>(act[x].w)};
      push(op, "global_avg_pool", sc::globalAvgPoolKernel(s, opts.target), {use(x)}, op->getResult(0));
      return;
    }
    if (n == "net.flatten" || n == "net.dropout")
      return alias(op, n == "net.flatten");
    if (n == "net.fc")
      return fc(op);
    if (n == "net.softmax") {
      int x = actOf(op, op->getOperand(0));
      hl::SoftmaxSpec s{static_cast<int>(act[x].c * act[x].h * act[x].w)};
      push(op, "softmax", sc::softmaxKernel(s, opts.target), {use(x, View::Matrix)},
           op->getResult(0), View::Matrix);
      return;
    }
    if (n == "net.lrn") {
      int x = actOf(op, op->getOperand(0));
      hl::LrnSpec s{shape3(x), static_cast<int>(op->getAttrOfType<mlir::IntegerAttr>("size").getInt()),
                    static_cast<float>(realAttr(op, "alpha")), static_cast<float>(realAttr(op, "beta")),
                    static_cast<float>(realAttr(op, "k"))};
      push(op, "lrn", sc::lrnKernel(s, opts.target), {use(x)}, op->getResult(0));
      return;
    }
    if (n == "net.add")
      return add(op);
    if (n == "net.relu") {
      int x = actOf(op, op->getOperand(0));
      push(op, "relu", sc::reluKernel(shape3(x), opts.target), {use(x)}, op->getResult(0));
      return;
    }
    if (n == "net.batch_norm")
      return batchNorm(op);
    if (n == "net.zero_pad_shortcut") {
      int x = actOf(op, op->getOperand(0));
      hl::ZeroPadSpec s;
      s.in = shape3(x);
      s.outC = static_cast<int>(op->getAttrOfType<mlir::IntegerAttr>("out_channels").getInt());
      s.stride = static_cast<int>(op->getAttrOfType<mlir::IntegerAttr>("stride").getInt());
      push(op, "zero_pad_shortcut", sc::zeroPadShortcutKernel(s, opts.target), {use(x)},
           op->getResult(0));
      return;
    }
    if (op->getNumResults() == 0 && op->getNumOperands() == 1) { // the return
      outputAct = actOf(op, op->getOperand(0));
      return;
    }
    unsupported(op, "no CPU kernel for this op");
  }

  void bindParam(mlir::Operation *op) {
    const NamedTensor &t = boundParam(op, params);
    weights[op->getResult(0)] = keep({t.shape, t.data});
  }

  void foldBnOp(mlir::Operation *op) {
    const Host &w = weightOf(op, op->getOperand(0));
    std::vector<float> scale, shift;
    bnScaleShift(weightOf(op, op->getOperand(1)).data.data(), weightOf(op, op->getOperand(2)).data.data(),
                 weightOf(op, op->getOperand(3)).data.data(), weightOf(op, op->getOperand(4)).data.data(),
                 w.shape[0], realAttr(op, "eps"), scale, shift);
    std::vector<float> wf = w.data, bias;
    if (op->getNumOperands() > 5)
      bias = weightOf(op, op->getOperand(5)).data;
    foldBn(wf, bias, w.shape[0], scale, shift);
    weights[op->getResult(0)] = keep({w.shape, std::move(wf)});
    weights[op->getResult(1)] = keep({{w.shape[0]}, std::move(bias)});
  }

  void conv(mlir::Operation *op) {
    std::vector<int64_t> k = intsAttr(op, "kernel"), s = intsAttr(op, "strides"), p = intsAttr(op, "pads");
    int x = actOf(op, op->getOperand(0));
    const Host &w = weightOf(op, op->getOperand(1));
    hl::ConvSpec spec;
    spec.cin = static_cast<int>(act[x].c);
    spec.cout = static_cast<int>(w.shape[0]);
    spec.kh = static_cast<int>(k[0]);
    spec.kw = static_cast<int>(k[1]);
    spec.stride = static_cast<int>(s[0]);
    spec.pad = static_cast<int>(p[0]);
    spec.strideW = static_cast<int>(s[1]);
    spec.padLeft = spec.padRight = static_cast<int>(p[1]);
    spec.inH = static_cast<int>(act[x].h);
    spec.inW = static_cast<int>(act[x].w);
    std::vector<Operand> in = {use(x), Operand{}}; // the weights go in below
    std::vector<std::string> post;
    if (auto arr = op->getAttrOfType<mlir::ArrayAttr>("post_ops"))
      for (mlir::Attribute a : arr)
        post.push_back(a.cast<mlir::StringAttr>().str());
    else if (op->getNumOperands() == 3)
      post.push_back("bias");
    std::string what = std::to_string(spec.kh) + "x" + std::to_string(spec.kw) + "/" +
                       std::to_string(spec.stride);
    if (s[0] != s[1])
      what += "x" + std::to_string(s[1]);
    postOps(op, post, spec, in, what);
    // Blocked weights when the schedule tiles output channels evenly: each
    // tile's weights are one contiguous stream (they come from DRAM at batch 1).
    // Asked after the post-ops are in the spec: a tuned schedule is keyed by
    // the whole spec, and the block must be the tile of that same schedule.
    // A 3x3 stride-1 conv may run as Winograd; its weights are then
    // transformed here, once, in double precision.
    sc::ConvSchedule sched = sc::chosenConvSchedule(spec, opts.target, opts.batch);
    spec.winograd =
        spec.winogradApplies() && !opts.target.has_gpu_feature() ? sched.winograd : 0;
    spec.wBlock = sc::weightBlockFor(spec, sched);
    std::vector<float> hwio = oihwToHwio(w.data, w.shape[0], w.shape[1], w.shape[2], w.shape[3]);
    hl::ConvWeights kw = hl::convKernelWeights(spec, hwio.data());
    in[1] = weight(keep({w.shape, std::move(kw.data)}), kw.dims);
    Step &st = push(op, "conv " + what, sc::convKernel(spec, opts.target, sched), std::move(in),
                    op->getResult(0));
    st.flops = spec.flops(1);
    st.conv = spec;
  }

  // The kernel applies +bias, *scale+shift, +residual, relu in that order.
  void postOps(mlir::Operation *op, const std::vector<std::string> &post, hl::ConvSpec &spec,
               std::vector<Operand> &in, std::string &what) {
    static const std::vector<std::string> order = {"bias", "bn", "add", "relu"};
    unsigned arg = 2;
    size_t rank = 0;
    Operand bias, scale, shift, residual;
    for (const std::string &p : post) {
      size_t r = std::find(order.begin(), order.end(), p) - order.begin();
      if (r >= order.size() || r < rank)
        unsupported(op, "post-op '" + p + "' out of the order bias, bn, add, relu");
      rank = r + 1;
      what += " +" + p;
      if (p == "bias") {
        spec.bias = true;
        bias = weight(&weightOf(op, op->getOperand(arg++)), {spec.cout});
      } else if (p == "bn") {
        std::vector<float> sc, sh;
        const Host &g = weightOf(op, op->getOperand(arg)), &b = weightOf(op, op->getOperand(arg + 1));
        const Host &m = weightOf(op, op->getOperand(arg + 2)), &v = weightOf(op, op->getOperand(arg + 3));
        arg += 4;
        bnScaleShift(g.data.data(), b.data.data(), m.data.data(), v.data.data(), spec.cout,
                     realAttr(op, "bn_eps"), sc, sh);
        spec.scaleShift = true;
        scale = weight(keep({{spec.cout}, std::move(sc)}), {spec.cout});
        shift = weight(keep({{spec.cout}, std::move(sh)}), {spec.cout});
      } else if (p == "add") {
        residual = residualOperand(op->getOperand(arg++), spec, op);
      } else {
        spec.relu = true;
      }
    }
    if (spec.bias)
      in.push_back(bias);
    if (spec.scaleShift) {
      in.push_back(scale);
      in.push_back(shift);
    }
    if (spec.residual != hl::Residual::None)
      in.push_back(residual);
  }

  // An option-A shortcut feeding only this add is computed inside the conv.
  Operand residualOperand(mlir::Value r, hl::ConvSpec &spec, mlir::Operation *op) {
    mlir::Operation *def = r.getDefiningOp();
    if (def && def->getName().getStringRef() == "net.zero_pad_shortcut" && r.hasOneUse() &&
        absorbed.count(def)) {
      int src = actOf(op, def->getOperand(0));
      spec.residual = hl::Residual::ZeroPadded;
      spec.resC = static_cast<int>(act[src].c);
      spec.resH = static_cast<int>(act[src].h);
      spec.resW = static_cast<int>(act[src].w);
      spec.resStride = static_cast<int>(def->getAttrOfType<mlir::IntegerAttr>("stride").getInt());
      return use(src);
    }
    spec.residual = hl::Residual::Same;
    return use(actOf(op, r));
  }

  void pool(mlir::Operation *op, bool isMax) {
    std::vector<int64_t> k = intsAttr(op, "kernel"), s = intsAttr(op, "strides"), p = intsAttr(op, "pads");
    int x = actOf(op, op->getOperand(0));
    hl::PoolSpec ps;
    ps.c = static_cast<int>(act[x].c);
    ps.inH = static_cast<int>(act[x].h);
    ps.inW = static_cast<int>(act[x].w);
    ps.kh = static_cast<int>(k[0]);
    ps.kw = static_cast<int>(k[1]);
    ps.stride = static_cast<int>(s[0]);
    ps.pad = static_cast<int>(p[0]);
    ps.strideW = static_cast<int>(s[1]);
    ps.padW = static_cast<int>(p[1]);
    if (!isMax)
      ps.countIncludePad = op->getAttrOfType<mlir::BoolAttr>("count_include_pad").getValue();
    auto kernel = isMax ? sc::maxPoolKernel(ps, opts.target) : sc::avgPoolKernel(ps, opts.target);
    push(op, isMax ? "max_pool" : "avg_pool", kernel, {use(x)}, op->getResult(0));
  }

  void alias(mlir::Operation *op, bool flatten) {
    int x = actOf(op, op->getOperand(0));
    int y = newAct(op->getResult(0));
    act[y].owner = owner(x);
    if (flatten) {
      act[y].fromC = act[x].c;
      act[y].fromH = act[x].h;
      act[y].fromW = act[x].w;
    }
  }

  void fc(mlir::Operation *op) {
    int x = actOf(op, op->getOperand(0));
    const Host &w = weightOf(op, op->getOperand(1));
    hl::FcSpec s;
    s.out = static_cast<int>(w.shape[0]);
    s.in = static_cast<int>(w.shape[1]);
    s.bias = op->getNumOperands() > 2;
    mlir::Operation *relu = soleUser(op->getResult(0), "net.relu");
    s.relu = relu != nullptr;
    const Act &a = act[x];
    const Host *wl = &w;
    if (a.fromH * a.fromW > 1) // flattened NHWC memory: permute like the data
      wl = keep({w.shape, fcNchwToNhwc(w.data, w.shape[0], a.fromC, a.fromH, a.fromW)});
    std::vector<Operand> in = {use(x, View::Matrix), weight(wl, {s.in, s.out})};
    if (s.bias)
      in.push_back(weight(&weightOf(op, op->getOperand(2)), {s.out}));
    mlir::Value result = op->getResult(0);
    if (relu) {
      absorbed.insert(relu);
      result = relu->getResult(0);
    }
    push(op, s.relu ? "fc +relu" : "fc", sc::fcKernel(s, opts.target), std::move(in), result,
         View::Matrix)
        .flops = 2.0 * s.in * s.out;
  }

  void add(mlir::Operation *op) {
    int a = actOf(op, op->getOperand(0)), b = actOf(op, op->getOperand(1));
    mlir::Operation *relu = soleUser(op->getResult(0), "net.relu");
    mlir::Value result = op->getResult(0);
    if (relu) {
      absorbed.insert(relu);
      result = relu->getResult(0);
    }
    push(op, relu ? "add +relu" : "add", sc::addKernel(shape3(a), relu != nullptr, opts.target),
         {use(a), use(b)}, result);
  }

  void batchNorm(mlir::Operation *op) {
    int x = actOf(op, op->getOperand(0));
    std::vector<float> sc, sh;
    bnScaleShift(weightOf(op, op->getOperand(1)).data.data(), weightOf(op, op->getOperand(2)).data.data(),
                 weightOf(op, op->getOperand(3)).data.data(), weightOf(op, op->getOperand(4)).data.data(),
                 act[x].c, realAttr(op, "eps"), sc, sh);
    mlir::Operation *relu = soleUser(op->getResult(0), "net.relu");
    mlir::Value result = op->getResult(0);
    if (relu) {
      absorbed.insert(relu);
      result = relu->getResult(0);
    }
    int c = static_cast<int>(act[x].c);
    push(op, relu ? "batch_norm +relu" : "batch_norm",
         sc::batchNormKernel(shape3(x), relu != nullptr, opts.target),
         {use(x), weight(keep({{c}, std::move(sc)}), {c}), weight(keep({{c}, std::move(sh)}), {c})},
         result);
  }

  // Option-A shortcuts whose only use is a fused conv's "add" run inside it.
  void markAbsorbedShortcuts(mlir::ModuleOp module) {
    module.walk([&](mlir::Operation *op) {
      if (op->getName().getStringRef() == "net.zero_pad_shortcut" && op->getResult(0).hasOneUse() &&
          (*op->getResult(0).getUsers().begin())->getName().getStringRef() == "net.fused_conv")
        absorbed.insert(op);
    });
  }

  // ---- memory ---------------------------------------------------------

  void planArena() {
    std::vector<Lifetime> lives(act.size());
    auto touch = [&](int a, int step) {
      Lifetime &l = lives[owner(a)];
      l.last = std::max(l.last, step);
    };
    for (size_t a = 0; a < act.size(); ++a)
      lives[a].bytes = act[a].owner < 0 ? opts.batch * act[a].c * act[a].h * act[a].w * 4 : 0;
    for (size_t k = 0; k < steps.size(); ++k) {
      int step = static_cast<int>(k) + 1;
      lives[owner(steps[k].out)].first = step;
      touch(steps[k].out, step);
      for (const Operand &o : steps[k].in)
        if (o.act >= 0)
          touch(o.act, step);
    }
    touch(outputAct, static_cast<int>(steps.size()) + 1);
    plan = planMemory(lives);
    for (size_t a = 0; a < act.size(); ++a)
      act[a].offset = plan.offsets[owner(static_cast<int>(a))] / 4;
    if (opts.planOnly)
      return;
    size_t floats = static_cast<size_t>(plan.arenaBytes / 4 + 16);
    arena.reset(new float[floats]);
    std::memset(arena.get(), 0, floats * 4); // fault every page in now, not in forward()
  }

  Halide::Buffer<float> view(int a, View v) {
    const Act &x = act[a];
    float *p = arena.get() + act[a].offset;
    int n = opts.batch;
    if (v == View::Matrix)
      return Halide::Buffer<float>(p, {static_cast<int>(x.c * x.h * x.w), n});
    return Halide::Buffer<float>(p, {static_cast<int>(x.c), static_cast<int>(x.w),
                                     static_cast<int>(x.h), n});
  }

  std::vector<int> dimsOf(int a, View v) const {
    const Act &x = act[a];
    if (v == View::Matrix)
      return {static_cast<int>(x.c * x.h * x.w), opts.batch};
    return {static_cast<int>(x.c), static_cast<int>(x.w), static_cast<int>(x.h), opts.batch};
  }

  void makeShapes() {
    const Act &i = act[inputAct], &o = act[outputAct];
    inShape = {opts.batch, i.c, i.h, i.w};
    if (o.h == 1 && o.w == 1)
      outShape = {opts.batch, o.c};
    else
      outShape = {opts.batch, o.c, o.h, o.w};
  }

  void makeBuffers() {
    for (Step &s : steps) {
      for (const Operand &o : s.in) {
        if (o.act >= 0)
          s.inBufs.push_back(view(o.act, o.view));
        else
          s.inBufs.push_back(Halide::Buffer<float>(const_cast<float *>(o.w->data.data()), o.dims));
      }
      s.outBuf = view(s.out, s.outView);
      for (Halide::Buffer<float> &b : s.inBufs)
        s.args.push_back(b.raw_buffer());
      s.args.push_back(s.outBuf.raw_buffer());
    }
  }
};

Executor::Executor(mlir::ModuleOp module, const std::vector<NamedTensor> &params,
                   const ExecOptions &opts)
    : impl_(std::make_unique<Impl>()) {
  Impl &m = *impl_;
  m.opts = opts;
  const char *prof = std::getenv("NETC_PROFILE");
  m.printProfile = prof && *prof && std::strcmp(prof, "0") != 0;
  m.profile = m.printProfile || opts.timeSteps;
  for (const NamedTensor &t : params)
    m.params[t.name] = &t;
  m.markAbsorbedShortcuts(module);
  m.lower(module);
  if (m.outputAct < 0)
    throw std::runtime_error("the network function returns nothing");
  m.planArena();
  m.makeShapes();
  if (!opts.planOnly)
    m.makeBuffers();
}

Executor::~Executor() {
  const Impl &m = *impl_;
  if (!m.printProfile || m.forwards == 0)
    return;
  // Per pass, averaged over every forward() (the first pass included: it is
  // not slower, compilation happens when the executor is built).
  double n = static_cast<double>(m.forwards), stepsTotal = 0;
  std::fprintf(stderr, "netc profile: %lld forward passes, batch %d, mean per pass\n",
               static_cast<long long>(m.forwards), m.opts.batch);
  std::fprintf(stderr, "%4s %9s %6s %8s  %s\n", "step", "ms", "%", "GFLOP/s", "layer");
  double total = m.forwardSeconds / n;
  for (size_t k = 0; k < m.steps.size(); ++k) {
    const Step &s = m.steps[k];
    double sec = s.seconds / n;
    stepsTotal += sec;
    char gf[32] = "";
    if (s.flops > 0 && sec > 0)
      std::snprintf(gf, sizeof gf, "%8.1f", s.flops * m.opts.batch / sec * 1e-9);
    std::fprintf(stderr, "%4zu %9.3f %6.2f %8s  %s  %s\n", k, sec * 1e3, 100 * sec / total, gf,
                 s.name.c_str(), s.what.c_str());
  }
  double flops = 0;
  for (const Step &s : m.steps)
    flops += s.flops * m.opts.batch;
  std::fprintf(stderr, "     %9.3f %6.2f %8s  NCHW<->NHWC copies\n", m.ioSeconds / n * 1e3,
               100 * m.ioSeconds / n / total, "");
  std::fprintf(stderr, "     %9.3f %6.2f %8.1f  total (steps %.3f ms, %.2f GFLOP)\n", total * 1e3,
               100.0, flops / total * 1e-9, stepsTotal * 1e3, flops * 1e-9);
}

namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
} // namespace

void Executor::forward(const float *input, float *output) {
  Impl &m = *impl_;
  if (m.opts.planOnly)
    throw std::logic_error("Executor::forward on a plan-only executor");
  Clock::time_point t0;
  if (m.profile)
    t0 = Clock::now();
  const Act &i = m.act[m.inputAct];
  float *x = m.arena.get() + i.offset;
  nchwToNhwc(input, x, m.opts.batch, i.c, i.h, i.w);
  int64_t C, H, W;
  if (m.profile) {
    m.ioSeconds += since(t0);
    for (Step &s : m.steps) {
      Clock::time_point ts = Clock::now();
      s.kernel->run(s.args.data());
      s.seconds += since(ts);
      ++s.calls;
    }
  } else {
    for (Step &s : m.steps)
      s.kernel->run(s.args.data());
  }
  Clock::time_point to;
  if (m.profile)
    to = Clock::now();
  const Act &o = m.act[m.outputAct];
  const float *y = m.arena.get() + o.offset;
  C = o.c, H = o.h, W = o.w;
  if (o.fromC) // a flattened map leaves in PyTorch's (NCHW) flatten order
    C = o.fromC, H = o.fromH, W = o.fromW;
  for (int64_t n = 0; n < m.opts.batch; ++n) // NHWC -> NCHW
    for (int64_t c = 0; c < C; ++c)
      for (int64_t yy = 0; yy < H; ++yy)
        for (int64_t w = 0; w < W; ++w)
          output[((n * C + c) * H + yy) * W + w] = y[((n * H + yy) * W + w) * C + c];
  if (m.profile) {
    m.ioSeconds += since(to);
    m.forwardSeconds += since(t0);
    ++m.forwards;
  }
}

const std::vector<int64_t> &Executor::inputShape() const { return impl_->inShape; }
const std::vector<int64_t> &Executor::outputShape() const { return impl_->outShape; }
int64_t Executor::arenaBytes() const { return impl_->plan.arenaBytes; }

ExecPlan Executor::plan() const {
  const Impl &m = *impl_;
  ExecPlan p;
  p.batch = m.opts.batch;
  p.arenaBytes = m.plan.arenaBytes;
  std::map<const Host *, int64_t> placed; // a weight read by two steps is stored once
  auto place = [&](const Host *h) {
    auto it = placed.find(h);
    if (it != placed.end())
      return it->second;
    int64_t at = static_cast<int64_t>((p.weights.size() + 15) / 16 * 16);
    p.weights.resize(static_cast<size_t>(at), 0.0f);
    p.weights.insert(p.weights.end(), h->data.begin(), h->data.end());
    return placed[h] = at;
  };
  for (const Step &s : m.steps) {
    PlanStep ps{s.name, s.what, s.kernel, s.conv, {}};
    for (const Operand &o : s.in) {
      if (o.act >= 0)
        ps.args.push_back({false, m.act[o.act].offset, m.dimsOf(o.act, o.view), m.owner(o.act)});
      else
        ps.args.push_back({true, place(o.w), o.dims, -1});
    }
    ps.args.push_back({false, m.act[s.out].offset, m.dimsOf(s.out, s.outView), m.owner(s.out)});
    p.steps.push_back(std::move(ps));
  }
  const Act &i = m.act[m.inputAct], &o = m.act[m.outputAct];
  p.inputOffset = i.offset;
  p.outputOffset = o.offset;
  p.inputAct = m.owner(m.inputAct);
  p.outputAct = m.owner(m.outputAct);
  p.inputShape = {i.c, i.h, i.w};
  p.outputShape.assign(m.outShape.begin() + 1, m.outShape.end());
  p.outC = o.fromC ? o.fromC : o.c;
  p.outH = o.fromC ? o.fromH : o.h;
  p.outW = o.fromC ? o.fromW : o.w;
  return p;
}

std::vector<double> Executor::stepSeconds() const {
  const Impl &m = *impl_;
  std::vector<double> out;
  for (const Step &s : m.steps)
    out.push_back(m.forwards ? s.seconds / static_cast<double>(m.forwards) : 0.0);
  return out;
}

void Executor::resetTimes() {
  Impl &m = *impl_;
  for (Step &s : m.steps)
    s.seconds = 0, s.calls = 0;
  m.forwards = 0;
  m.ioSeconds = m.forwardSeconds = 0;
}

std::vector<std::string> Executor::describeSteps() const {
  std::vector<std::string> out;
  for (const Step &s : impl_->steps)
    out.push_back(s.name + "  " + s.what);
  return out;
}

} // namespace netc::runtime
