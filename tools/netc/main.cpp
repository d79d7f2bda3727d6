// netc: the command-line driver. CLI11 lives in this one file (it is slow to
// compile); each subcommand's work is in Commands.cpp.
#include "tools/netc/Commands.h"

#include "dsl/Source.h"

#include <CLI/CLI.hpp>

#include <iostream>

namespace {

void netOptions(CLI::App *cmd, netc::cli::NetArgs &a) {
  cmd->add_option("FILE", a.file, "a .net network description")->required();
  cmd->add_option("-D,--define", a.defs, "override a parameter: -D n=18 -D shortcut=A")
      ->type_name("NAME=VALUE");
}

} // namespace

int main(int argc, char **argv) {
  using namespace netc::cli;
  CLI::App app{"netc: a declarative neural-network compiler"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "netc 0.1.0");

  NetArgs summaryArgs;
  bool json = false;
  auto *summaryCmd = app.add_subcommand("summary", "print a network's layers, shapes, parameters and MACs");
  netOptions(summaryCmd, summaryArgs);
  summaryCmd->add_flag("--json", json, "print one JSON object instead of a table");

  NetArgs checkArgs;
  auto *checkCmd = app.add_subcommand("check", "validate a .net file; print nothing but errors");
  netOptions(checkCmd, checkArgs);

  CompileArgs compileArgs;
  auto *compileCmd = app.add_subcommand("compile", "compile a network and show a stage");
  netOptions(compileCmd, compileArgs.net);
  compileCmd->add_option("--emit", compileArgs.emit, "stop after a stage and print it")
      ->check(CLI::IsMember({"ast", "mlir", "fused", "halide"}));
  compileCmd->add_flag("--train", compileArgs.train,
                       "the training step (forward, loss, gradients): with --emit=mlir its graph, with --emit=halide its kernels, with -o a library");
  compileCmd->add_option("--target", compileArgs.target,
                         "build a library for this target (see `netc targets`), with -o");
  compileCmd->add_option("-o,--output", compileArgs.outDir,
                         "write NAME.a, NAME.h (and NAME.weights) into this directory");
  compileCmd->add_option("--name", compileArgs.name,
                         "the library's C prefix (default: the network's name)");
  compileCmd->add_option("--batch", compileArgs.batch,
                         "the largest batch the library accepts (--train: the batch of every step; default: the recipe's)")
      ->check(CLI::Range(1, 65536));
  compileCmd->add_option("--weights", compileArgs.weights,
                         "a .nw weights file (default: initialised, see --init/--seed)");
  compileCmd->add_option("--init", compileArgs.init, "initialiser without --weights: he, glorot, normal");
  compileCmd->add_option("--seed", compileArgs.seed, "seed of the initialiser");
  compileCmd->add_flag("--embed-weights", compileArgs.embedWeights,
                       "link the weights into the library instead of writing NAME.weights");
  compileCmd->add_flag("--json", compileArgs.json, "print what was built as one JSON object");

  RunArgs runArgs;
  auto *runCmd = app.add_subcommand("run", "run a forward pass; print the top-5 classes per image");
  netOptions(runCmd, runArgs.net);
  runCmd->add_option("--weights", runArgs.weights, "a .nw weights file (default: initialised)");
  runCmd->add_option("--input", runArgs.input, "input images, NCHW float32 .npy (default: random)");
  runCmd->add_option("--output", runArgs.output, "write the outputs as NCHW float32 .npy");
  runCmd->add_option("--batch", runArgs.batch, "images per forward pass")->check(CLI::Range(1, 65536));
  runCmd->add_option("--threads", runArgs.threads, "worker threads (default: all cores)")
      ->check(CLI::Range(0, 1024));
  runCmd->add_option("--init", runArgs.init, "initialiser without --weights: he, glorot, normal");
  runCmd->add_option("--seed", runArgs.seed, "seed of the initialiser and random input");
  runCmd->add_flag("--bench", runArgs.bench, "time forward passes: images/s, median after warm-up");
  runCmd->add_option("--iterations", runArgs.iterations, "timed passes for --bench")
      ->check(CLI::Range(1, 100000));
  runCmd->add_flag("--json", runArgs.json, "machine-readable output");
  runCmd->add_option("--target", runArgs.target,
                     "run on a GPU: build a library for this GPU target (cuda, cuda-80, an "
                     "OpenCL target) and run it in a child process");

  EvalArgs evalArgs;
  auto *evalCmd = app.add_subcommand("eval", "top-1 and top-5 error of weights on a test split");
  netOptions(evalCmd, evalArgs.net);
  evalCmd->add_option("--weights", evalArgs.weights, "a .nw weights file or checkpoint")->required();
  evalCmd->add_option("--data", evalArgs.data, "fashion-mnist, cifar10:DIR or folder:DIR");
  evalCmd->add_option("--batch", evalArgs.batch, "images per forward pass")->check(CLI::Range(1, 65536));
  evalCmd->add_option("--threads", evalArgs.threads, "worker threads (default: all cores)")
      ->check(CLI::Range(0, 1024));
  evalCmd->add_option("--limit", evalArgs.limit, "evaluate the first N test images only")
      ->check(CLI::Range(0LL, 1LL << 40));
  evalCmd->add_flag("--json", evalArgs.json,
                    "print one JSON object: top1_error, top5_error, images");

  bool noCache = false;
  TrainArgs trainArgs;
  auto *trainCmd = app.add_subcommand("train", "train a network with its recipe; evaluate it");
  netOptions(trainCmd, trainArgs.net);
  trainCmd->add_option("--data", trainArgs.data, "fashion-mnist (default), cifar10:DIR or folder:DIR");
  trainCmd->add_option("--epochs", trainArgs.epochs, "train this many epochs (recipe: epochs)")
      ->check(CLI::PositiveNumber);
  trainCmd->add_option("--iters,--iterations", trainArgs.iterations,
                       "train this many steps (recipe: iterations)")
      ->check(CLI::PositiveNumber);
  trainCmd->add_option("--batch", trainArgs.batch, "images per step (recipe: batch)")
      ->check(CLI::Range(1, 65536));
  trainCmd->add_option("--set", trainArgs.set,
                       "override a recipe value, e.g. --set lr=0.05 --set \"schedule=step 50%,75%\"");
  trainCmd->add_option("--out", trainArgs.out, "output folder: checkpoint.nw, train.csv, eval.jsonl");
  trainCmd->add_flag("--resume", trainArgs.resume, "continue from the checkpoint in --out exactly");
  trainCmd->add_option("--train-limit", trainArgs.trainLimit, "use the first N training images");
  trainCmd->add_option("--test-limit", trainArgs.testLimit, "evaluate on the first N test images");
  trainCmd->add_option("--stop-after", trainArgs.stopAfter,
                       "checkpoint and stop after this many steps (resume later)");
  trainCmd->add_option("--threads", trainArgs.threads, "worker threads (default: all cores)")
      ->check(CLI::Range(0, 1024));
  trainCmd->add_flag("--bench", trainArgs.bench, "time training steps on synthetic data");
  trainCmd->add_option("--target", trainArgs.target,
                       "not yet: netc train runs on this CPU (for a GPU: netc compile --train "
                       "--target cuda)");
  trainCmd->add_option("--steps", trainArgs.benchSteps, "timed steps for --bench")
      ->check(CLI::Range(1, 100000));
  trainCmd->add_flag("--json", trainArgs.json, "machine-readable result");

  for (CLI::App *c : {runCmd, compileCmd, evalCmd, trainCmd})
    c->add_flag("--no-cache", noCache,
                "compile kernels in memory only: no kernel disk cache (also NETC_CACHE=off)");

  auto *targetsCmd = app.add_subcommand("targets", "list the targets a library can be built for");

  TuneArgs tuneArgs;
  auto *tuneCmd = app.add_subcommand("tune", "measure the best conv schedules of a network; store them");
  netOptions(tuneCmd, tuneArgs.net);
  tuneCmd->add_option("--target", tuneArgs.target, "a target this machine runs (default host)");
  tuneCmd->add_option("--budget", tuneArgs.budget, "time to spend, e.g. 90s, 10m (default), 1h");
  tuneCmd->add_option("--threads", tuneArgs.threads, "threads the kernels will run with")
      ->check(CLI::Range(0, 1024));
  tuneCmd->add_option("--db", tuneArgs.db,
                      "the tuning database (default $NETC_TUNING_DB, else the kernel cache's tuning.json)");
  tuneCmd->add_flag("--train", tuneArgs.train,
                    "tune the training step's kernels (forward convs, dX, dW) instead");
  tuneCmd->add_option("--batch", tuneArgs.batch,
                      "the batch to tune for (default 1; --train: the recipe's batch)")
      ->check(CLI::Range(1, 65536));
  tuneCmd->add_flag("--show", tuneArgs.show, "print the database and exit");
  tuneCmd->add_flag("--quiet", tuneArgs.quiet, "no progress line");

  bool clearCache = false;
  auto *cacheCmd = app.add_subcommand("cache", "show the kernel disk cache directory and size");
  cacheCmd->add_flag("--clear", clearCache, "delete every cached kernel library");

  auto *weightsCmd = app.add_subcommand("weights", "create and convert weights files");
  weightsCmd->require_subcommand(1);
  ImportArgs importArgs;
  auto *importCmd = weightsCmd->add_subcommand("import", "bind an ONNX model's initializers to a network");
  netOptions(importCmd, importArgs.net);
  importCmd->add_option("--onnx", importArgs.onnx, "the ONNX model")->required();
  importCmd->add_option("-o,--output", importArgs.out, "the .nw file to write")->required();
  InitArgs initArgs;
  auto *initCmd = weightsCmd->add_subcommand("init", "write freshly initialised weights");
  netOptions(initCmd, initArgs.net);
  initCmd->add_option("-o,--output", initArgs.out, "the .nw file to write")->required();
  initCmd->add_option("--init", initArgs.init, "he, glorot or normal");
  initCmd->add_option("--seed", initArgs.seed, "seed");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e) == 0 ? 0 : 1;
  }

  try {
    if (noCache)
      disableKernelDiskCache();
    if (*cacheCmd)
      return cache(clearCache);
    if (*targetsCmd)
      return targets();
    if (*tuneCmd)
      return tune(tuneArgs);
    if (*summaryCmd)
      return summary(summaryArgs, json);
    if (*checkCmd)
      return check(checkArgs);
    if (*compileCmd)
      return compile(compileArgs);
    if (*runCmd)
      return run(runArgs);
    if (*evalCmd)
      return eval(evalArgs);
    if (*trainCmd)
      return train(trainArgs);
    if (*importCmd)
      return weightsImport(importArgs);
    if (*initCmd)
      return weightsInit(initArgs);
  } catch (const netc::dsl::Error &e) {
    std::cerr << e.what();
    return 1;
  } catch (const std::exception &e) {
    std::cerr << "netc: error: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
