// bench_conv: GFLOP/s of fused conv kernels on 1 and 2 threads.
//
// Usage: bench_conv [--threads N] [--layer SUBSTR] [--cv N] [--tx N] [--rows N]
//                   [--nostage] [--avx2]
// Without --threads, runs each thread count in a forked child: Halide's JIT
// thread pool reads HL_NUM_THREADS once, when it first starts.
#include "schedules/cpu/CpuKernels.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

namespace nh = netc::halide;
namespace ns = netc::schedules;
using Buf = Halide::Buffer<float>;

constexpr double kPeakPerThread = 117.0;  // GFLOP/s, fp32 FMA (STACK.md)

struct Layer {
  const char *name;
  nh::ConvSpec spec;
};

nh::ConvSpec layer(int cin, int cout, int k, int stride, int pad, int hw) {
  nh::ConvSpec s;
  s.cin = cin, s.cout = cout, s.kh = s.kw = k, s.stride = stride, s.pad = pad;
  s.inH = s.inW = hw;
  s.bias = s.relu = true;
  return s;
}

std::vector<Layer> layers() {
  return {
      {"3x3 64->64 56x56 (resnet conv2_x)", layer(64, 64, 3, 1, 1, 56)},
      {"1x1 256->64 56x56 (resnet50 reduce)", layer(256, 64, 1, 1, 0, 56)},
      {"1x1 64->256 56x56 (resnet50 expand)", layer(64, 256, 1, 1, 0, 56)},
      {"1x1 s2 256->512 56x56 (resnet50 proj)", layer(256, 512, 1, 2, 0, 56)},
      {"7x7 s2 3->64 224x224 (resnet stem)", layer(3, 64, 7, 2, 3, 224)},
      {"3x3 128->128 28x28 (resnet conv3_x)", layer(128, 128, 3, 1, 1, 28)},
      {"3x3 256->256 14x14 (resnet conv4_x)", layer(256, 256, 3, 1, 1, 14)},
      {"3x3 512->512 7x7 (resnet conv5_x)", layer(512, 512, 3, 1, 1, 7)},
      {"3x3 16->16 32x32 (cifar resnet)", layer(16, 16, 3, 1, 1, 32)},
  };
}

struct Options {
  int threads = 0;
  std::string layer;
  ns::ConvSchedule overrides;
  bool override = false, avx2 = false;
};

Buf randomBuf(std::mt19937 &rng, std::vector<int> dims) {
  Buf b(dims);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  b.for_each_value([&](float &v) { v = d(rng); });
  return b;
}

double medianSeconds(const ns::KernelPtr &k, const std::vector<Buf> &in, Buf &out) {
  for (int i = 0; i < 3; ++i) k->run(in, out);  // warm-up: pages, caches, pool
  std::vector<double> t;
  auto start = std::chrono::steady_clock::now();
  while (t.size() < 15 || (t.size() < 200 && std::chrono::steady_clock::now() - start <
                                                 std::chrono::seconds(1))) {
    auto a = std::chrono::steady_clock::now();
    k->run(in, out);
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
  }
  std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
  return t[t.size() / 2];
}

void benchLayer(const Layer &l, const Options &o) {
  Halide::Target t = o.avx2 ? Halide::Target("x86-64-linux-avx-avx2-f16c-fma-sse41")
                            : Halide::get_host_target();
  ns::ConvSchedule s = ns::defaultConvSchedule(l.spec, t);
  if (o.override) s = o.overrides, s.vec = ns::floatLanes(t);
  s = ns::clampConvSchedule(l.spec, s);
  const nh::ConvSpec &c = l.spec;
  std::mt19937 rng(7);
  std::vector<Buf> in = {randomBuf(rng, {c.cin, c.inW, c.inH, 1}),
                         randomBuf(rng, {c.cout, c.cin, c.kw, c.kh}), randomBuf(rng, {c.cout})};
  Buf out(c.cout, c.outW(), c.outH(), 1);
  double sec = medianSeconds(ns::convKernel(c, t, s), in, out);
  double gflops = c.flops(1) / sec * 1e-9;
  std::printf("%-40s threads=%d  %8.3f ms  %7.1f GFLOP/s  %5.1f%% of peak  [%s]\n", l.name,
              o.threads, sec * 1e3, gflops, 100.0 * gflops / (kPeakPerThread * o.threads),
              s.key().c_str());
  std::fflush(stdout);
}

// Fixed cost of one Kernel::run (argument binding + Halide realize) on a
// tiny relu, i.e. the floor for small layers.
void benchDispatch(const Options &o) {
  nh::Shape3 shape{16, 1, 1};
  Buf x(16, 1, 1, 1), out(16, 1, 1, 1);
  x.fill(1.f);
  double sec = medianSeconds(ns::reluKernel(shape, Halide::get_host_target()), {x}, out);
  std::printf("%-40s threads=%d  %8.1f us per call\n", "dispatch overhead (relu, 16 floats)",
              o.threads, sec * 1e6);
}

void benchAll(const Options &o) {
  if (o.layer.empty()) benchDispatch(o);
  for (const Layer &l : layers())
    if (o.layer.empty() || std::strstr(l.name, o.layer.c_str())) benchLayer(l, o);
}

Options parse(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
    if (a == "--threads") o.threads = next();
    else if (a == "--layer" && i + 1 < argc) o.layer = argv[++i];
    else if (a == "--cv") o.overrides.coVecs = next(), o.override = true;
    else if (a == "--tx") o.overrides.tileX = next(), o.override = true;
    else if (a == "--rows") o.overrides.rowsPerTask = next(), o.override = true;
    else if (a == "--nostage") o.overrides.stagePadded = false, o.override = true;
    else if (a == "--avx2") o.avx2 = true;
  }
  return o;
}

// Runs benchAll in a child whose Halide thread pool has `threads` workers.
void runForked(Options o, int threads) {
  std::fflush(stdout);  // else the child re-prints the parent's buffered text
  pid_t pid = fork();
  if (pid == 0) {
    setenv("HL_NUM_THREADS", std::to_string(threads).c_str(), 1);
    o.threads = threads;
    benchAll(o);
    std::fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
}

}  // namespace

int main(int argc, char **argv) {
  Options o = parse(argc, argv);
  if (o.threads > 0) {
    setenv("HL_NUM_THREADS", std::to_string(o.threads).c_str(), 1);
    benchAll(o);
    return 0;
  }
  std::printf("fp32 peak: %.0f GFLOP/s per thread; batch 1, conv+bias+relu; median time\n",
              kPeakPerThread);
  runForked(o, 1);
  runForked(o, 2);
  return 0;
}
