// The training curves, appended as a run goes so a crash loses nothing:
//   <dir>/train.csv   one row per logged step (header kTrainCsvHeader)
//   <dir>/eval.jsonl  one JSON object per evaluation
// Every line is flushed as written. Resuming from a checkpoint at step S
// first drops the lines past S (written after that checkpoint by the run
// that died), so the curves never hold one step twice.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace netc::runtime::train {

inline constexpr const char *kTrainCsvHeader =
    "step,epoch,lr,loss,train_error,images_per_s,elapsed_s";

struct StepRecord {
  int64_t step = 0;   ///< optimizer steps done
  double epoch = 0;   ///< fractional epochs done (step / steps per epoch)
  double lr = 0;
  double loss = 0;       ///< mean loss over the steps since the last record
  double trainError = 0; ///< top-1 error over the same steps (0..1)
  double imagesPerS = 0;
  double elapsedS = 0; ///< wall time of the run (resumed runs continue the count)
};

struct EvalRecord {
  int64_t step = 0;
  double epoch = 0;
  double top1Error = 0, top5Error = 0; ///< 0..1
  double loss = 0;                     ///< NaN when not measured: written as null
  int64_t images = 0;
  double elapsedS = 0;
};

class TrainLog {
public:
  /// Creates `dir` if needed. A fresh run (`resumeStep` < 0) truncates both
  /// files; a resumed one keeps the lines with step <= resumeStep and
  /// appends. Throws IoError if a file cannot be written, or the existing
  /// CSV has another header.
  TrainLog(const std::string &dir, int64_t resumeStep = -1);
  ~TrainLog();
  TrainLog(const TrainLog &) = delete;
  TrainLog &operator=(const TrainLog &) = delete;

  void logStep(const StepRecord &r);
  void logEval(const EvalRecord &r);

  const std::string &csvPath() const { return csvPath_; }
  const std::string &evalPath() const { return evalPath_; }

private:
  std::string csvPath_, evalPath_;
  std::FILE *csv_ = nullptr, *eval_ = nullptr;
};

} // namespace netc::runtime::train
