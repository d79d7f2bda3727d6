#include "ConvBwdTuned.h"

#include <stdexcept>

namespace netc::schedules::backward {

using netc::halide::ConvSpec;
using netc::halide::backward::ConvDxSpec;

namespace {

int field(const std::map<std::string, int> &f, const char *name) {
  auto it = f.find(name);
  if (it == f.end())
    throw std::runtime_error(std::string("tuning database: a conv gradient entry lacks '") +
                             name + "': run `netc tune --train` again");
  return it->second;
}

// Fields added after the first databases were written: absent means `def`.
int optionalField(const std::map<std::string, int> &f, const char *name, int def) {
  auto it = f.find(name);
  return it == f.end() ? def : it->second;
}

}  // namespace

std::string convDxDbKey(const ConvDxSpec &spec, const Halide::Target &t, int threads, int batch) {
  ConvDxSpec d = spec;
  d.conv = spec.conv.geometry();
  return "convdx|" + d.key() + TuningDb::keySuffix(t, threads, batch);
}

std::string convDwDbKey(const ConvSpec &spec, const Halide::Target &t, int threads, int batch) {
  return "convdw|" + spec.geometry().key() + TuningDb::keySuffix(t, threads, batch);
}

std::map<std::string, int> toFields(const ConvDxSchedule &s) {
  return {{"vec", s.vec},
          {"ciVecs", s.ciVecs},
          {"tileX", s.tileX},
          {"rowsPerTask", s.rowsPerTask},
          {"stageDy", s.stageDy},
          {"parallel", s.parallel},
          {"winograd", s.winograd}};
}

std::map<std::string, int> toFields(const ConvDwSchedule &s) {
  return {{"vec", s.vec},
          {"coVecs", s.coVecs},
          {"ciTile", s.ciTile},
          {"rowsPerBlock", s.rowsPerBlock},
          {"imagesPerBlock", s.imagesPerBlock},
          {"tapsInTile", s.tapsInTile},
          {"stageX", s.stageX},
          {"tasks", s.tasks},
          {"winograd", s.winograd}};
}

ConvDxSchedule convDxFromFields(const std::map<std::string, int> &f) {
  ConvDxSchedule s;
  s.vec = field(f, "vec");
  s.ciVecs = field(f, "ciVecs");
  s.tileX = field(f, "tileX");
  s.rowsPerTask = field(f, "rowsPerTask");
  s.stageDy = field(f, "stageDy") != 0;
  s.parallel = field(f, "parallel") != 0;
  s.winograd = optionalField(f, "winograd", 0);
  return s;
}

ConvDwSchedule convDwFromFields(const std::map<std::string, int> &f) {
  ConvDwSchedule s;
  s.vec = field(f, "vec");
  s.coVecs = field(f, "coVecs");
  s.ciTile = field(f, "ciTile");
  s.rowsPerBlock = field(f, "rowsPerBlock");
  s.imagesPerBlock = field(f, "imagesPerBlock");
  s.tapsInTile = field(f, "tapsInTile") != 0;
  s.stageX = field(f, "stageX") != 0;
  s.tasks = field(f, "tasks");
  s.winograd = optionalField(f, "winograd", 0);
  return s;
}

ConvDxSchedule chosenConvDxSchedule(const ConvDxSpec &spec, const Halide::Target &t, int batch) {
  auto hit = TuningDb::global().record(kConvDxSection,
                                       convDxDbKey(spec, t, currentThreads(), batch));
  return hit ? convDxFromFields(hit->fields) : defaultConvDxSchedule(spec, t);
}

ConvDwSchedule chosenConvDwSchedule(const ConvSpec &spec, const Halide::Target &t, int batch) {
  auto hit = TuningDb::global().record(kConvDwSection,
                                       convDwDbKey(spec, t, currentThreads(), batch));
  return hit ? convDwFromFields(hit->fields) : defaultConvDwSchedule(spec, t);
}

}  // namespace netc::schedules::backward
