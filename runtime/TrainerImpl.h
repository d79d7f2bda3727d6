// The Trainer's internals, shared by Trainer.cpp (memory, running, the
// public API) and TrainerLowering.cpp (one kernel per op of the training
// step). Not a public header.
#pragma once

#include "runtime/Trainer.h"

#include "runtime/MemoryPlan.h"
#include "runtime/ModuleWalk.h"
#include "runtime/WeightLayout.h"
#include "schedules/cpu/CpuKernels.h"
#include "schedules/cpu/backward/ConvBwdTuned.h"
#include "schedules/cpu/backward/TrainKernels.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <chrono>
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

namespace trainer {

[[noreturn]] inline void unsupported(mlir::Operation *op, const std::string &why) {
  unsupportedOp(op, "train", why);
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
  TrainConvWork conv;    // what `netc tune --train` may tune here
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
inline AlignedFloats alignedFloats(size_t n) {
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

} // namespace trainer

using namespace trainer;

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
  bool profile = false, printProfile = false;
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
    s.name = layerName(op);
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
    const NamedTensor &t = boundParam(op, given);
    Param p;
    p.name = t.name;
    p.shape = t.shape;
    p.data = t.data;
    params.push_back(std::move(p));
    paramByName[t.name] = &params.back();
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


} // namespace netc::runtime
