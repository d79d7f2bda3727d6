#include "runtime/train/TrainLog.h"

#include "runtime/Error.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

namespace netc::runtime::train {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string &path, const std::string &what) {
  throw IoError("cannot " + what + " '" + path + "': " + std::strerror(errno));
}

std::vector<std::string> readLines(const std::string &path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string l; std::getline(in, l);)
    if (!l.empty())
      lines.push_back(l);
  return lines;
}

// The step of a CSV row: its first field.
int64_t csvStep(const std::string &line) { return std::strtoll(line.c_str(), nullptr, 10); }

int64_t jsonStep(const std::string &line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  return j.is_object() && j.contains("step") && j["step"].is_number_integer()
             ? j["step"].get<int64_t>()
             : INT64_MAX; // unreadable (a torn last line): drop it
}

// Rewrites `path` keeping `header` (if any) and the lines with step <= last,
// via a temp file + rename so a crash here cannot lose the curve.
template <typename StepOf>
void truncateTo(const std::string &path, const std::string &header, int64_t last, StepOf stepOf) {
  std::vector<std::string> lines = readLines(path);
  size_t first = 0;
  if (!header.empty() && !lines.empty()) {
    if (lines[0] != header)
      throw IoError("'" + path + "' has the header '" + lines[0] + "', not '" + header +
                    "': not a netc training log");
    first = 1;
  }
  std::string tmp = path + ".tmp";
  std::ofstream out(tmp, std::ios::trunc);
  if (!header.empty())
    out << header << '\n';
  for (size_t i = first; i < lines.size(); ++i)
    if (stepOf(lines[i]) <= last)
      out << lines[i] << '\n';
  out.close();
  if (!out)
    fail(tmp, "write");
  fs::rename(tmp, path);
}

std::FILE *openAppend(const std::string &path) {
  std::FILE *f = std::fopen(path.c_str(), "a");
  if (!f)
    fail(path, "open");
  return f;
}

void writeLine(std::FILE *f, const std::string &line, const std::string &path) {
  if (std::fputs(line.c_str(), f) < 0 || std::fputc('\n', f) < 0 || std::fflush(f) != 0)
    fail(path, "write");
}

} // namespace

TrainLog::TrainLog(const std::string &dir, int64_t resumeStep)
    : csvPath_((fs::path(dir) / "train.csv").string()),
      evalPath_((fs::path(dir) / "eval.jsonl").string()) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw IoError("cannot create '" + dir + "': " + ec.message());
  if (resumeStep < 0 || !fs::exists(csvPath_)) {
    std::ofstream(csvPath_, std::ios::trunc) << kTrainCsvHeader << '\n';
  } else {
    truncateTo(csvPath_, kTrainCsvHeader, resumeStep, csvStep);
  }
  if (resumeStep < 0 || !fs::exists(evalPath_))
    std::ofstream(evalPath_, std::ios::trunc).flush();
  else
    truncateTo(evalPath_, "", resumeStep, jsonStep);
  csv_ = openAppend(csvPath_);
  eval_ = openAppend(evalPath_);
}

TrainLog::~TrainLog() {
  if (csv_)
    std::fclose(csv_);
  if (eval_)
    std::fclose(eval_);
}

void TrainLog::logStep(const StepRecord &r) {
  char line[256];
  std::snprintf(line, sizeof line, "%lld,%.6f,%.9g,%.7g,%.6f,%.2f,%.3f",
                static_cast<long long>(r.step), r.epoch, r.lr, r.loss, r.trainError, r.imagesPerS,
                r.elapsedS);
  writeLine(csv_, line, csvPath_);
}

void TrainLog::logEval(const EvalRecord &r) {
  nlohmann::ordered_json j;
  j["step"] = r.step;
  j["epoch"] = r.epoch;
  j["top1_error"] = r.top1Error;
  j["top5_error"] = r.top5Error;
  j["loss"] = std::isfinite(r.loss) ? nlohmann::ordered_json(r.loss) : nlohmann::ordered_json();
  j["images"] = r.images;
  j["elapsed_s"] = r.elapsedS;
  writeLine(eval_, j.dump(), evalPath_);
}

} // namespace netc::runtime::train
