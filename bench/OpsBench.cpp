// bench_ops: time of the memory-bound kernels at ResNet/AlexNet shapes, with
// the effective bandwidth (bytes read + written once / time). Batch 1.
// Thread count: HL_NUM_THREADS (default here: 1).
#include "compiler/halide/HostTarget.h"
#include "schedules/cpu/CpuKernels.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace {

namespace nh = netc::halide;
namespace ns = netc::schedules;
using Buf = Halide::Buffer<float>;

Buf filled(std::vector<int> dims) {
  Buf b(dims);
  float v = 0.f;
  b.for_each_value([&](float &x) { x = (v += 0.37f) > 1.f ? (v -= 2.f) : v; });
  return b;
}

double medianSeconds(const ns::KernelPtr &k, const std::vector<Buf> &in, Buf &out) {
  for (int i = 0; i < 3; ++i) k->run(in, out);
  std::vector<double> t;
  for (int i = 0; i < 51; ++i) {
    auto a = std::chrono::steady_clock::now();
    k->run(in, out);
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
  }
  std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
  return t[t.size() / 2];
}

void report(const char *name, const ns::KernelPtr &k, const std::vector<Buf> &in, Buf out) {
  double bytes = out.size_in_bytes();
  for (const Buf &b : in) bytes += b.size_in_bytes();
  double sec = medianSeconds(k, in, out);
  std::printf("%-36s %9.1f us  %6.1f GB/s\n", name, sec * 1e6, bytes / sec * 1e-9);
}

nh::PoolSpec pool(int c, int hw, int k, int s, int p) {
  nh::PoolSpec spec;
  spec.c = c, spec.inH = spec.inW = hw, spec.kh = spec.kw = k, spec.stride = s, spec.pad = p;
  return spec;
}

}  // namespace

int main() {
  setenv("HL_NUM_THREADS", "1", 0);
  std::printf("threads: %s\n", std::getenv("HL_NUM_THREADS"));
  Halide::Target t = netc::halide::hostTarget();
  nh::PoolSpec mp = pool(64, 112, 3, 2, 1);
  report("maxpool 3x3 s2 64@112", ns::maxPoolKernel(mp, t), {filled({64, 112, 112, 1})},
         Buf(64, 56, 56, 1));
  nh::PoolSpec ap = pool(256, 56, 3, 1, 1);
  report("avgpool 3x3 s1 256@56", ns::avgPoolKernel(ap, t), {filled({256, 56, 56, 1})},
         Buf(256, 56, 56, 1));
  report("global avgpool 2048@7", ns::globalAvgPoolKernel({2048, 7, 7}, t),
         {filled({2048, 7, 7, 1})}, Buf(2048, 1, 1, 1));
  report("fc 2048->1000 +bias", ns::fcKernel({2048, 1000, true, false}, t),
         {filled({2048, 1}), filled({2048, 1000}), filled({1000})}, Buf(1000, 1));
  report("softmax 1000", ns::softmaxKernel({1000}, t), {filled({1000, 1})}, Buf(1000, 1));
  report("add+relu 256@56", ns::addKernel({256, 56, 56}, true, t),
         {filled({256, 56, 56, 1}), filled({256, 56, 56, 1})}, Buf(256, 56, 56, 1));
  report("batchnorm 64@112", ns::batchNormKernel({64, 112, 112}, false, t),
         {filled({64, 112, 112, 1}), filled({64}), filled({64})}, Buf(64, 112, 112, 1));
  nh::LrnSpec lrn{{96, 55, 55}, 5, 1e-4f, 0.75f, 2.f};
  report("lrn size5 96@55", ns::lrnKernel(lrn, t), {filled({96, 55, 55, 1})},
         Buf(96, 55, 55, 1));
  report("zero-pad shortcut 16@32 -> 32@16", ns::zeroPadShortcutKernel({{16, 32, 32}, 32, 2}, t),
         {filled({16, 32, 32, 1})}, Buf(32, 16, 16, 1));
  return 0;
}
