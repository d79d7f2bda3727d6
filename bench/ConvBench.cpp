// bench_conv: GFLOP/s of fused conv kernels on 1 and 2 threads.
//
// Usage: bench_conv [--threads N] [--layer SUBSTR] [--cv N] [--tx N] [--rows N]
//                   [--nostage] [--coouter|--rowouter] [--avx2] [--cold] [--blocked]
//                   [--wg 2|4]
// --wg runs 3x3 stride-1 layers as Winograd F(m x m, 3x3) and prints the
// error against the direct conv (max|diff| / max(1, max|direct|)); with
// --coouter its schedule runs as three whole-batch phases.
// --cold evicts the caches (writes 64 MiB) before every timed call, as in a
// whole network at batch 1, whose weights (100 MB for ResNet-50) do not stay
// in L3 from one pass to the next.
// Without --threads, runs each thread count in a forked child: Halide's JIT
// thread pool reads HL_NUM_THREADS once, when it first starts.
#include "compiler/halide/HostTarget.h"
#include "compiler/halide/WinogradConv.h"
#include "schedules/cpu/CpuKernels.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
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

nh::ConvSpec residual(nh::ConvSpec s) {
  s.residual = nh::Residual::Same;
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
      {"1x1 s2 512->1024 28x28 (resnet50 proj4)", layer(512, 1024, 1, 2, 0, 28)},
      {"3x3 s2 256->256 28x28 (torchvision conv4_1)", layer(256, 256, 3, 2, 1, 28)},
      {"1x1 1024->256 14x14 (resnet50 conv4 reduce)", layer(1024, 256, 1, 1, 0, 14)},
      {"1x1 256->1024 14x14 +res (conv4 expand)", residual(layer(256, 1024, 1, 1, 0, 14))},
      {"1x1 s2 1024->2048 14x14 (resnet50 proj5)", layer(1024, 2048, 1, 2, 0, 14)},
      {"3x3 s2 512->512 14x14 (torchvision conv5_1)", layer(512, 512, 3, 2, 1, 14)},
      {"1x1 2048->512 7x7 (resnet50 conv5 reduce)", layer(2048, 512, 1, 1, 0, 7)},
      {"1x1 512->2048 7x7 +res (conv5 expand)", residual(layer(512, 2048, 1, 1, 0, 7))},
      {"1x1 64->256 56x56 +res (conv2 expand)", residual(layer(64, 256, 1, 1, 0, 56))},
      {"3x3 512->512 14x14 (vgg conv5_x)", layer(512, 512, 3, 1, 1, 14)},
      {"3x3 64->64 224x224 (vgg conv1_2)", layer(64, 64, 3, 1, 1, 224)},
  };
}

struct Options {
  int threads = 0;
  std::string layer;
  // Overrides of the default schedule's fields; -1 = keep the default.
  int cv = -1, tx = -1, rows = -1, stage = -1, coOuter = -1;
  bool avx2 = false, cold = false, blocked = false;
  int wg = 0;  // Winograd F(wg x wg, 3x3) where the layer allows it
};

// Writes (and so owns) 64 MiB: more than L2 + L3, so the next call finds its
// weights in DRAM.
void evictCaches() {
  static std::vector<char> junk(64 << 20);
  static char v = 0;
  std::memset(junk.data(), ++v, junk.size());
}

Buf randomBuf(std::mt19937 &rng, std::vector<int> dims) {
  Buf b(dims);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  b.for_each_value([&](float &v) { v = d(rng); });
  return b;
}

double threadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Median wall time per call; also the median CPU time of this thread, which
// on one thread (Halide runs the work on the caller) leaves out the time the
// busy host took the core away: `cpu` is the steadier number for A/B tests.
double medianSeconds(const ns::KernelPtr &k, const std::vector<Buf> &in, Buf &out,
                     bool cold = false, double *cpu = nullptr) {
  for (int i = 0; i < 3; ++i) k->run(in, out);  // warm-up: pages, caches, pool
  std::vector<double> t, c;
  auto start = std::chrono::steady_clock::now();
  while (t.size() < 15 || (t.size() < 200 && std::chrono::steady_clock::now() - start <
                                                 std::chrono::seconds(1))) {
    if (cold) evictCaches();
    double c0 = threadCpuSeconds();
    auto a = std::chrono::steady_clock::now();
    k->run(in, out);
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
    c.push_back(threadCpuSeconds() - c0);
  }
  std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
  std::nth_element(c.begin(), c.begin() + c.size() / 2, c.end());
  if (cpu) *cpu = c[c.size() / 2];
  return t[t.size() / 2];
}

void benchLayer(const Layer &l, const Options &o) {
  Halide::Target t = o.avx2 ? Halide::Target("x86-64-linux-avx-avx2-f16c-fma-sse41")
                            : netc::halide::hostTarget();
  nh::ConvSpec spec = l.spec;
  if (o.blocked) spec.wBlock = ns::preferredWeightBlock(spec, t, 1);
  if (o.wg && spec.winogradApplies()) {
    spec.winograd = o.wg;
    spec.wBlock = 0;
  }
  ns::ConvSchedule s = ns::defaultConvSchedule(spec, t);
  s.winograd = spec.winograd;
  if (o.cv >= 0) s.coVecs = o.cv;
  if (o.tx >= 0) s.tileX = o.tx;
  if (o.rows >= 0) s.rowsPerTask = o.rows;
  if (o.stage >= 0) s.stagePadded = o.stage;
  if (o.coOuter >= 0) s.coOuter = o.coOuter;
  s = ns::clampConvSchedule(spec, s);
  if (spec.winograd && o.blocked) spec.wBlock = ns::weightBlockFor(spec, s);
  const nh::ConvSpec &c = spec;
  std::mt19937 rng(7);
  std::vector<Buf> in = {randomBuf(rng, {c.cin, c.inW, c.inH, 1}),
                         randomBuf(rng, {c.cout, c.cin, c.kw, c.kh}), randomBuf(rng, {c.cout})};
  if (c.wBlock && !c.winograd) {
    std::vector<float> w = nh::hwioToBlocked(in[1].data(), c.cout, c.cin, c.kw, c.kh, c.wBlock);
    Buf b(std::vector<int>{c.wBlock, c.cin, c.kw, c.kh, c.cout / c.wBlock});
    std::copy(w.begin(), w.end(), b.data());
    in[1] = b;
  }
  if (c.residual == nh::Residual::Same) in.push_back(randomBuf(rng, {c.cout, c.outW(), c.outH(), 1}));
  Buf out(c.cout, c.outW(), c.outH(), 1);
  double err = -1;
  if (c.winograd) {  // against the direct conv on the same data
    std::vector<Buf> direct = in;
    nh::ConvSpec d = c;
    d.winograd = d.wBlock = 0;
    Buf ref(c.cout, c.outW(), c.outH(), 1);
    ns::convKernel(d, t)->run(direct, ref);
    std::vector<float> u = nh::winogradWeights(in[1].data(), c.cout, c.cin, c.winograd, c.wBlock);
    Buf b(nh::winogradWeightDims(c));
    std::copy(u.begin(), u.end(), b.data());
    in[1] = b;
    ns::convKernel(c, t, s)->run(in, out);
    double num = 0, den = 0;
    for (int i = 0; i < static_cast<int>(out.number_of_elements()); ++i) {
      num = std::max(num, double(std::abs(out.data()[i] - ref.data()[i])));
      den = std::max(den, double(std::abs(ref.data()[i])));
    }
    err = num / std::max(1.0, den);
  }
  double cpu = 0;
  double sec = medianSeconds(ns::convKernel(c, t, s), in, out, o.cold, &cpu);
  double gflops = c.flops(1) / sec * 1e-9;
  std::printf("%-44s threads=%d  %8.3f ms  %7.1f GFLOP/s  %5.1f%% of peak", l.name, o.threads,
              sec * 1e3, gflops, 100.0 * gflops / (kPeakPerThread * o.threads));
  if (o.threads == 1) std::printf("  (cpu %5.1f%%)", 100.0 * c.flops(1) / cpu * 1e-9 / kPeakPerThread);
  if (err >= 0) std::printf("  (err %.1e vs direct)", err);
  std::printf("  [%s]\n", s.key().c_str());
  std::fflush(stdout);
}

// Fixed cost of one Kernel::run (argument binding + Halide realize) on a
// tiny relu, i.e. the floor for small layers.
void benchDispatch(const Options &o) {
  nh::Shape3 shape{16, 1, 1};
  Buf x(16, 1, 1, 1), out(16, 1, 1, 1);
  x.fill(1.f);
  double sec = medianSeconds(ns::reluKernel(shape, netc::halide::hostTarget()), {x}, out);
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
    else if (a == "--cv") o.cv = next();
    else if (a == "--tx") o.tx = next();
    else if (a == "--rows") o.rows = next();
    else if (a == "--nostage") o.stage = 0;
    else if (a == "--coouter") o.coOuter = 1;
    else if (a == "--rowouter") o.coOuter = 0;
    else if (a == "--cold") o.cold = true;
    else if (a == "--blocked") o.blocked = true;
    else if (a == "--avx2") o.avx2 = true;
    else if (a == "--wg") o.wg = next();
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
