// GFLOP/s of the conv gradient kernels (dX, dW): median of timed runs after
// a warm-up, on ResNet-50's 3x3 64->64 56x56 and the CIFAR ResNet layers.
#include "schedules/cpu/backward/TrainKernels.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

namespace {

namespace nh = netc::halide;
namespace nb = netc::halide::backward;
namespace sb = netc::schedules::backward;

template <typename F>
double medianSeconds(F run, int reps) {
  run();  // warm-up: page faults, thread pool
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    auto a = std::chrono::steady_clock::now();
    run();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

Halide::Buffer<float> filled(const std::vector<int> &dims) {
  Halide::Buffer<float> b(dims);
  b.fill(0.5f);
  return b;
}

void benchLayer(const char *name, nh::ConvSpec s, int n) {
  Halide::Target t = Halide::get_host_target();
  auto dy = filled({s.cout, s.outW(), s.outH(), n}), x = filled({s.cin, s.inW, s.inH, n});
  auto w = filled({s.cout, s.cin, s.kw, s.kh});
  auto dx = filled({s.cin, s.inW, s.inH, n}), dw = filled({s.cout, s.cin, s.kw, s.kh});
  nb::ConvDxSpec d;
  d.conv = s;
  auto kdx = sb::convDxKernel(d, t);
  auto kdw = sb::convDwKernel(s, t);
  double gf = s.flops(n) * 1e-9;
  double tdx = medianSeconds([&] { kdx->run({dy, w}, {dx}); }, 9);
  double tdw = medianSeconds([&] { kdw->run({dy, x}, {dw}); }, 9);
  std::printf("%-28s n=%d  dX %7.1f GFLOP/s (%.2f ms)  dW %7.1f GFLOP/s (%.2f ms)\n", name, n,
              gf / tdx, tdx * 1e3, gf / tdw, tdw * 1e3);
}

nh::ConvSpec conv3x3(int cin, int cout, int hw, int stride) {
  nh::ConvSpec s;
  s.cin = cin, s.cout = cout, s.kh = s.kw = 3, s.stride = stride, s.pad = 1;
  s.inH = s.inW = hw;
  return s;
}

}  // namespace

int main() {
  benchLayer("3x3 64->64 56x56", conv3x3(64, 64, 56, 1), 8);
  benchLayer("cifar 3x3 16->16 32x32", conv3x3(16, 16, 32, 1), 128);
  benchLayer("cifar 3x3 32->32 16x16", conv3x3(32, 32, 16, 1), 128);
  benchLayer("cifar 3x3 64->64 8x8", conv3x3(64, 64, 8, 1), 128);
  benchLayer("cifar 3x3 s2 16->32 32x32", conv3x3(16, 32, 32, 2), 128);
  return 0;
}
