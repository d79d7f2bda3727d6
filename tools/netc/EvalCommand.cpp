// `netc eval`: top-1 / top-5 error of trained weights on a test split.
// Inputs are normalised with the input.mean / input.scale stored in the
// weights file (the values the network was trained with) and centre-cropped
// to the network's input; the executor's fixed batch is padded for the
// final short batch and the padding's outputs are ignored.
#include "tools/netc/Commands.h"

#include "compiler/Compile.h"
#include "dsl/Elaborate.h"
#include "dsl/Source.h"
#include "runtime/Executor.h"
#include "runtime/WeightsFile.h"
#include "runtime/data/Loader.h"
#include "runtime/train/Checkpoint.h"
#include "runtime/train/DataSource.h"

#include "mlir/IR/MLIRContext.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <stdexcept>

namespace netc::cli {

namespace {

namespace rd = runtime::data;

dsl::LoadedNetwork loadNet(const NetArgs &a) {
  std::vector<dsl::Override> ov;
  for (const std::string &d : a.defs) {
    try {
      ov.push_back(dsl::parseOverride(d));
    } catch (const dsl::Diagnostic &e) {
      throw dsl::Error(dsl::render(e, nullptr));
    }
  }
  return dsl::loadNetwork(a.file, ov);
}

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

struct Counts {
  int64_t images = 0, top1 = 0, top5 = 0; // hits
};

void checkFits(const dsl::Network &net, const rd::Dataset &ds, const std::string &spec) {
  if (ds.channels() != net.input.c)
    throw std::runtime_error("data '" + spec + "' has " + std::to_string(ds.channels()) +
                             "-channel images; network '" + net.name + "' takes " +
                             net.input.str());
  if (static_cast<int64_t>(ds.classes().size()) > net.classes)
    throw std::runtime_error("data '" + spec + "' has " + std::to_string(ds.classes().size()) +
                             " classes; network '" + net.name + "' has " +
                             std::to_string(net.classes));
  if (ds.size() == 0)
    throw std::runtime_error("data '" + spec + "' has no test images");
}

// Runs every batch of `loader` through `ex` and counts top-1/top-5 hits.
Counts evaluate(runtime::Executor &ex, rd::Loader &loader, int64_t batch) {
  const auto &is = ex.inputShape();
  const auto &os = ex.outputShape();
  if (os.size() != 2)
    throw std::runtime_error("the network's output is not [N, classes]");
  int64_t sample = is[1] * is[2] * is[3], classes = os[1];
  std::vector<float> padded(static_cast<size_t>(batch * sample), 0.0f);
  std::vector<float> out(static_cast<size_t>(batch * classes));
  Counts c;
  for (size_t b = 0, n = loader.batchesPerEpoch(); b < n; ++b) {
    rd::BatchView v = loader.acquire();
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

} // namespace

int eval(const EvalArgs &a) {
  setThreads(a.threads);
  dsl::LoadedNetwork n = loadNet(a.net);
  runtime::WeightsFile w = runtime::loadWeightsFor(a.weights, n.network.name, n.canonical);
  runtime::train::DataSplits splits = runtime::train::openDataSource(a.data, false);
  auto test = runtime::train::firstSamples(splits.test, static_cast<size_t>(a.limit));
  checkFits(n.network, *test, a.data);

  runtime::train::InputNorm norm = runtime::train::readInputNorm(w.tensors, n.network.input.c);
  rd::LoaderConfig lc;
  lc.batchSize = static_cast<size_t>(a.batch);
  lc.shuffle = false;
  lc.dropLast = false;
  rd::Loader loader(test, runtime::train::evalAugment(norm, n.network.input, *test), lc);

  mlir::MLIRContext ctx;
  auto m = compiler::compileNetwork(ctx, n.network, "fused");
  runtime::ExecOptions opts;
  opts.batch = a.batch;
  runtime::Executor ex(*m, w.tensors, opts);
  Counts c = evaluate(ex, loader, a.batch);

  double images = static_cast<double>(c.images);
  double top1 = 1 - static_cast<double>(c.top1) / images;
  double top5 = 1 - static_cast<double>(c.top5) / images;
  if (a.json) {
    nlohmann::ordered_json j;
    j["top1_error"] = top1;
    j["top5_error"] = top5;
    j["images"] = c.images;
    std::cout << j.dump() << '\n';
  } else {
    std::printf("%s on %s: top-1 error %.2f%%, top-5 error %.2f%% (%lld images)\n",
                n.network.name.c_str(), a.data.c_str(), 100 * top1, 100 * top5,
                static_cast<long long>(c.images));
  }
  return 0;
}

} // namespace netc::cli
