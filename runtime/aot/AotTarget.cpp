#include "runtime/aot/AotTarget.h"
#include "compiler/halide/HostTarget.h"

#include <sstream>
#include <stdexcept>

namespace netc::aot {

namespace {
// AVX2 with FMA/F16C: every x86-64 server CPU since Haswell (2013).
const char *kAvx2 = "x86-64-linux-sse41-avx-f16c-fma-avx2";
// Skylake-SP AVX-512 (F, CD, BW, DQ, VL): Intel Xeon since 2017, AMD Zen 4.
const char *kAvx512 = "x86-64-linux-sse41-avx-f16c-fma-avx2-avx512-avx512_skylake";
}  // namespace

const std::vector<NamedTarget> &namedTargets() {
  static const std::vector<NamedTarget> targets = [] {
    std::vector<NamedTarget> t = {
        {"host", "", "this machine's CPU, every feature it has (not portable)"},
        {"x86-64-avx2", kAvx2, "x86-64 Linux with AVX2+FMA (Haswell and later)"},
        {"x86-64-avx512", kAvx512, "x86-64 Linux with AVX-512 (Skylake-SP, Zen 4 and later)"},
        {"aarch64", "arm-64-linux", "64-bit ARM Linux (NEON), cross-compiled"},
        {"aarch64-dotprod", "arm-64-linux-arm_dot_prod", "64-bit ARM Linux with the dot-product extension"},
    };
    for (const char *cap : {"61", "70", "75", "80", "86"})
      t.push_back({std::string("cuda-") + cap, std::string(kAvx2) + "-cuda-cuda_capability_" + cap,
                   std::string("NVIDIA GPU, compute capability ") + cap[0] + "." + cap[1] +
                       " and later (PTX), host code for AVX2"});
    t.push_back({"cuda", std::string(kAvx2) + "-cuda-cuda_capability_80",
                 "same as cuda-80 (Ampere; runs on Hopper through the driver's PTX JIT)"});
    return t;
  }();
  return targets;
}

Halide::Target parseTarget(const std::string &spec) {
  for (const NamedTarget &t : namedTargets())
    if (t.name == spec)
      return t.halide.empty() ? netc::halide::hostTarget() : Halide::Target(t.halide);
  if (Halide::Target::validate_target_string(spec)) {
    Halide::Target t(spec);
    if (t.os != Halide::Target::Linux)
      throw std::runtime_error("target '" + spec + "': only Linux targets are supported");
    return t;
  }
  std::ostringstream msg;
  msg << "unknown target '" << spec << "'; use one of:";
  for (const NamedTarget &t : namedTargets())
    msg << ' ' << t.name;
  msg << " (see `netc targets`), or a Halide target string such as " << kAvx2;
  throw std::runtime_error(msg.str());
}

std::string cTriple(const Halide::Target &t) {
  if (t.arch == Halide::Target::ARM && t.bits == 64)
    return "aarch64-linux-gnu";
  if (t.arch == Halide::Target::X86 && t.bits == 64)
    return "x86_64-linux-gnu";
  throw std::runtime_error("target '" + t.to_string() +
                           "': only x86-64 and aarch64 libraries can be built");
}

bool runsHere(const Halide::Target &t) {
  Halide::Target host = netc::halide::hostTarget();
  if (t.arch != host.arch || t.bits != host.bits || t.os != host.os || t.has_gpu_feature())
    return false;
  for (int f = 0; f < Halide::Target::FeatureEnd; ++f) {
    auto feat = static_cast<Halide::Target::Feature>(f);
    if (t.has_feature(feat) && !host.has_feature(feat) && feat != Halide::Target::NoRuntime)
      return false;
  }
  return true;
}

}  // namespace netc::aot
