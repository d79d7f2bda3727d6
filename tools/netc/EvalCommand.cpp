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
#include "runtime/train/Evaluate.h"

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

} // namespace

int eval(const EvalArgs &a) {
  setThreads(a.threads);
  dsl::LoadedNetwork n = loadNetworkArgs(a.net);
  runtime::WeightsFile w = runtime::loadWeightsFor(a.weights, n.network.name, n.canonical);
  runtime::train::DataSplits splits = runtime::train::openDataSource(a.data, false);
  auto test = runtime::train::firstSamples(splits.test, static_cast<size_t>(a.limit));
  runtime::train::checkDataFits(n.network, *test, a.data);

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
  runtime::train::EvalCounts c = runtime::train::evaluate(ex, loader);

  double top1 = c.top1Error(), top5 = c.top5Error();
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
