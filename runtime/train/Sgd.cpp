#include "runtime/train/Sgd.h"

#include "compiler/halide/backward/Sgd.h"
#include "schedules/cpu/backward/TrainKernels.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace netc::runtime::train {

namespace nb = netc::halide::backward;

struct SgdOptimizer::Param {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> buf;
  // The kernel's argument lists, built once: p, grad, buf -> p, buf (in place).
  std::vector<Halide::Buffer<>> inputs, outputs;
};

SgdOptimizer::SgdOptimizer(const Halide::Target &target)
    : kernel_(schedules::backward::sgdKernel(target)), scalars_(4, 0.0f) {}

SgdOptimizer::~SgdOptimizer() = default;

void SgdOptimizer::addParameter(const std::string &name, float *param, const float *grad,
                                int64_t count, std::vector<int64_t> shape) {
  if (!param || !grad || count <= 0 || count > INT32_MAX)
    throw std::invalid_argument("sgd: parameter '" + name + "' has no data or a bad size");
  if (steps_ > 0) // torch would start its buffer at d_p; one shared first-step flag cannot
    throw std::invalid_argument("sgd: parameter '" + name + "' registered after the first step");
  for (const auto &p : params_)
    if (p->name == name)
      throw std::invalid_argument("sgd: parameter '" + name + "' registered twice");
  if (shape.empty())
    shape = {count};
  if (static_cast<int64_t>(elementCount(shape, name)) != count)
    throw std::invalid_argument("sgd: parameter '" + name + "' has shape " + shapeString(shape) +
                                " but " + std::to_string(count) + " elements");
  auto p = std::make_unique<Param>();
  p->name = name;
  p->shape = std::move(shape);
  p->buf.assign(static_cast<size_t>(count), 0.0f);
  int n = static_cast<int>(count);
  Halide::Buffer<float> pb(param, n), bb(p->buf.data(), n);
  // The kernel only reads grad; Halide's buffer type has no const variant.
  Halide::Buffer<float> gb(const_cast<float *>(grad), n);
  p->inputs = {pb, gb, bb};
  p->outputs = {pb, bb};
  params_.push_back(std::move(p));
}

void SgdOptimizer::step(double lr, double momentum, double weightDecay) {
  scalars_[nb::kSgdLr] = static_cast<float>(lr);
  scalars_[nb::kSgdMomentum] = static_cast<float>(momentum);
  scalars_[nb::kSgdWeightDecay] = static_cast<float>(weightDecay);
  scalars_[nb::kSgdFirstStep] = steps_ == 0 ? 1.0f : 0.0f;
  for (const auto &p : params_)
    kernel_->run(p->inputs, p->outputs, scalars_);
  ++steps_;
}

std::vector<NamedTensor> SgdOptimizer::exportMomentum() const {
  std::vector<NamedTensor> out;
  if (steps_ == 0)
    return out;
  for (const auto &p : params_)
    out.push_back({p->name, p->shape, p->buf});
  return out;
}

void SgdOptimizer::importState(const std::vector<NamedTensor> &momentum, int64_t step) {
  if (step < 0)
    throw std::invalid_argument("sgd: negative step count " + std::to_string(step));
  if (step == 0 && !momentum.empty())
    throw std::invalid_argument("sgd: momentum buffers given for step 0");
  if (step > 0 && momentum.size() != params_.size())
    throw std::invalid_argument("sgd: the checkpoint has " + std::to_string(momentum.size()) +
                                " momentum buffers; the network has " +
                                std::to_string(params_.size()) + " parameters");
  // Check everything before changing anything, so a failed import leaves
  // the optimizer as it was.
  std::vector<const NamedTensor *> found(params_.size(), nullptr);
  for (size_t i = 0; i < params_.size() && step > 0; ++i) {
    for (const NamedTensor &t : momentum)
      if (t.name == params_[i]->name)
        found[i] = &t;
    if (!found[i])
      throw std::invalid_argument("sgd: the checkpoint has no momentum for parameter '" +
                                  params_[i]->name + "'");
    if (found[i]->data.size() != params_[i]->buf.size())
      throw std::invalid_argument("sgd: momentum for '" + params_[i]->name + "' has " +
                                  std::to_string(found[i]->data.size()) + " elements, not " +
                                  std::to_string(params_[i]->buf.size()));
  }
  for (size_t i = 0; i < params_.size(); ++i) {
    std::vector<float> &b = params_[i]->buf; // copy in place: the Halide buffers point here
    if (found[i])
      std::memcpy(b.data(), found[i]->data.data(), b.size() * sizeof(float));
    else
      std::fill(b.begin(), b.end(), 0.0f);
  }
  steps_ = step;
}

} // namespace netc::runtime::train
