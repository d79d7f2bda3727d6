#include "schedules/tuning/TuningDb.h"

#include "compiler/halide/KernelCache.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <unistd.h>

namespace netc::schedules {

using nlohmann::json;

namespace {

json toJson(const TunedConv &t) {
  const ConvSchedule &s = t.schedule;
  return {{"vec", s.vec},         {"coVecs", s.coVecs},   {"tileX", s.tileX},
          {"rowsPerTask", s.rowsPerTask}, {"stagePadded", s.stagePadded},
          {"coOuter", s.coOuter}, {"winograd", s.winograd}, {"ms", t.ms},
          {"default_ms", t.defaultMs}};
}

TunedConv fromJson(const json &j) {
  TunedConv t;
  ConvSchedule &s = t.schedule;
  s.vec = j.at("vec").get<int>();
  s.coVecs = j.at("coVecs").get<int>();
  s.tileX = j.at("tileX").get<int>();
  s.rowsPerTask = j.at("rowsPerTask").get<int>();
  s.stagePadded = j.at("stagePadded").get<bool>();
  s.coOuter = j.at("coOuter").get<bool>();
  s.winograd = j.value("winograd", 0);  // absent: direct (files from before Winograd)
  if (s.winograd != 0 && s.winograd != 2 && s.winograd != 4)
    throw std::runtime_error("winograd must be 0, 2 or 4");
  t.ms = j.value("ms", 0.0);
  t.defaultMs = j.value("default_ms", 0.0);
  return t;
}

json toJson(const TunedRecord &r) {
  json j = json::object();
  for (const auto &[k, v] : r.fields) j[k] = v;
  j["ms"] = r.ms;
  j["default_ms"] = r.defaultMs;
  return j;
}

TunedRecord recordFromJson(const json &j) {
  TunedRecord r;
  for (auto &[k, v] : j.items()) {
    if (k == "ms" || k == "default_ms") continue;
    if (v.is_boolean())
      r.fields[k] = v.get<bool>();
    else if (v.is_number_integer())
      r.fields[k] = v.get<int>();
    else
      throw std::runtime_error("field '" + k + "' is not an integer");
  }
  r.ms = j.value("ms", 0.0);
  r.defaultMs = j.value("default_ms", 0.0);
  return r;
}

// Version 2 added Winograd to the training step's schedule space (forward,
// dX, dW), and made it built in: the training entries of a version-1 file
// were chosen among direct schedules only and would now replace faster
// built-in ones, so they are dropped (`netc tune --train` tunes them again).
constexpr int kVersion = 2;

bool staleSinceVersion2(const std::string &section, const std::string &key) {
  const std::string train = "|train";
  bool trainConv = key.size() >= train.size() &&
                   key.compare(key.size() - train.size(), train.size(), train) == 0;
  return section == "conv_dx" || section == "conv_dw" || (section == "conv" && trainConv);
}

std::mutex globalMu;
std::unique_ptr<TuningDb> globalDb;

}  // namespace

TuningDb::TuningDb(std::string path) : path_(std::move(path)) {
  if (path_.empty())
    return;
  std::ifstream f(path_);
  if (!f)
    return;  // not tuned yet
  try {
    json j = json::parse(f);
    const int version = j.at("version").get<int>();
    if (version != 1 && version != kVersion)
      throw std::runtime_error("unknown version");
    for (auto &[section, entries] : j.items()) {
      if (section == "version") continue;
      for (auto &[k, v] : entries.items()) {
        if (version == 1 && staleSinceVersion2(section, k)) continue;
        if (section == "conv")
          conv_[k] = fromJson(v);
        else
          records_[section][k] = recordFromJson(v);
      }
    }
  } catch (const std::exception &e) {
    throw std::runtime_error("tuning database '" + path_ + "' is unreadable (" + e.what() +
                             "): delete it or run `netc tune` again");
  }
}

std::optional<TunedConv> TuningDb::conv(const std::string &key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = conv_.find(key);
  if (it == conv_.end())
    return std::nullopt;
  return it->second;
}

void TuningDb::setConv(const std::string &key, const TunedConv &t) {
  std::lock_guard<std::mutex> lock(mu_);
  conv_[key] = t;
}

std::optional<TunedRecord> TuningDb::record(const std::string &section,
                                            const std::string &key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto s = records_.find(section);
  if (s == records_.end()) return std::nullopt;
  auto it = s->second.find(key);
  if (it == s->second.end()) return std::nullopt;
  return it->second;
}

void TuningDb::setRecord(const std::string &section, const std::string &key,
                         const TunedRecord &r) {
  if (section == "conv" || section == "version")
    throw std::invalid_argument("TuningDb::setRecord: reserved section '" + section + "'");
  std::lock_guard<std::mutex> lock(mu_);
  records_[section][key] = r;
}

size_t TuningDb::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = conv_.size();
  for (const auto &[section, entries] : records_) n += entries.size();
  return n;
}

std::string TuningDb::text() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json j = {{"version", kVersion}, {"conv", nlohmann::json::object()}};
  for (const auto &[k, v] : conv_)
    j["conv"][k] = toJson(v);
  for (const auto &[section, entries] : records_)
    for (const auto &[k, v] : entries) j[section][k] = toJson(v);
  return j.dump(2) + "\n";
}

void TuningDb::save() const {
  if (path_.empty())
    return;
  std::string text = this->text();
  std::string tmp = path_ + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream f(tmp);
    f << text;
    if (!f.flush())
      throw std::runtime_error("cannot write '" + tmp + "'");
  }
  if (std::rename(tmp.c_str(), path_.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot write '" + path_ + "'");
  }
}

std::string TuningDb::convKey(const netc::halide::ConvSpec &spec, const Halide::Target &t,
                              int threads, int batch, bool training) {
  netc::halide::ConvSpec plain = spec;
  plain.wBlock = 0;
  plain.winograd = 0;
  return "conv|" + plain.key() + keySuffix(t, threads, batch) + (training ? "|train" : "");
}

std::string TuningDb::keySuffix(const Halide::Target &t, int threads, int batch) {
  return "|" + t.to_string() + "|threads=" + std::to_string(threads) +
         "|batch=" + std::to_string(batch);
}

std::string TuningDb::defaultPath() {
  if (const char *p = std::getenv("NETC_TUNING_DB"); p && *p)
    return p;
  std::string dir = netc::halide::diskCacheDirFromEnv();
  return dir.empty() ? "" : dir + "/tuning.json";
}

TuningDb &TuningDb::global() {
  std::lock_guard<std::mutex> lock(globalMu);
  if (!globalDb)
    globalDb = std::make_unique<TuningDb>(defaultPath());
  return *globalDb;
}

void TuningDb::use(const std::string &path) {
  auto db = std::make_unique<TuningDb>(path);
  std::lock_guard<std::mutex> lock(globalMu);
  globalDb = std::move(db);
}

int currentThreads() {
  if (const char *n = std::getenv("HL_NUM_THREADS"); n && std::atoi(n) > 0)
    return std::atoi(n);
  unsigned c = std::thread::hardware_concurrency();
  return c ? static_cast<int>(c) : 1;
}

std::optional<ConvSchedule> tunedConvSchedule(const netc::halide::ConvSpec &spec,
                                              const Halide::Target &t, int batch,
                                              bool training) {
  auto hit =
      TuningDb::global().conv(TuningDb::convKey(spec, t, currentThreads(), batch, training));
  if (!hit)
    return std::nullopt;
  return hit->schedule;
}

}  // namespace netc::schedules
