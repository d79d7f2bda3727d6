// Executes one training step of a compiled network: walks the function of
// the "train" stage (compiler::runTrainStage: forward in training mode, the
// loss, every gradient op), picks a CPU kernel for each op (schedules/cpu
// and schedules/cpu/backward) and plans every activation and gradient of the
// step into one arena for a fixed batch. step() then only runs kernels:
// nothing is allocated per step.
//
// Parameters live here in the kernels' layouts (conv HWIO; an fc after a
// spatial flatten permuted to NHWC order). gradients() exposes them with
// their gradients, in the same layout, for an element-wise optimiser;
// parameters() converts back to PyTorch's layouts.
#pragma once

#include "compiler/halide/HostTarget.h"
#include "compiler/halide/backward/ConvBackward.h"
#include "runtime/NamedTensor.h"

#include "mlir/IR/BuiltinOps.h"

#include <Halide.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace netc::halide {
class Kernel;
}
namespace netc::schedules::backward {
class TrainKernel;
}

namespace netc::runtime {

struct TrainerOptions {
  int batch = 128;
  Halide::Target target = netc::halide::hostTarget();
  uint64_t seed = 0; ///< dropout masks derive from (seed, step index)
  /// Plan only (for an ahead-of-time library): no arena, no buffers; step()
  /// must not be called. Pair with deferred kernel caches.
  bool planOnly = false;
  /// Time every kernel (stepSeconds()); NETC_PROFILE=1 also prints them.
  bool timeSteps = false;
};

/// A conv kernel of the step, as `netc tune --train` sees it: the forward
/// conv (spec `conv`), its input gradient (`dx`) or its weight gradient
/// (`conv`'s geometry).
struct TrainConvWork {
  enum class Kind { None, Forward, Dx, Dw } kind = Kind::None;
  netc::halide::ConvSpec conv;
  netc::halide::backward::ConvDxSpec dx;
};

/// A kernel argument of the training step: an arena slot, a slice of the
/// parameter block, or the int32 labels. Offsets count floats.
struct TrainPlanArg {
  enum class Kind { Arena, Param, Labels } kind = Kind::Arena;
  int64_t offset = 0;
  std::vector<int> dims; // innermost first
};

struct TrainPlanStep {
  std::string name, what;
  std::shared_ptr<netc::halide::Kernel> fwd;                    // or
  std::shared_ptr<netc::schedules::backward::TrainKernel> train;
  std::vector<TrainPlanArg> in, out;
  TrainConvWork conv;
};

struct TrainPlanParam {
  std::string name, layout; // layout: "plain", "hwio" (conv OIHW as HWIO), "fc-nhwc"
  std::vector<int64_t> shape; // PyTorch's
  int64_t offset = 0, count = 0; // in the parameter block
  int64_t grad = -1;              // its gradient's arena offset; -1: not trained (BN statistics)
};

/// After a finite step, BN running statistics are copied from the arena
/// (src) to the parameter block (dst).
struct TrainPlanCopy {
  int64_t src = 0, dst = 0, count = 0;
};

/// What an ahead-of-time training library needs to replay step().
struct TrainPlan {
  std::vector<TrainPlanStep> steps;
  std::vector<TrainPlanParam> params;
  std::vector<TrainPlanCopy> statCopies;
  std::vector<float> block; // every parameter, 64-byte aligned each
  int64_t arenaBytes = 0;
  int batch = 0, classes = 0;
  int64_t inputOffset = 0, lossOffset = 0, logitsOffset = 0;
  std::vector<int64_t> inputShape; // [c, h, w]
  bool dropout = false;            // needs a mask source per step
};

class Trainer {
public:
  /// `module` after runTrainStage; `params` in PyTorch layouts by name.
  /// Throws std::runtime_error naming the op on anything it cannot run.
  Trainer(mlir::ModuleOp module, const std::vector<NamedTensor> &params,
          const TrainerOptions &opts);
  ~Trainer();
  Trainer(const Trainer &) = delete;
  Trainer &operator=(const Trainer &) = delete;

  /// Forward, loss and backward on one batch: images NCHW (inputShape()),
  /// labels in [0, classes). Returns the mean loss. Gradients are then in
  /// gradients(); BN running statistics are updated when the loss is finite.
  /// `stepIndex` seeds the dropout masks.
  double step(const float *images, const int32_t *labels, uint64_t stepIndex);

  /// After a step with a non-finite loss: runs the same batch again,
  /// checking every op's outputs, and names the first that is not finite,
  /// e.g. "stage2.1.bn1 (net.batch_norm_train)". Empty if none is found.
  std::string findNonFinite(const float *images, const int32_t *labels, uint64_t stepIndex);

  /// Replaces the dropout masks' generator (parity tests replay PyTorch's
  /// masks): called before each dropout with the layer name, the step
  /// index and the mask (batch x features, 1 keeps, 0 drops) to fill.
  using MaskSource = std::function<void(const std::string &layer, uint64_t stepIndex,
                                        float *mask, int64_t count)>;
  void setMaskSource(MaskSource source);

  /// Logits of the last step: batch rows of classes() floats.
  const float *logits() const;
  int classes() const;

  struct Gradient {
    std::string name;
    float *param;
    const float *grad;
    int64_t count;
  };
  /// Every trained parameter with its gradient (kernel layouts, stable
  /// addresses for the trainer's lifetime).
  std::vector<Gradient> gradients();

  /// All parameters (trained ones and BN running statistics) in PyTorch
  /// layouts, as the network declares them.
  std::vector<NamedTensor> parameters() const;

  const std::vector<int64_t> &inputShape() const; // [batch, c, h, w]
  int64_t arenaBytes() const;
  /// One line per kernel: "stage1.1.conv1  conv2d_grad_input 3x3/1 +add +relu_mask".
  std::vector<std::string> describeSteps() const;
  /// The step's kernels, arena plan and parameters, for runtime/aot.
  TrainPlan plan() const;
  /// With TrainerOptions::timeSteps: each kernel's mean seconds per step
  /// (plan().steps order) since construction or the last resetTimes().
  std::vector<double> stepSeconds() const;
  void resetTimes();

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

} // namespace netc::runtime
