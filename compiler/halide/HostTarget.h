// The Halide target of this machine, corrected where Halide 14 claims more
// than the CPU has.
//
// Halide 14 turns AVX512-BF16 into its avx512_sapphirerapids feature, which
// also lets LLVM emit VEX-encoded AVX-VNNI (vpdpwssd on ymm). AMD Zen 4 has
// AVX512-BF16 and AVX512-VNNI but no AVX-VNNI, so such a kernel dies with
// SIGILL (seen on ResNet-50's stem conv with rows-per-task 2 and input
// staging on this project's EPYC machines). Every "host" in netc goes
// through hostTarget(), which drops the feature when CPUID lacks AVX-VNNI.
#pragma once

#include <Halide.h>

namespace netc::halide {

Halide::Target hostTarget();

}  // namespace netc::halide
