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

}  // namespace netc::aot
