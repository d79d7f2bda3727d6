// The C side of an AOT library: NAME.h, the public C99 header, and NAME.c,
// the driver that replays the executor's plan over the caller's workspace.
//
// The driver is freestanding C (stddef.h and stdint.h only; the few libc
// and Halide runtime functions it calls are declared in it), so the same
// text cross-compiles for aarch64 without a target sysroot.
#pragma once

#include "runtime/aot/LibraryLayout.h"

#include <string>

namespace netc::aot {

std::string headerSource(const LibraryLayout &l);
std::string driverSource(const LibraryLayout &l);

// The training library (CTrainSource.cpp): NAME_train_step and parameter access.
std::string trainHeaderSource(const TrainLayout &l);
std::string trainDriverSource(const TrainLayout &l);

// Shared pieces: the status enum and the driver's prelude (declarations,
// weights loading and checking, Halide error handler).
// The GPU driver's body after the tables (CTrainGpuSource.cpp).
const char *trainGpuBodySource();

std::string statusEnumSource();
std::string driverPreludeSource(const std::string &target, bool gpu);
/// After the macros NETWORK_ID and WEIGHT_FLOATS: status texts, checksum,
/// .weights reading, the Halide error handler.
std::string driverCommonSource();
// The CALLS table with NAME_call_count/_name/_macs, and their declarations.
std::string callTableSource(const std::string &name, const std::vector<KernelCall> &calls);
std::string profileHeaderSource(const std::string &name);
std::string upperName(const std::string &name);

}  // namespace netc::aot
