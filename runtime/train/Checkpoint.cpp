#include "runtime/train/Checkpoint.h"

#include "runtime/Error.h"
#include "runtime/train/Sgd.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>

namespace netc::runtime::train {

namespace {

// Explicit little-endian byte order, whatever the host's.
void putU64(std::vector<uint8_t> &b, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint64_t getU64(const uint8_t *p, int bytes = 8) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

constexpr size_t kFixedBytes = 1 + 4 * 8 + 4;

void checkTensorNames(const std::vector<NamedTensor> &tensors,
                      const std::vector<std::string> &expected, const std::string &path) {
  std::set<std::string> have;
  for (const NamedTensor &t : tensors)
    have.insert(t.name);
  std::set<std::string> want(expected.begin(), expected.end());
  for (const std::string &n : expected)
    if (!have.count(n))
      throw IoError("checkpoint '" + path + "' has no tensor '" + n + "'");
  for (const std::string &n : have)
    if (!want.count(n) && n != kInputMeanName && n != kInputScaleName)
      throw IoError("checkpoint '" + path + "' holds tensor '" + n +
                    "', which the network does not have");
}

void checkMomentum(const WeightsFile &w, const std::string &path) {
  std::set<std::string> seen;
  for (const NamedTensor &m : w.training->momentum) {
    const NamedTensor *p = w.find(m.name);
    if (!p)
      throw IoError("checkpoint '" + path + "' has momentum for '" + m.name +
                    "', which is not one of its tensors");
    if (p->data.size() != m.data.size())
      throw IoError("checkpoint '" + path + "': momentum for '" + m.name + "' has " +
                    std::to_string(m.data.size()) + " elements, the tensor " +
                    std::to_string(p->data.size()));
    if (!seen.insert(m.name).second)
      throw IoError("checkpoint '" + path + "' has two momentum buffers for '" + m.name + "'");
  }
}

} // namespace

std::vector<uint8_t> encodeRngState(const data::LoaderState &loader,
                                    const std::vector<double> &schedule) {
  std::vector<uint8_t> b;
  b.reserve(kFixedBytes + 8 * schedule.size());
  b.push_back(kRngStateVersion);
  for (uint64_t v : {loader.seed, loader.epoch, loader.index, loader.datasetSize})
    putU64(b, v);
  uint32_t n = static_cast<uint32_t>(schedule.size());
  for (int i = 0; i < 4; ++i)
    b.push_back(static_cast<uint8_t>(n >> (8 * i)));
  for (double d : schedule) {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    putU64(b, bits);
  }
  return b;
}

void decodeRngState(const std::vector<uint8_t> &bytes, const std::string &what,
                    data::LoaderState &loader, std::vector<double> &schedule) {
  if (bytes.empty())
    throw IoError(what + ": the training state has no rng_state");
  if (bytes[0] != kRngStateVersion)
    throw IoError(what + ": rng_state version " + std::to_string(bytes[0]) + ", this netc reads " +
                  std::to_string(kRngStateVersion));
  if (bytes.size() < kFixedBytes)
    throw IoError(what + ": rng_state is " + std::to_string(bytes.size()) + " bytes, too short");
  const uint8_t *p = bytes.data() + 1;
  loader = {getU64(p), getU64(p + 8), getU64(p + 16), getU64(p + 24)};
  uint64_t n = getU64(p + 32, 4);
  if (bytes.size() != kFixedBytes + 8 * n)
    throw IoError(what + ": rng_state is " + std::to_string(bytes.size()) + " bytes; " +
                  std::to_string(n) + " schedule values need " +
                  std::to_string(kFixedBytes + 8 * n));
  schedule.resize(n);
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t bits = getU64(bytes.data() + kFixedBytes + 8 * i);
    std::memcpy(&schedule[i], &bits, sizeof bits);
  }
}

void saveCheckpoint(const std::string &path, const std::string &networkName,
                    const std::string &networkText, const Checkpoint &c) {
  WeightsFile w;
  w.networkName = networkName;
  w.networkText = networkText;
  w.tensors = c.tensors;
  TrainingState ts;
  ts.optimizer = kSgdOptimizerName;
  ts.momentum = c.momentum;
  ts.step = c.step;
  ts.rngState = encodeRngState(c.loader, c.schedule);
  ts.dataPosition = c.samplesConsumed;
  w.training = std::move(ts);
  saveWeights(path, w);
}

Checkpoint loadCheckpoint(const std::string &path, const std::string &networkName,
                          const std::string &networkText,
                          const std::vector<std::string> &expectedTensors) {
  WeightsFile w = loadWeightsFor(path, networkName, networkText);
  const std::string what = "checkpoint '" + path + "'";
  if (!w.training)
    throw IoError(what + " has no training state: it is a plain weights file");
  if (w.training->optimizer != kSgdOptimizerName)
    throw IoError(what + " was saved by optimizer '" + w.training->optimizer + "', not '" +
                  kSgdOptimizerName + "'");
  if (w.training->step < 0 || w.training->dataPosition < 0)
    throw IoError(what + " has a negative step or data position");
  if (!expectedTensors.empty())
    checkTensorNames(w.tensors, expectedTensors, path);
  checkMomentum(w, path);
  Checkpoint c;
  decodeRngState(w.training->rngState, what, c.loader, c.schedule);
  c.step = w.training->step;
  c.samplesConsumed = w.training->dataPosition;
  c.momentum = std::move(w.training->momentum);
  c.tensors = std::move(w.tensors);
  return c;
}

// ---- Input normalisation -------------------------------------------------

InputNorm inputNormFromStats(const data::ColourStats &stats, dsl::TrainRecipe::Mean mean,
                             const data::Dataset &train) {
  InputNorm n;
  int64_t c = train.channels();
  n.scale.assign(static_cast<size_t>(c), 1.0f / 255.0f);
  if (mean == dsl::TrainRecipe::Mean::Channel) {
    n.meanShape = {c};
    n.mean = stats.channelMean;
  } else if (mean == dsl::TrainRecipe::Mean::Pixel) {
    auto s = train.shape();
    if (!s || stats.pixelMean.empty())
      throw std::invalid_argument(
          "a per-pixel mean needs a dataset whose images all have one size; use mean channel");
    n.meanShape = {s->c, s->h, s->w};
    n.mean = stats.pixelMean;
  }
  return n;
}

void storeInputNorm(const InputNorm &norm, std::vector<NamedTensor> &tensors) {
  tensors.erase(std::remove_if(tensors.begin(), tensors.end(),
                               [](const NamedTensor &t) {
                                 return t.name == kInputMeanName || t.name == kInputScaleName;
                               }),
                tensors.end());
  if (!norm.mean.empty())
    tensors.push_back({kInputMeanName, norm.meanShape, norm.mean});
  tensors.push_back({kInputScaleName, {static_cast<int64_t>(norm.scale.size())}, norm.scale});
}

InputNorm readInputNorm(const std::vector<NamedTensor> &tensors, int64_t channels) {
  InputNorm n;
  n.scale.assign(static_cast<size_t>(channels), 1.0f / 255.0f);
  for (const NamedTensor &t : tensors) {
    if (t.name == kInputScaleName) {
      if (t.data.size() != static_cast<size_t>(channels))
        throw IoError("input.scale has " + std::to_string(t.data.size()) +
                      " values; the network has " + std::to_string(channels) + " channels");
      n.scale = t.data;
    } else if (t.name == kInputMeanName) {
      bool ok = (t.shape.size() == 1 || t.shape.size() == 3) && !t.shape.empty() &&
                t.shape[0] == channels;
      if (!ok)
        throw IoError("input.mean is " + shapeString(t.shape) + "; expected [" +
                      std::to_string(channels) + "] or [" + std::to_string(channels) + ", H, W]");
      n.meanShape = t.shape;
      n.mean = t.data;
    }
  }
  return n;
}

namespace {

// Mean and scale into an augmentation config, checking a per-pixel mean
// matches the output the augmenter writes.
void applyNorm(const InputNorm &norm, const dsl::Shape &in, data::AugmentConfig &a) {
  if (norm.meanShape.size() == 3 &&
      (norm.meanShape[1] != in.h || norm.meanShape[2] != in.w || norm.meanShape[0] != in.c))
    throw std::invalid_argument("the per-pixel input mean is " + shapeString(norm.meanShape) +
                                " but the network input is " + in.str());
  a.mean = norm.mean;
  a.scale = norm.scale;
  a.outH = in.h;
  a.outW = in.w;
}

} // namespace

data::AugmentConfig trainAugment(const dsl::TrainRecipe &recipe, const InputNorm &norm,
                                 const dsl::Shape &in, const data::ColourStats &stats) {
  data::AugmentConfig a;
  if (recipe.scaleMin > 0) {
    a.geometry = data::Geometry::ScaleCrop;
    a.scaleMin = recipe.scaleMin;
    a.scaleMax = std::max(recipe.scaleMax, recipe.scaleMin);
  } else {
    a.geometry = data::Geometry::PadCrop;
    a.pad = recipe.pad;
  }
  a.randomCrop = true;
  a.flip = recipe.flip;
  a.lightingStd = recipe.colourShift;
  a.stats = stats;
  applyNorm(norm, in, a);
  return a;
}

data::AugmentConfig evalAugment(const InputNorm &norm, const dsl::Shape &in,
                                const data::Dataset &ds, int64_t resize) {
  data::AugmentConfig a;
  a.randomCrop = false;
  if (ds.shape()) {
    a.geometry = data::Geometry::PadCrop;
    a.pad = 0;
  } else {
    a.geometry = data::Geometry::ScaleCrop;
    int64_t s = resize > 0 ? resize : (std::min(in.h, in.w) * 256 + 112) / 224;
    a.scaleMin = a.scaleMax = s;
  }
  applyNorm(norm, in, a);
  return a;
}

} // namespace netc::runtime::train
