// Executes a compiled network: walks the fused `net` module (after
// compiler::runFusedStage), picks a CPU kernel for every op (schedules/),
// prepares the weights in the kernels' layouts once, and plans every
// activation into one arena for a fixed batch size. forward() then only runs
// kernels over that arena: no activation is allocated per call.
//
// Activations are NHWC inside; the caller's input and output are NCHW (as
// PyTorch and NumPy have them) and converted at the boundary.
#pragma once

#include "compiler/halide/HostTarget.h"
#include "compiler/halide/Conv.h"
#include "compiler/halide/KernelCache.h"
#include "runtime/NamedTensor.h"

#include "mlir/IR/BuiltinOps.h"

#include <Halide.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace netc::runtime {

struct ExecOptions {
  int batch = 1;
  Halide::Target target = netc::halide::hostTarget();
  /// Plan only (for an ahead-of-time library): no arena is allocated, and
  /// forward() must not be called. Pair with a deferred KernelCache.
  bool planOnly = false;
  /// Time every step (stepSeconds()); NETC_PROFILE=1 also prints the table.
  bool timeSteps = false;
};

/// One buffer a step passes to its kernel. Offsets count floats: into the
/// arena for an activation, into ExecPlan::weights for a weight.
struct PlanBuffer {
  bool weight = false;
  int64_t offset = 0;
  std::vector<int> dims; // innermost first; an activation's last dim is the batch
  int act = -1;          // an activation's storage (aliases share it); -1 for a weight
};

struct PlanStep {
  std::string name, what;
  std::shared_ptr<netc::halide::Kernel> kernel;
  std::optional<netc::halide::ConvSpec> conv; // a conv step's spec (for `netc tune`)
  std::vector<PlanBuffer> args; // the kernel's inputs, then its output
};

/// What an ahead-of-time library needs to replay forward(): the kernels in
/// order, the arena plan (for ExecOptions::batch images; an activation's
/// region also fits any smaller batch), and the weights in kernel layouts.
struct ExecPlan {
  std::vector<PlanStep> steps;
  std::vector<float> weights; // each tensor starts on a 64-byte boundary
  int64_t arenaBytes = 0;
  int batch = 1;
  int64_t inputOffset = 0, outputOffset = 0; // floats into the arena
  int inputAct = -1, outputAct = -1;         // PlanBuffer::act of the network's input and output
  std::vector<int64_t> inputShape;           // [c, h, w]
  std::vector<int64_t> outputShape;          // [k] or [c, h, w]
  /// The NHWC -> NCHW copy of the output: channels, rows, columns.
  int64_t outC = 1, outH = 1, outW = 1;
};

class Executor {
public:
  /// Throws std::runtime_error with a clear message on an op or parameter
  /// the CPU backend cannot run.
  Executor(mlir::ModuleOp module, const std::vector<NamedTensor> &params, const ExecOptions &opts);
  ~Executor();
  Executor(const Executor &) = delete;
  Executor &operator=(const Executor &) = delete;

  /// input: NCHW floats, inputShape(); output: outputShape() floats.
  void forward(const float *input, float *output);

  const std::vector<int64_t> &inputShape() const;  // [n, c, h, w]
  const std::vector<int64_t> &outputShape() const; // [n, k] or [n, c, h, w]
  int64_t arenaBytes() const;
  /// One line per step: "conv2_x.1.conv1  fused_conv 3x3/1 +bias+relu".
  std::vector<std::string> describeSteps() const;
  /// The executor's steps, arena plan and weights, for runtime/aot.
  ExecPlan plan() const;
  /// With ExecOptions::timeSteps: each step's mean seconds per forward(),
  /// in plan() order, since construction or the last resetTimes().
  std::vector<double> stepSeconds() const;
  void resetTimes();

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

} // namespace netc::runtime
