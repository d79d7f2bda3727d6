// Executes a compiled network: walks the fused `net` module (after
// compiler::runFusedStage), picks a CPU kernel for every op (schedules/),
// prepares the weights in the kernels' layouts once, and plans every
// activation into one arena for a fixed batch size. forward() then only runs
// kernels over that arena: no activation is allocated per call.
//
// Activations are NHWC inside; the caller's input and output are NCHW (as
// PyTorch and NumPy have them) and converted at the boundary.
#pragma once

#include "runtime/NamedTensor.h"

#include "mlir/IR/BuiltinOps.h"

#include <Halide.h>

#include <memory>
#include <string>
#include <vector>

namespace netc::runtime {

struct ExecOptions {
  int batch = 1;
  Halide::Target target = Halide::get_host_target();
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

  struct Impl;

private:
  std::unique_ptr<Impl> impl_;
};

} // namespace netc::runtime
