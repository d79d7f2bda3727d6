// TrainLog (CSV + JSON lines, truncation on resume) and Progress output.
#include "runtime/train/Progress.h"
#include "runtime/train/TrainLog.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace netc::runtime::train {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> lines(const std::string &path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  for (std::string l; std::getline(in, l);)
    out.push_back(l);
  return out;
}

fs::path tempDir(const std::string &tag) {
  fs::path p = fs::temp_directory_path() / ("netc_log_" + std::to_string(getpid()) + "_" + tag);
  fs::remove_all(p);
  return p;
}

void logSteps(TrainLog &log, int64_t from, int64_t to) {
  for (int64_t s = from; s <= to; s += 10) {
    StepRecord r;
    r.step = s;
    r.lr = 0.1;
    r.loss = 2.5;
    log.logStep(r);
    if (s % 20 == 0)
      log.logEval({s, 0, 0.5, 0.1, NAN, 100, 1});
  }
}

TEST(TrainLog, WritesFlushedLinesAndTruncatesOnResume) {
  fs::path dir = tempDir("resume");
  {
    TrainLog log(dir.string());
    logSteps(log, 10, 50);
    // Flushed as written: readable while the log is still open.
    std::vector<std::string> csv = lines(log.csvPath());
    ASSERT_EQ(csv.size(), 6u);
    EXPECT_EQ(csv[0], kTrainCsvHeader);
    EXPECT_EQ(csv[1].rfind("10,", 0), 0u) << csv[1];
    std::vector<std::string> ev = lines(log.evalPath());
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_NE(ev[0].find("\"step\":20"), std::string::npos) << ev[0];
    EXPECT_NE(ev[0].find("\"loss\":null"), std::string::npos) << ev[0];
  }
  {
    TrainLog log(dir.string(), 30); // the checkpoint was at step 30
    EXPECT_EQ(lines(log.csvPath()).size(), 4u);  // header, 10, 20, 30
    EXPECT_EQ(lines(log.evalPath()).size(), 1u); // step 20
    logSteps(log, 40, 40);
  }
  std::vector<std::string> csv = lines((dir / "train.csv").string());
  ASSERT_EQ(csv.size(), 5u);
  EXPECT_EQ(csv[4].rfind("40,", 0), 0u);
  EXPECT_EQ(lines((dir / "eval.jsonl").string()).size(), 2u);
  {
    TrainLog fresh(dir.string()); // a new run starts the curves over
  }
  EXPECT_EQ(lines((dir / "train.csv").string()).size(), 1u);
  fs::remove_all(dir);
}

TEST(TrainLog, RefusesAForeignCsv) {
  fs::path dir = tempDir("foreign");
  fs::create_directories(dir);
  std::ofstream(dir / "train.csv") << "a,b,c\n1,2,3\n";
  EXPECT_ANY_THROW(TrainLog(dir.string(), 5));
  fs::remove_all(dir);
}

std::string captured(std::FILE *f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  for (int c; (c = std::fgetc(f)) != EOF;)
    s += static_cast<char>(c);
  return s;
}

TEST(Progress, NonTtyPrintsEveryNStepsAndAtTheEnd) {
  std::FILE *f = std::tmpfile();
  ProgressConfig cfg;
  cfg.totalSteps = 100;
  cfg.stepsPerEpoch = 40;
  cfg.everySteps = 25;
  cfg.everySeconds = 1e9;
  cfg.out = f;
  cfg.tty = 0;
  Progress p(cfg);
  for (int s = 1; s <= 100; ++s)
    p.update(s, 1.0, 64, 128);
  p.finish();
  std::string out = captured(f);
  std::fclose(f);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 4) << out; // 25, 50, 75, 100
  EXPECT_EQ(out.find('\r'), std::string::npos);
  EXPECT_NE(out.find("epoch 3/3  step 100/100  loss 1.0000  acc 50.0%"), std::string::npos) << out;
  EXPECT_NEAR(p.smoothedLoss(), 1.0, 1e-12);
}

TEST(Progress, TtyRewritesOneLine) {
  std::FILE *f = std::tmpfile();
  ProgressConfig cfg;
  cfg.totalSteps = 3;
  cfg.out = f;
  cfg.tty = 1;
  Progress p(cfg);
  p.update(1, 2.0, 0, 10);
  p.note("eval: top-1 error 90%");
  p.update(3, 2.0, 10, 10);
  p.finish();
  std::string out = captured(f);
  std::fclose(f);
  EXPECT_NE(out.find('\r'), std::string::npos);
  EXPECT_NE(out.find("\neval: top-1 error 90%\n"), std::string::npos) << out;
  EXPECT_EQ(out.back(), '\n');
}

TEST(Progress, FormatsDurations) {
  EXPECT_EQ(formatDuration(42), "42s");
  EXPECT_EQ(formatDuration(432), "7m12s");
  EXPECT_EQ(formatDuration(3780), "1h03m");
  EXPECT_EQ(formatDuration(NAN), "?");
}

} // namespace
} // namespace netc::runtime::train
