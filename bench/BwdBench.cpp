// GFLOP/s of the conv gradient kernels (dX, dW): median of timed runs after
// a warm-up, on ResNet-50's 3x3 64->64 56x56 and the layers of the CIFAR
// ResNets at batch 128 (ResNet-20 on 1x28x28 Fashion-MNIST and on 3x32x32
// CIFAR), with the per-step total of each network's conv gradients.
//   HL_NUM_THREADS=1 bwd_bench [--layer SUBSTR] [--reps N] [--avx2] [--check]
// --avx2 times the AVX2 schedules; --check compares each output with the
// host target's (the tests check those against direct sums).
#include "compiler/halide/HostTarget.h"
#include "schedules/cpu/backward/TrainKernels.h"

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

namespace nh = netc::halide;
namespace nb = netc::halide::backward;
namespace sb = netc::schedules::backward;

int gReps = 9;
const char *gFilter = nullptr;
bool gAvx2 = false;   // the AVX2 schedules (8 lanes) instead of the host's
bool gCheck = false;  // also compare the outputs with the host target's

Halide::Target benchTarget() {
  Halide::Target t = netc::halide::hostTarget();
  if (gAvx2)
    t = t.without_feature(Halide::Target::AVX512)
            .without_feature(Halide::Target::AVX512_Skylake)
            .without_feature(Halide::Target::AVX512_Cannonlake)
            .without_feature(Halide::Target::AVX512_SapphireRapids);
  return t;
}

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
  unsigned k = 12345;
  b.for_each_value([&](float &v) {
    k = k * 1664525u + 1013904223u;
    v = float(k >> 8) / float(1 << 24) - 0.5f;
  });
  return b;
}

double maxRelDiff(const Halide::Buffer<float> &a, const Halide::Buffer<float> &b) {
  double num = 0, den = 0;
  const float *pa = a.data(), *pb = b.data();
  for (size_t i = 0; i < a.number_of_elements(); ++i) {
    num = std::max(num, double(std::abs(pa[i] - pb[i])));
    den = std::max(den, double(std::abs(pb[i])));
  }
  return num / std::max(den, 1e-30);
}

// BWD_DX_CV, BWD_DX_TX, BWD_DX_ROWS, BWD_DX_WG (Winograd m), BWD_DW_CV, BWD_DW_CT, BWD_DW_RB, BWD_DW_NB,
// BWD_DW_TAPS, BWD_DW_STAGE, BWD_DW_WG, BWD_DW_TASKS override single fields of the default schedules.
void envInt(const char *name, int &field) {
  if (const char *v = std::getenv(name)) field = std::atoi(v);
}
void envBool(const char *name, bool &field) {
  if (const char *v = std::getenv(name)) field = std::atoi(v) != 0;
}

struct Times {
  double dx = 0, dw = 0;  // seconds
};

Times benchLayer(const char *name, nh::ConvSpec s, int n, bool withDx = true) {
  if (gFilter && !std::strstr(name, gFilter)) return {};
  Halide::Target t = benchTarget();
  auto dy = filled({s.cout, s.outW(), s.outH(), n}), x = filled({s.cin, s.inW, s.inH, n});
  auto w = filled({s.cout, s.cin, s.kw, s.kh});
  auto dx = filled({s.cin, s.inW, s.inH, n}), dw = filled({s.cout, s.cin, s.kw, s.kh});
  nb::ConvDxSpec d;
  d.conv = s;
  double gf = s.flops(n) * 1e-9;
  Times r;
  sb::ConvDxSchedule sdx = sb::defaultConvDxSchedule(d, t);
  envInt("BWD_DX_CV", sdx.ciVecs), envInt("BWD_DX_TX", sdx.tileX);
  envInt("BWD_DX_ROWS", sdx.rowsPerTask), envInt("BWD_DX_WG", sdx.winograd);
  sb::ConvDwSchedule sdw = sb::defaultConvDwSchedule(s, t);
  envInt("BWD_DW_CV", sdw.coVecs), envInt("BWD_DW_CT", sdw.ciTile);
  envInt("BWD_DW_RB", sdw.rowsPerBlock), envInt("BWD_DW_NB", sdw.imagesPerBlock);
  envBool("BWD_DW_TAPS", sdw.tapsInTile), envBool("BWD_DW_STAGE", sdw.stageX);
  envInt("BWD_DW_WG", sdw.winograd), envInt("BWD_DW_TASKS", sdw.tasks);
  if (std::getenv("BWD_VERBOSE"))
    std::printf("  dx [%s] dw [%s]\n", sb::clampConvDxSchedule(d, sdx).key().c_str(),
                sb::clampConvDwSchedule(s, sdw).key().c_str());
  if (withDx) {
    auto kdx = sb::convDxKernel(d, t, sdx);
    r.dx = medianSeconds([&] { kdx->run({dy, w}, {dx}); }, gReps);
  }
  auto kdw = sb::convDwKernel(s, t, sdw);
  r.dw = medianSeconds([&] { kdw->run({dy, x}, {dw}); }, gReps);
  if (withDx)
    std::printf("%-30s n=%-3d dX %6.1f GFLOP/s (%7.2f ms)  dW %6.1f GFLOP/s (%7.2f ms)\n", name,
                n, gf / r.dx, r.dx * 1e3, gf / r.dw, r.dw * 1e3);
  else
    std::printf("%-30s n=%-3d dX      -                     dW %6.1f GFLOP/s (%7.2f ms)\n",
                name, n, gf / r.dw, r.dw * 1e3);
  if (gCheck) {  // the same gradients from the host target's schedules
    Halide::Target h = netc::halide::hostTarget();
    auto dx2 = filled({s.cin, s.inW, s.inH, n}), dw2 = filled({s.cout, s.cin, s.kw, s.kh});
    if (withDx) sb::convDxKernel(d, h)->run({dy, w}, {dx2});
    sb::convDwKernel(s, h)->run({dy, x}, {dw2});
    std::printf("  check vs host: dX %.2g  dW %.2g (max abs diff / max abs)\n",
                withDx ? maxRelDiff(dx, dx2) : 0.0, maxRelDiff(dw, dw2));
  }
  std::fflush(stdout);
  return r;
}

nh::ConvSpec conv3x3(int cin, int cout, int hw, int stride) {
  nh::ConvSpec s;
  s.cin = cin, s.cout = cout, s.kh = s.kw = 3, s.stride = stride, s.pad = 1;
  s.inH = s.inW = hw;
  return s;
}

// The 3x3 convs of a CIFAR ResNet-20 (n = 3) on a `c0`-channel hw x hw
// input: conv1 (dW only: its dX is not needed), then per stage 2n convs,
// the first of stages 2 and 3 with stride 2. Prints the per-step totals.
void resnet20(const char *net, int c0, int hw, int batch) {
  struct L {
    std::string name;
    nh::ConvSpec s;
    int count;
    bool dx;
  };
  auto nm = [&](const char *what) { return std::string(net) + " " + what; };
  int h2 = hw / 2, h3 = hw / 4;
  char b[64];
  std::vector<L> ls;
  std::snprintf(b, sizeof b, "%d->16 %dx%d", c0, hw, hw);
  ls.push_back({nm(b), conv3x3(c0, 16, hw, 1), 1, false});
  std::snprintf(b, sizeof b, "16->16 %dx%d", hw, hw);
  ls.push_back({nm(b), conv3x3(16, 16, hw, 1), 6, true});
  std::snprintf(b, sizeof b, "s2 16->32 %dx%d", hw, hw);
  ls.push_back({nm(b), conv3x3(16, 32, hw, 2), 1, true});
  std::snprintf(b, sizeof b, "32->32 %dx%d", h2, h2);
  ls.push_back({nm(b), conv3x3(32, 32, h2, 1), 5, true});
  std::snprintf(b, sizeof b, "s2 32->64 %dx%d", h2, h2);
  ls.push_back({nm(b), conv3x3(32, 64, h2, 2), 1, true});
  std::snprintf(b, sizeof b, "64->64 %dx%d", h3, h3);
  ls.push_back({nm(b), conv3x3(64, 64, h3, 1), 5, true});
  double tdx = 0, tdw = 0, fdx = 0, fdw = 0;
  for (const L &l : ls) {
    Times r = benchLayer(l.name.c_str(), l.s, batch, l.dx);
    double gf = l.s.flops(batch) * 1e-9 * l.count;
    tdx += r.dx * l.count, tdw += r.dw * l.count;
    if (l.dx) fdx += gf;
    fdw += gf;
  }
  if (gFilter || tdx <= 0 || tdw <= 0) return;
  std::printf("%-30s step dX %7.2f ms (%5.1f GFLOP/s)  dW %7.2f ms (%5.1f GFLOP/s)\n\n", net,
              tdx * 1e3, fdx / tdx, tdw * 1e3, fdw / tdw);
}

}  // namespace

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--layer") && i + 1 < argc)
      gFilter = argv[++i];
    else if (!std::strcmp(argv[i], "--avx2"))
      gAvx2 = true;
    else if (!std::strcmp(argv[i], "--check"))
      gCheck = true;
    else if (!std::strcmp(argv[i], "--reps") && i + 1 < argc)
      gReps = std::max(1, std::atoi(argv[++i]));
    else {
      std::fprintf(stderr, "usage: bwd_bench [--layer SUBSTR] [--reps N] [--avx2] [--check]\n");
      return 2;
    }
  }
  benchLayer("3x3 64->64 56x56", conv3x3(64, 64, 56, 1), 8);
  resnet20("fashion", 1, 28, 128);
  resnet20("cifar", 3, 32, 128);
  return 0;
}
