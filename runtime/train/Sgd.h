// torch.optim.SGD (dampening 0, no Nesterov) over the trainer's parameter
// arrays, one compiled sgdKernel call per parameter tensor:
//   d_p = grad + weight_decay * p
//   buf = d_p on the first step, else momentum * buf + d_p
//   p  -= lr * buf
// Everything a step touches (Halide buffers wrapping the caller's arrays,
// momentum buffers, argument vectors) is made once at registration, so
// step() allocates nothing.
#pragma once

#include "compiler/halide/HostTarget.h"
#include "runtime/NamedTensor.h"

#include <Halide.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace netc::schedules::backward {
class TrainKernel;
}

namespace netc::runtime::train {

/// The optimizer name stored in TrainingState.optimizer.
inline constexpr const char *kSgdOptimizerName = "sgd_momentum";

class SgdOptimizer {
public:
  explicit SgdOptimizer(const Halide::Target &target = netc::halide::hostTarget());
  ~SgdOptimizer();
  SgdOptimizer(const SgdOptimizer &) = delete;
  SgdOptimizer &operator=(const SgdOptimizer &) = delete;

  /// Registers a parameter updated in place by step(); `grad` is read only.
  /// Both arrays hold `count` floats and must outlive the optimizer. `shape`
  /// (optional, product == count) is the shape the momentum buffer is
  /// exported with; default {count}. Throws std::invalid_argument on a
  /// repeated name, a null pointer, count <= 0 or a shape/count mismatch.
  /// BN running statistics are not parameters: do not register them.
  void addParameter(const std::string &name, float *param, const float *grad, int64_t count,
                    std::vector<int64_t> shape = {});

  /// One SGD step over every registered parameter.
  void step(double lr, double momentum, double weightDecay);

  /// Steps taken (restored by importState).
  int64_t stepCount() const { return steps_; }
  size_t parameterCount() const { return params_.size(); }

  /// The momentum buffers by parameter name, in registration order (empty
  /// before the first step: torch creates them lazily too).
  std::vector<NamedTensor> exportMomentum() const;
  /// Restores buffers and step count from a checkpoint. With step > 0 every
  /// registered parameter needs a buffer of its element count and no other
  /// names may appear; with step == 0 `momentum` must be empty. Throws
  /// std::invalid_argument naming the parameter otherwise.
  void importState(const std::vector<NamedTensor> &momentum, int64_t step);

private:
  struct Param;
  std::shared_ptr<schedules::backward::TrainKernel> kernel_;
  std::vector<std::unique_ptr<Param>> params_;
  std::vector<float> scalars_; // lr, momentum, weight decay, first step
  int64_t steps_ = 0;
};

} // namespace netc::runtime::train
