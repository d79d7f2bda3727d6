// The GPU (CUDA) schedules of every forward and training op compile, with no
// GPU needed:
// each op's scheduled pipeline is AOT-compiled to an object file for two
// CUDA capabilities, which must embed PTX for that capability; and no stage
// may be left running loops on the host.
#include "schedules/cpu/CpuKernels.h"
#include "schedules/cpu/backward/TrainKernels.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace netc::test {
namespace {

namespace fs = std::filesystem;
namespace nh = netc::halide;
namespace ns = netc::schedules;
using Halide::Target;

struct OpCase {
  const char *name;
  std::function<nh::PipelineDef(const Target &)> pipeline;
};

void PrintTo(const OpCase &c, std::ostream *os) { *os << c.name; }

nh::ConvSpec conv(int cin, int cout, int k, int stride, int pad, int h, int w) {
  nh::ConvSpec s;
  s.cin = cin, s.cout = cout, s.kh = s.kw = k, s.stride = stride, s.pad = pad;
  s.inH = h, s.inW = w;
  return s;
}

nh::PoolSpec pool(int c, int h, int w, int k, int s, int p) {
  nh::PoolSpec spec;
  spec.c = c, spec.inH = h, spec.inW = w, spec.kh = spec.kw = k, spec.stride = s, spec.pad = p;
  return spec;
}

std::vector<OpCase> opCases() {
  std::vector<OpCase> cases;
  auto addConv = [&](const char *name, nh::ConvSpec s) {
    cases.push_back({name, [s](const Target &t) { return ns::convPipeline(s, t); }});
  };
  nh::ConvSpec c = conv(16, 32, 3, 1, 1, 14, 14);
  c.bias = true;
  addConv("conv3x3_s1_bias", c);
  c = conv(32, 64, 3, 1, 1, 8, 8);
  c.scaleShift = true, c.relu = true, c.residual = nh::Residual::Same;
  addConv("conv3x3_bn_residual_relu", c);
  c = conv(16, 32, 3, 2, 1, 16, 16);  // ResNet option A: the shortcut is the block input
  c.scaleShift = true, c.relu = true, c.residual = nh::Residual::ZeroPadded;
  c.resC = 16, c.resH = 16, c.resW = 16, c.resStride = 2;
  addConv("conv3x3_s2_shortcutA", c);
  addConv("conv1x1_s2", conv(64, 128, 1, 2, 0, 14, 14));
  c = conv(3, 64, 7, 2, 3, 32, 32);
  c.bias = true, c.relu = true;
  addConv("conv7x7_s2_p3_cin3", c);
  c = conv(3, 10, 3, 1, 1, 9, 7);  // ragged cout: zero-extended weights, guarded tile
  c.bias = true, c.relu = true;
  addConv("conv3x3_ragged_cout", c);
  c = conv(32, 64, 3, 1, 1, 7, 7);
  c.wBlock = 32;
  addConv("conv3x3_blocked_weights", c);

  cases.push_back({"maxpool3x3_s2", [](const Target &t) {
                     return ns::maxPoolPipeline(pool(64, 16, 16, 3, 2, 1), t);
                   }});
  cases.push_back({"avgpool3x3_s2_excl_ceil", [](const Target &t) {
                     nh::PoolSpec s = pool(17, 9, 9, 3, 2, 1);
                     s.countIncludePad = false, s.ceilMode = true;
                     return ns::avgPoolPipeline(s, t);
                   }});
  cases.push_back({"global_avgpool", [](const Target &t) {
                     return ns::globalAvgPoolPipeline(nh::GlobalPoolSpec{64, 7, 7}, t);
                   }});
  cases.push_back({"add_relu", [](const Target &t) {
                     return ns::addPipeline(nh::Shape3{32, 8, 8}, true, t);
                   }});
  cases.push_back({"add", [](const Target &t) {
                     return ns::addPipeline(nh::Shape3{20, 5, 3}, false, t);
                   }});
  cases.push_back(
      {"relu", [](const Target &t) { return ns::reluPipeline(nh::Shape3{3, 5, 5}, t); }});
  cases.push_back({"batch_norm_relu", [](const Target &t) {
                     return ns::batchNormPipeline(nh::Shape3{48, 8, 8}, true, t);
                   }});
  cases.push_back({"batch_norm", [](const Target &t) {
                     return ns::batchNormPipeline(nh::Shape3{16, 4, 4}, false, t);
                   }});
  cases.push_back({"zero_pad_shortcut", [](const Target &t) {
                     nh::ZeroPadSpec s;
                     s.in = {16, 16, 16}, s.outC = 32, s.stride = 2;
                     return ns::zeroPadShortcutPipeline(s, t);
                   }});
  cases.push_back({"fc_bias_relu", [](const Target &t) {
                     return ns::fcPipeline(nh::FcSpec{256, 10, true, true}, t);
                   }});
  cases.push_back(
      {"fc", [](const Target &t) { return ns::fcPipeline(nh::FcSpec{512, 1000, false, false}, t); }});
  cases.push_back(
      {"softmax", [](const Target &t) { return ns::softmaxPipeline(nh::SoftmaxSpec{10}, t); }});
  cases.push_back({"lrn", [](const Target &t) {
                     nh::LrnSpec s;
                     s.shape = {64, 8, 8};
                     return ns::lrnPipeline(s, t);
                   }});
  return cases;
}

Target cudaTarget(int capability) {
  Target t("x86-64-linux-cuda-cuda_capability_" + std::to_string(capability));
  return t.with_feature(Target::NoRuntime);
}

std::string readFile(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Loops left in the host code of a pipeline lowered for a GPU target. By
// then every GPU loop nest has been offloaded (its PTX text sits in a buffer
// and the host calls halide_cuda_run), so any `for`-like loop left (serial,
// parallel, vectorized, unrolled) runs on the host: a stage that should have
// been GPU-scheduled or inlined. Lines of the PTX text never start so.
std::vector<std::string> hostLoops(const std::string &stmt) {
  std::vector<std::string> found;
  std::istringstream lines(stmt);
  for (std::string line; std::getline(lines, line);) {
    size_t b = line.find_first_not_of(' ');
    if (b == std::string::npos) continue;
    std::string s = line.substr(b);
    for (const char *kind : {"for (", "for<", "parallel (", "vectorized (", "unrolled ("})
      if (s.rfind(kind, 0) == 0) found.push_back(s);
  }
  return found;
}

class GpuCompile : public ::testing::TestWithParam<std::tuple<int, OpCase>> {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "netc-gpu-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_P(GpuCompile, EmbedsPtxAndRunsNoHostLoops) {
  const auto &[capability, op] = GetParam();
  Target t = cudaTarget(capability);
  ASSERT_TRUE(t.has_gpu_feature());
  nh::PipelineDef def = op.pipeline(t);
  std::vector<Halide::Argument> args(def.inputs.begin(), def.inputs.end());
  Halide::Pipeline p(def.out);

  fs::path stmt = dir_ / "kernel.stmt";
  p.compile_to_lowered_stmt(stmt.string(), args, Halide::StmtOutputFormat::Text, t);
  std::vector<std::string> host = hostLoops(readFile(stmt));
  EXPECT_TRUE(host.empty()) << "loops on the host, e.g. " << (host.empty() ? "" : host[0]);
  EXPECT_NE(readFile(stmt).find("halide_cuda_run"), std::string::npos) << "no kernel launch";

  fs::path obj = dir_ / "kernel.o";
  p.compile_to_object(obj.string(), args, "netc_gpu_kernel", t);
  std::string bytes = readFile(obj);
  ASSERT_FALSE(bytes.empty());
  std::string ptxTarget = ".target sm_" + std::to_string(capability);
  EXPECT_NE(bytes.find(ptxTarget), std::string::npos) << "no PTX for " << ptxTarget;
}

INSTANTIATE_TEST_SUITE_P(
    Ops, GpuCompile, ::testing::Combine(::testing::Values(61, 80), ::testing::ValuesIn(opCases())),
    [](const ::testing::TestParamInfo<std::tuple<int, OpCase>> &info) {
      return std::string(std::get<1>(info.param).name) + "_sm" +
             std::to_string(std::get<0>(info.param));
    });

// The training ops (schedules/cuda/GpuTrainSchedules.h), through the same
// kernel builders the trainer uses, deferred so their algorithms come back
// uncompiled. Shapes cover the variants: strided dX (phases), shortcut and
// mask epilogues, ragged channels (cin 3), a 7x7 dW, the pixel-sum rfactors.
namespace nb = netc::halide::backward;
namespace sb = netc::schedules::backward;

struct TrainCase {
  const char *name;
  std::function<sb::TrainKernelPtr(const Target &)> kernel;
};

void PrintTo(const TrainCase &c, std::ostream *os) { *os << c.name; }

std::vector<TrainCase> trainCases() {
  std::vector<TrainCase> cases;
  auto dx = [&](const char *name, nh::ConvSpec c, nb::GradAdd add, bool mask) {
    nb::ConvDxSpec d;
    d.conv = c, d.add = add, d.reluMask = mask;
    if (add == nb::GradAdd::ZeroPadded)
      d.addC = 2 * c.cin, d.addStride = 2, d.addH = (c.inH + 1) / 2, d.addW = (c.inW + 1) / 2;
    cases.push_back({name, [d](const Target &t) { return sb::convDxKernel(d, t); }});
  };
  dx("convdx_3x3_s1_add_mask", conv(16, 16, 3, 1, 1, 8, 8), nb::GradAdd::Same, true);
  dx("convdx_3x3_s2_shortcutA", conv(16, 32, 3, 2, 1, 16, 16), nb::GradAdd::ZeroPadded, true);
  dx("convdx_1x1_s2", conv(64, 128, 1, 2, 0, 14, 14), nb::GradAdd::None, false);
  auto dw = [&](const char *name, nh::ConvSpec c) {
    cases.push_back({name, [c](const Target &t) { return sb::convDwKernel(c, t); }});
  };
  dw("convdw_3x3_s1", conv(16, 16, 3, 1, 1, 8, 8));
  dw("convdw_3x3_s2", conv(16, 32, 3, 2, 1, 16, 16));
  dw("convdw_7x7_s2_cin3", conv(3, 64, 7, 2, 3, 32, 32));
  cases.push_back({"convdb", [](const Target &t) {
                     return sb::convDbKernel(conv(16, 24, 3, 1, 1, 8, 8), t);
                   }});
  nb::BnTrainSpec bn;
  bn.shape = {24, 9, 7}, bn.relu = true;
  cases.push_back({"bn_train_forward", [bn](const Target &t) { return sb::bnTrainForwardKernel(bn, t); }});
  cases.push_back({"bn_train_backward", [bn](const Target &t) { return sb::bnTrainBackwardKernel(bn, t); }});
  cases.push_back({"maxpool_backward", [](const Target &t) {
                     return sb::maxPoolBackwardKernel(pool(16, 15, 15, 3, 2, 1), t);
                   }});
  cases.push_back({"avgpool_backward", [](const Target &t) {
                     return sb::avgPoolBackwardKernel(pool(16, 8, 8, 2, 2, 0), t);
                   }});
  cases.push_back({"gap_backward", [](const Target &t) {
                     return sb::globalAvgPoolBackwardKernel(nh::GlobalPoolSpec{64, 8, 8}, t);
                   }});
  cases.push_back({"zeropad_backward", [](const Target &t) {
                     nh::ZeroPadSpec z;
                     z.in = {16, 8, 8}, z.outC = 32, z.stride = 2;
                     return sb::zeroPadShortcutBackwardKernel(z, t);
                   }});
  cases.push_back({"fc_backward", [](const Target &t) {
                     return sb::fcBackwardKernel(nh::FcSpec{64, 10, true, false}, t);
                   }});
  cases.push_back({"softmax_xent", [](const Target &t) { return sb::softmaxXentKernel({10}, t); }});
  cases.push_back({"relu_backward", [](const Target &t) { return sb::reluBackwardKernel(t); }});
  cases.push_back({"dropout", [](const Target &t) { return sb::dropoutKernel(0.5f, t); }});
  cases.push_back({"sgd", [](const Target &t) { return sb::sgdKernel(t); }});
  cases.push_back({"flat_copy", [](const Target &t) { return sb::flatCopyKernel(t); }});
  return cases;
}

using TrainParam = std::tuple<int, TrainCase>;
class GpuTrainCompileP : public ::testing::TestWithParam<TrainParam> {};

TEST_P(GpuTrainCompileP, EmbedsPtxAndRunsNoHostLoops) {
  const auto &[capability, op] = GetParam();
  Target t = cudaTarget(capability);
  sb::TrainKernelPtr k;
  {
    sb::DeferTrainKernels defer;
    k = op.kernel(t);
  }
  const nb::TrainAlgo &a = k->algo();
  std::vector<Halide::Argument> args(a.inputs.begin(), a.inputs.end());
  args.insert(args.end(), a.scalars.begin(), a.scalars.end());
  Halide::Pipeline p(a.outs);
  std::string tmpl = (fs::temp_directory_path() / "netc-gpu-XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  fs::path stmt = fs::path(tmpl) / "kernel.stmt";
  p.compile_to_lowered_stmt(stmt.string(), args, Halide::StmtOutputFormat::Text, t);
  std::string text = readFile(stmt);
  std::vector<std::string> host = hostLoops(text);
  EXPECT_TRUE(host.empty()) << "loops on the host, e.g. " << (host.empty() ? "" : host[0]);
  EXPECT_NE(text.find("halide_cuda_run"), std::string::npos) << "no kernel launch";
  fs::path obj = fs::path(tmpl) / "kernel.o";
  p.compile_to_object(obj.string(), args, "netc_gpu_train_kernel", t);
  std::string ptxTarget = ".target sm_" + std::to_string(capability);
  EXPECT_NE(readFile(obj).find(ptxTarget), std::string::npos) << "no PTX for " << ptxTarget;
  std::error_code ec;
  fs::remove_all(tmpl, ec);
}

INSTANTIATE_TEST_SUITE_P(
    TrainOps, GpuTrainCompileP,
    ::testing::Combine(::testing::Values(61, 80), ::testing::ValuesIn(trainCases())),
    [](const ::testing::TestParamInfo<TrainParam> &info) {
      return std::string(std::get<1>(info.param).name) + "_sm" +
             std::to_string(std::get<0>(info.param));
    });

// The host-loop check catches a stage left compute_root without GPU loops.
TEST(GpuSchedules, HostLoopCheckSeesHostStages) {
  nh::SoftmaxAlgo a = nh::buildSoftmax(nh::SoftmaxSpec{10});
  a.maxv.compute_root();  // no GPU loops: runs on the host
  a.sum.compute_root();
  Halide::Var fo("fo"), fi("fi");
  a.out.gpu_tile(a.f, fo, fi, 16, Halide::TailStrategy::GuardWithIf);
  std::string tmpl = (fs::temp_directory_path() / "netc-gpu-XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  fs::path stmt = fs::path(tmpl) / "kernel.stmt";
  Halide::Pipeline(a.out).compile_to_lowered_stmt(stmt.string(), {a.inputs[0]},
                                                  Halide::StmtOutputFormat::Text, cudaTarget(61));
  EXPECT_FALSE(hostLoops(readFile(stmt)).empty());
  std::error_code ec;
  fs::remove_all(tmpl, ec);
}

// The schedule keys (part of the kernel cache key) tell GPU from CPU kernels.
TEST(GpuSchedules, KeysAreDistinctFromCpu) {
  nh::ConvSpec s = conv(16, 32, 3, 1, 1, 14, 14);
  EXPECT_EQ(ns::defaultGpuConvSchedule(s).key().rfind("gpu-v2", 0), 0u);
  EXPECT_EQ(ns::GpuSimpleSchedule{}.key().rfind("gpu-v1", 0), 0u);
}

// Default conv tiles: channel threads divide cout unless the weights are
// zero-extended, and the pixel tile fits the output row.
TEST(GpuSchedules, ConvTilesFitTheShape) {
  for (nh::ConvSpec s : {conv(16, 32, 3, 1, 1, 14, 14), conv(3, 10, 3, 1, 1, 9, 7),
                         conv(64, 48, 1, 1, 0, 1, 1), conv(3, 64, 7, 2, 3, 224, 224),
                         conv(512, 512, 3, 1, 1, 7, 7)}) {
    ns::GpuConvSchedule g = ns::defaultGpuConvSchedule(s);
    SCOPED_TRACE(s.key() + " -> " + g.key());
    EXPECT_GE(g.threadsC, 1);
    EXPECT_LE(g.threadsC, 32);
    if (!nh::weightsZeroExtended(s)) {
      EXPECT_EQ(s.cout % (g.threadsC * g.vecC), 0);
    }
    EXPECT_TRUE(g.vecC == 1 || (g.vecC == 4 && s.cout % 4 == 0));
    EXPECT_LE(g.threadsX * g.unrollX, s.outW());
    EXPECT_LE(g.threadsC * g.threadsX, 256);
  }
}

}  // namespace
}  // namespace netc::test
