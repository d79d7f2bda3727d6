// The conv gradients' schedules in the tuning database (schedules/tuning):
// `netc tune --train` stores what it measured best for each dX and dW at the
// training batch; the Trainer asks here first and falls back to the
// built-in schedules (ConvBwdSchedule.h).
#pragma once

#include "schedules/cpu/backward/ConvBwdSchedule.h"
#include "schedules/tuning/TuningDb.h"

namespace netc::schedules::backward {

inline constexpr const char *kConvDxSection = "conv_dx";
inline constexpr const char *kConvDwSection = "conv_dw";

// Database keys. dX keeps its epilogue (add, relu mask); dW only depends on
// the geometry, so layers that differ in post-ops share one entry.
std::string convDxDbKey(const netc::halide::backward::ConvDxSpec &spec, const Halide::Target &t,
                        int threads, int batch);
std::string convDwDbKey(const netc::halide::ConvSpec &spec, const Halide::Target &t, int threads,
                        int batch);

// Schedules as the database's integer fields, and back (a missing field
// throws std::runtime_error: the file was not written by this version).
std::map<std::string, int> toFields(const ConvDxSchedule &s);
std::map<std::string, int> toFields(const ConvDwSchedule &s);
ConvDxSchedule convDxFromFields(const std::map<std::string, int> &f);
ConvDwSchedule convDwFromFields(const std::map<std::string, int> &f);

// The tuned schedule for currentThreads() at `batch`, else the default.
ConvDxSchedule chosenConvDxSchedule(const netc::halide::backward::ConvDxSpec &spec,
                                    const Halide::Target &t, int batch);
ConvDwSchedule chosenConvDwSchedule(const netc::halide::ConvSpec &spec, const Halide::Target &t,
                                    int batch);

}  // namespace netc::schedules::backward
