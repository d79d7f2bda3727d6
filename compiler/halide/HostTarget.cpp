#include "compiler/halide/HostTarget.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace netc::halide {

namespace {

bool cpuHasAvxVnni() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid_count(7, 1, &a, &b, &c, &d))
    return false;
  return (a >> 4) & 1u;  // CPUID.(EAX=7,ECX=1):EAX[4] = AVX-VNNI
#else
  return false;
#endif
}

}  // namespace

Halide::Target hostTarget() {
  static const Halide::Target host = [] {
    Halide::Target t = Halide::get_host_target();
    if (t.has_feature(Halide::Target::AVX512_SapphireRapids) && !cpuHasAvxVnni())
      t = t.without_feature(Halide::Target::AVX512_SapphireRapids);
    return t;
  }();
  return host;
}

}  // namespace netc::halide
