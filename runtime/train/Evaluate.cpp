#include "runtime/train/Evaluate.h"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace netc::runtime::train {

namespace {
// The rank of `label` among `row`'s scores: how many classes beat it (ties go
// to the lower index, as argmax does). NaN never counts as a hit.
int64_t rankOf(const float *row, int64_t classes, int64_t label) {
  float s = row[label];
  if (std::isnan(s))
    return classes;
  int64_t r = 0;
  for (int64_t j = 0; j < classes; ++j)
    r += row[j] > s || (j < label && row[j] == s);
  return r;
}
} // namespace

void checkDataFits(const dsl::Network &net, const data::Dataset &ds, const std::string &spec) {
  if (ds.channels() != net.input.c)
    throw std::runtime_error("data '" + spec + "' has " + std::to_string(ds.channels()) +
                             "-channel images; network '" + net.name + "' takes " +
                             net.input.str());
  if (static_cast<int64_t>(ds.classes().size()) > net.classes)
    throw std::runtime_error("data '" + spec + "' has " + std::to_string(ds.classes().size()) +
                             " classes; network '" + net.name + "' has " +
                             std::to_string(net.classes));
  if (ds.size() == 0)
    throw std::runtime_error("data '" + spec + "' has no images");
}

EvalCounts evaluate(Executor &ex, data::Loader &loader) {
  const auto &is = ex.inputShape();
  const auto &os = ex.outputShape();
  if (os.size() != 2)
    throw std::runtime_error("the network's output is not [N, classes]");
  int64_t batch = is[0], sample = is[1] * is[2] * is[3], classes = os[1];
  std::vector<float> padded(static_cast<size_t>(batch * sample), 0.0f);
  std::vector<float> out(static_cast<size_t>(batch * classes));
  EvalCounts c;
  for (size_t b = 0, n = loader.batchesPerEpoch(); b < n; ++b) {
    data::BatchView v = loader.acquire();
    const float *in = v.images;
    if (static_cast<int64_t>(v.count) < batch) { // short last batch: pad with zeros
      std::memcpy(padded.data(), v.images, v.count * static_cast<size_t>(sample) * sizeof(float));
      in = padded.data();
    }
    ex.forward(in, out.data());
    for (size_t i = 0; i < v.count; ++i) {
      int64_t r = rankOf(out.data() + static_cast<int64_t>(i) * classes, classes, v.labels[i]);
      c.top1 += r < 1;
      c.top5 += r < 5;
    }
    c.images += static_cast<int64_t>(v.count);
    loader.release();
  }
  return c;
}

} // namespace netc::runtime::train
