// bench_autoschedule: Halide's Mullapudi2016 autoscheduler on netc's conv
// algorithm vs netc's own schedules, to decide whether it is worth a place
// among the tuner's candidates (schedules/tuning/ConvTuner.cpp).
//
// Usage: HL_NUM_THREADS=1 bench_autoschedule [--layer SUBSTR] [--print-schedule]
//                                             [--balance F] [--llc KIB]
//
// Every schedule is timed as the tuner times candidates: batch 1, 64 MiB
// written before every call (cold L2/L3, as the weights are in a network),
// the median of at least 5 calls. The autoscheduler gets the plain HWIO
// algorithm (buildConv, no netc schedule), estimates for batch 1, and this
// machine's parallelism (HL_NUM_THREADS, default 1) and last-level cache;
// --balance (load vs arithmetic cost, default 40 as Halide's generic()) and
// --llc (the cache it tiles for) are there to check that a loss is not an
// artifact of the machine parameters.
// Its output is checked against netc's direct schedule on the same data
// (max|diff| / max|direct| <= 1e-4, the tuner's test; "BAD" and exit 1 if not).
// HL_NUM_THREADS=2 times every schedule on 2 threads and gives the
// autoscheduler parallelism 2.
#include "compiler/halide/HostTarget.h"
#include "compiler/halide/WinogradConv.h"
#include "schedules/cpu/CpuKernels.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace {

namespace nh = netc::halide;
namespace ns = netc::schedules;
using Buf = Halide::Buffer<float>;
using Clock = std::chrono::steady_clock;

const char *kPlugin = "/usr/lib/x86_64-linux-gnu/halide14/libautoschedule_mullapudi2016.so";

struct Layer {
  const char *name;
  nh::ConvSpec spec;
};

// ResNet-50's convs end in folded BN then ReLU (runtime/Executor.cpp postOps).
nh::ConvSpec layer(int cin, int cout, int k, int stride, int pad, int hw) {
  nh::ConvSpec s;
  s.cin = cin, s.cout = cout, s.kh = s.kw = k, s.stride = stride, s.pad = pad;
  s.inH = s.inW = hw;
  s.scaleShift = s.relu = true;
  return s;
}

// The distinct conv shapes of ResNet-50 at batch 1 (the projection and
// stride-2 variants left out to keep the run short).
const std::vector<Layer> kLayers = {
    {"7x7/2 3->64 224", layer(3, 64, 7, 2, 3, 224)},
    {"1x1 64->64 56", layer(64, 64, 1, 1, 0, 56)},
    {"3x3 64->64 56", layer(64, 64, 3, 1, 1, 56)},
    {"1x1 64->256 56", layer(64, 256, 1, 1, 0, 56)},
    {"1x1 256->64 56", layer(256, 64, 1, 1, 0, 56)},
    {"3x3 128->128 28", layer(128, 128, 3, 1, 1, 28)},
    {"1x1 512->128 28", layer(512, 128, 1, 1, 0, 28)},
    {"3x3 256->256 14", layer(256, 256, 3, 1, 1, 14)},
    {"1x1 1024->256 14", layer(1024, 256, 1, 1, 0, 14)},
    {"3x3 512->512 7", layer(512, 512, 3, 1, 1, 7)},
    {"1x1 2048->512 7", layer(2048, 512, 1, 1, 0, 7)},
};

// As ConvTuner's evictCaches: one write per cache line of 64 MiB.
void evictCaches() {
  static std::vector<char> junk(64 << 20);
  static char round = 0;
  ++round;
  for (size_t i = 0; i < junk.size(); i += 64) junk[i] = round;
}

Buf randomBuf(std::mt19937 &rng, std::vector<int> dims) {
  Buf b(dims);
  std::normal_distribution<float> d(0.f, 1.f);
  b.for_each_value([&](float &v) { v = d(rng); });
  return b;
}

// One layer's data: x, HWIO weights, scale, shift (the spec's call order).
struct Data {
  Buf x, hwio, scale, shift;
  explicit Data(const nh::ConvSpec &s) {
    std::mt19937 rng(1234);
    x = randomBuf(rng, {s.cin, s.inW, s.inH, 1});
    hwio = randomBuf(rng, {s.cout, s.cin, s.kw, s.kh});
    scale = randomBuf(rng, {s.cout});
    shift = randomBuf(rng, {s.cout});
  }
};

struct Result {
  double ms = 0;
  Buf out;
};

// Median ms of a compiled pipeline over cold calls, as ConvTuner's measure.
Result timePipeline(Halide::Pipeline &p, const std::vector<Halide::ImageParam> &inputs,
                    const std::vector<const Buf *> &args, const nh::ConvSpec &s,
                    const Halide::Target &t) {
  Halide::ParamMap params;
  for (size_t i = 0; i < args.size(); ++i) params.set(inputs[i], *args[i]);
  Result r;
  r.out = Buf(s.cout, s.outW(), s.outH(), 1);
  p.realize(r.out, t, params);  // warm-up
  std::vector<double> ms;
  Clock::time_point start = Clock::now();
  while (ms.size() < 5 || (ms.size() < 30 && Clock::now() - start < std::chrono::milliseconds(300))) {
    evictCaches();
    Clock::time_point t0 = Clock::now();
    p.realize(r.out, t, params);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
  r.ms = ms[ms.size() / 2];
  return r;
}

// netc's schedule `sched`, with the weight layout it wants (blocked or
// Winograd-transformed), as the tuner runs it.
Result timeNetc(const nh::ConvSpec &plain, const ns::ConvSchedule &sched, const Data &d,
                const Halide::Target &t) {
  nh::ConvSpec spec = plain;
  spec.winograd = sched.winograd;
  spec.wBlock = ns::weightBlockFor(spec, sched);
  nh::PipelineDef def = ns::convPipeline(spec, t, ns::clampConvSchedule(spec, sched));
  Halide::Pipeline p(def.out);
  p.compile_jit(t);
  nh::ConvWeights kw = nh::convKernelWeights(spec, d.hwio.data());
  Buf w(kw.dims);
  std::copy(kw.data.begin(), kw.data.end(), w.data());
  return timePipeline(p, def.inputs, {&d.x, &w, &d.scale, &d.shift}, spec, t);
}

struct Auto {
  Result r;
  double scheduleSec = 0, compileSec = 0;
};

// Mullapudi2016 on the unscheduled algorithm with HWIO weights.
Auto timeMullapudi(const nh::ConvSpec &spec, const Data &d, const Halide::Target &t,
                   const Halide::MachineParams &mp, bool printSchedule) {
  nh::ConvAlgo a = nh::buildConv(spec);
  // The autoscheduler needs an estimate for every dimension of every input
  // and the output; channels and spatial extents are fixed, the batch is 1.
  a.input.set_estimates({{0, spec.cin}, {0, spec.inW}, {0, spec.inH}, {0, 1}});
  a.weights.set_estimates({{0, spec.cout}, {0, spec.cin}, {0, spec.kw}, {0, spec.kh}});
  a.scale.set_estimates({{0, spec.cout}});
  a.shift.set_estimates({{0, spec.cout}});
  a.out.set_estimates({{0, spec.cout}, {0, spec.outW()}, {0, spec.outH()}, {0, 1}});
  Halide::Pipeline p(a.out);
  Auto res;
  Clock::time_point t0 = Clock::now();
  Halide::AutoSchedulerResults as = p.auto_schedule("Mullapudi2016", t, mp);
  Clock::time_point t1 = Clock::now();
  p.compile_jit(t);
  res.scheduleSec = std::chrono::duration<double>(t1 - t0).count();
  res.compileSec = std::chrono::duration<double>(Clock::now() - t1).count();
  if (printSchedule) std::printf("--- %s\n%s\n", spec.key().c_str(), as.schedule_source.c_str());
  res.r = timePipeline(p, a.inputs, {&d.x, &d.hwio, &d.scale, &d.shift}, spec, t);
  return res;
}

// The L3 size from sysfs ("32768K"): glibc's sysconf(_SC_LEVEL3_CACHE_SIZE)
// says 320 MiB on this project's EPYC VMs, 10x what lscpu reports.
long l3Bytes() {
  std::ifstream f("/sys/devices/system/cpu/cpu0/cache/index3/size");
  long kib = 0;
  return f >> kib && kib > 0 ? kib << 10 : 32l << 20;
}

double relError(const Buf &a, const Buf &ref) {
  double num = 0, den = 0;
  a.for_each_element([&](const int *pos) {
    num = std::max(num, double(std::fabs(a(pos) - ref(pos))));
    den = std::max(den, double(std::fabs(ref(pos))));
  });
  return num / std::max(den, 1e-30);
}

}  // namespace

int main(int argc, char **argv) {
  std::string only;
  bool printSchedule = false;
  float balance = 40;
  long llc = l3Bytes();
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--layer") && i + 1 < argc) only = argv[++i];
    else if (!std::strcmp(argv[i], "--print-schedule")) printSchedule = true;
    else if (!std::strcmp(argv[i], "--balance") && i + 1 < argc) balance = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--llc") && i + 1 < argc) llc = std::atol(argv[++i]) << 10;
  }
  const char *env = std::getenv("HL_NUM_THREADS");
  const int threads = env ? std::max(1, std::atoi(env)) : 1;
  setenv("HL_NUM_THREADS", std::to_string(threads).c_str(), 1);  // before the pool starts
  Halide::load_plugin(kPlugin);
  const Halide::Target t = nh::hostTarget();
  const Halide::MachineParams mp(threads, llc, balance);
  std::printf("target %s; Mullapudi2016 %s; batch 1, cold caches, median ms (GFLOP/s)\n",
              t.to_string().c_str(), mp.to_string().c_str());
  std::printf("%-17s %17s %17s %17s %8s %8s %8s %8s\n", "layer", "mullapudi", "netc direct",
              "netc default", "dir/mul", "def/mul", "err", "as+jit s");
  double sum[3] = {0, 0, 0}, asSec = 0;
  bool allOk = true;
  for (const Layer &l : kLayers) {
    if (!only.empty() && !std::strstr(l.name, only.c_str())) continue;
    const nh::ConvSpec &s = l.spec;
    Data d(s);
    Auto m = timeMullapudi(s, d, t, mp, printSchedule);
    Result dir = timeNetc(s, ns::directConvSchedule(s, t), d, t);
    ns::ConvSchedule def = ns::defaultConvSchedule(s, t);
    Result dfl = timeNetc(s, def, d, t);
    double ms[3] = {m.r.ms, dir.ms, dfl.ms};
    for (int i = 0; i < 3; ++i) sum[i] += ms[i];
    asSec += m.scheduleSec + m.compileSec;
    auto col = [&](double v) {
      char b[32];
      std::snprintf(b, sizeof b, "%.3f (%.0f)", v, s.flops(1) / v * 1e-6);
      return std::string(b);
    };
    double err = relError(m.r.out, dir.out);
    allOk = allOk && err <= 1e-4;
    // Ratios > 1: Mullapudi is faster than that netc schedule.
    std::printf("%-17s %17s %17s %17s %8.2f %8.2f %8.1e %4.1f+%.1f%s%s\n", l.name,
                col(ms[0]).c_str(), col(ms[1]).c_str(), col(ms[2]).c_str(), ms[1] / ms[0],
                ms[2] / ms[0], err, m.scheduleSec, m.compileSec, err <= 1e-4 ? "" : " BAD",
                def.winograd ? "  (default: winograd)" : "");
    std::fflush(stdout);
  }
  std::printf("%-17s %17.3f %17.3f %17.3f %8.2f %8.2f %8s %8.1f\n", "sum", sum[0], sum[1], sum[2],
              sum[1] / sum[0], sum[2] / sum[0], "", asSec);
  return allOk ? 0 : 1;
}
