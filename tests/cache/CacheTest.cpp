// The on-disk kernel cache (compiler/halide/AotKernel.h): a cold request
// AOT-compiles and stores a shared object, a warm one loads it without
// compiling; AOT results equal the JIT path; corrupt or mismatched files are
// rejected and rebuilt. Each test has its own temporary cache directory.
#include "compiler/halide/HostTarget.h"
#include "compiler/halide/AotKernel.h"
#include "compiler/halide/KernelCache.h"
#include "schedules/cpu/CpuKernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace netc::test {
namespace {

namespace fs = std::filesystem;
namespace nh = netc::halide;
namespace ns = netc::schedules;
using Buf = Halide::Buffer<float>;

Halide::Target target() { return netc::halide::hostTarget(); }

nh::ConvSpec convSpec() {
  nh::ConvSpec s;
  s.cin = 16, s.cout = 32, s.kh = s.kw = 3, s.stride = 1, s.pad = 1, s.inH = 9, s.inW = 7;
  s.bias = true, s.relu = true;
  return s;
}

std::string convKey(const nh::ConvSpec &s) { return "conv|" + s.key() + "|" + target().to_string(); }

// A conv pipeline builder that counts its calls (a warm load never builds).
struct ConvBuilder {
  nh::ConvSpec spec;
  int calls = 0;
  nh::PipelineDef operator()() {
    ++calls;
    nh::ConvAlgo a = nh::buildConv(spec);
    ns::scheduleConv(a, ns::clampConvSchedule(spec, ns::defaultConvSchedule(spec, target())));
    return {a.out, a.inputs};
  }
};

Buf random(std::mt19937 &rng, const std::vector<int> &dims) {
  Buf b(dims);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  b.for_each_value([&](float &v) { v = d(rng); });
  return b;
}

// Runs the conv kernel on fixed random inputs.
Buf runConv(nh::Kernel &k, const nh::ConvSpec &s) {
  std::mt19937 rng(7);
  std::vector<Buf> in = {random(rng, {s.cin, s.inW, s.inH, 2}),
                         random(rng, {s.cout, s.cin, s.kw, s.kh}), random(rng, {s.cout})};
  Buf out(s.cout, s.outW(), s.outH(), 2);
  k.run(in, out);
  return out;
}

double maxDiff(const Buf &a, const Buf &b) {
  double m = 0;
  a.for_each_element([&](const int *pos) { m = std::max(m, double(std::fabs(a(pos) - b(pos)))); });
  return m;
}

// Replaces `path` atomically (never in place: the old file may be mapped).
void replaceFile(const std::string &path, const std::string &bytes) {
  std::string tmp = path + ".test-tmp";
  std::ofstream(tmp, std::ios::binary) << bytes;
  fs::rename(tmp, path);
}

std::string readAll(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

class DiskCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "netc-cache-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir = tmpl;
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string dir;
};

TEST_F(DiskCacheTest, ColdBuildsWarmLoadsWithoutCompiling) {
  ConvBuilder b{convSpec()};
  std::string key = convKey(b.spec);
  nh::KernelCache cold(dir);
  auto k1 = cold.get(key, target(), std::ref(b));
  EXPECT_EQ(k1->origin(), nh::Kernel::Origin::Aot);
  EXPECT_EQ(cold.stats().aotCompiles, 1u);
  EXPECT_EQ(cold.stats().jitCompiles, 0u);
  EXPECT_EQ(b.calls, 1);
  nh::DiskCache disk(dir);
  EXPECT_TRUE(fs::exists(disk.libraryPath(key)));
  EXPECT_TRUE(fs::exists(disk.runtimePath(target())));
  // Only the published files remain: no temporaries, no objects.
  for (const auto &e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().extension(), ".so") << e.path();
  EXPECT_EQ(cold.get(key, target(), std::ref(b)).get(), k1.get());  // memory hit
  EXPECT_EQ(cold.stats().memoryHits, 1u);

  nh::KernelCache warm(dir);  // a fresh cache over the same directory
  auto k2 = warm.get(key, target(), std::ref(b));
  EXPECT_EQ(k2->origin(), nh::Kernel::Origin::Aot);
  EXPECT_EQ(warm.stats().diskLoads, 1u);
  EXPECT_EQ(warm.stats().compiles(), 0u);
  EXPECT_EQ(b.calls, 1);  // not even the algorithm was built
  EXPECT_EQ(maxDiff(runConv(*k1, b.spec), runConv(*k2, b.spec)), 0.0);
}

TEST_F(DiskCacheTest, AotMatchesJit) {
  nh::ConvSpec specs[3] = {convSpec(), convSpec(), convSpec()};
  specs[1].stride = 2, specs[1].relu = false;
  specs[2].kh = specs[2].kw = 1, specs[2].pad = 0, specs[2].cin = 32, specs[2].cout = 64;
  for (const nh::ConvSpec &s : specs) {
    ConvBuilder b{s};
    nh::KernelCache aot(dir), jit("");
    auto ka = aot.get(convKey(s), target(), std::ref(b));
    auto kj = jit.get(convKey(s), target(), std::ref(b));
    ASSERT_EQ(ka->origin(), nh::Kernel::Origin::Aot);
    ASSERT_EQ(kj->origin(), nh::Kernel::Origin::Jit);
    EXPECT_EQ(jit.stats().jitCompiles, 1u);
    EXPECT_LE(maxDiff(runConv(*ka, s), runConv(*kj, s)), 1e-6) << s.key();
  }
}

TEST_F(DiskCacheTest, OtherOpsThroughTheGlobalBuildersMatchJit) {
  // The global cache is configured from the environment: point it here.
  nh::KernelCache &g = nh::KernelCache::global();
  std::string saved = g.diskDir();
  g.setDiskDir(dir);
  nh::PoolSpec p;
  p.c = 24, p.inH = 11, p.inW = 10, p.kh = p.kw = 3, p.stride = 2, p.pad = 1;
  auto kp = ns::maxPoolKernel(p, target());
  nh::FcSpec f;
  f.in = 40, f.out = 10, f.bias = true;
  auto kf = ns::fcKernel(f, target());
  g.setDiskDir(saved);
  EXPECT_EQ(kp->origin(), nh::Kernel::Origin::Aot);
  EXPECT_EQ(kf->origin(), nh::Kernel::Origin::Aot);

  std::mt19937 rng(3);
  Buf x = random(rng, {p.c, p.inW, p.inH, 3});
  Buf outA(p.c, (p.inW + 2 - 3) / 2 + 1, (p.inH + 2 - 3) / 2 + 1, 3), outJ = outA.copy();
  kp->run({x}, outA);
  nh::OpAlgo a = nh::buildMaxPool(p);
  ns::scheduleNhwc(a, p.c, ns::defaultSimpleSchedule(target()));
  nh::compileKernel(a.out, a.inputs, target())->run({x}, outJ);
  EXPECT_EQ(maxDiff(outA, outJ), 0.0);

  Buf fx = random(rng, {f.in, 2}), fw = random(rng, {f.in, f.out}), fb = random(rng, {f.out});
  Buf fa(f.out, 2), fj(f.out, 2);
  kf->run({fx, fw, fb}, fa);
  nh::FcAlgo fc = nh::buildFc(f);
  ns::scheduleFc(fc, ns::defaultSimpleSchedule(target()));
  nh::compileKernel(fc.out, fc.inputs, target())->run({fx, fw, fb}, fj);
  EXPECT_LE(maxDiff(fa, fj), 1e-6);
}

TEST_F(DiskCacheTest, CorruptFilesAreRejectedAndRebuilt) {
  ConvBuilder b{convSpec()};
  std::string key = convKey(b.spec);
  Buf expected = runConv(*nh::KernelCache(dir).get(key, target(), std::ref(b)), b.spec);
  std::string path = nh::DiskCache(dir).libraryPath(key), good = readAll(path);
  ASSERT_GT(good.size(), 1000u);

  std::string flipped = good;
  flipped[flipped.size() / 3] ^= 0x5a;  // inside the ELF image
  std::string trailerEdited = good;
  size_t at = trailerEdited.rfind("\ninputs ");
  ASSERT_NE(at, std::string::npos);
  trailerEdited[at + 8] = '7';  // claims another input count
  for (const std::string &bad : {std::string("not an ELF file at all"), good.substr(0, good.size() / 2),
                                 flipped, trailerEdited, std::string()}) {
    replaceFile(path, bad);
    nh::KernelCache c(dir);
    auto k = c.get(key, target(), std::ref(b));
    EXPECT_EQ(c.stats().diskRejects, 1u);
    EXPECT_EQ(c.stats().aotCompiles, 1u);
    EXPECT_EQ(maxDiff(runConv(*k, b.spec), expected), 0.0);
    nh::KernelCache again(dir);  // the rebuilt file is valid
    again.get(key, target(), std::ref(b));
    EXPECT_EQ(again.stats().diskLoads, 1u);
    EXPECT_EQ(again.stats().diskRejects, 0u);
  }
}

TEST_F(DiskCacheTest, AFileOfAnotherKeyIsNotTrusted) {
  ConvBuilder b1{convSpec()}, b2{convSpec()};
  b2.spec.relu = false;
  std::string k1 = convKey(b1.spec), k2 = convKey(b2.spec);
  nh::KernelCache(dir).get(k1, target(), std::ref(b1));
  nh::DiskCache disk(dir);
  ASSERT_NE(disk.libraryPath(k1), disk.libraryPath(k2));
  fs::copy_file(disk.libraryPath(k1), disk.libraryPath(k2));
  nh::KernelCache c(dir);
  auto k = c.get(k2, target(), std::ref(b2));
  EXPECT_EQ(c.stats().diskRejects, 1u);
  EXPECT_EQ(c.stats().aotCompiles, 1u);
  // Without relu the result has negative values; the relu kernel has none.
  Buf out = runConv(*k, b2.spec);
  float lo = 0;
  out.for_each_value([&](float v) { lo = std::min(lo, v); });
  EXPECT_LT(lo, 0.f);
}

TEST_F(DiskCacheTest, AotKernelErrorsThrow) {
  ConvBuilder b{convSpec()};
  auto k = nh::KernelCache(dir).get(convKey(b.spec), target(), std::ref(b));
  std::mt19937 rng(1);
  Buf x = random(rng, {b.spec.cin + 1, b.spec.inW, b.spec.inH, 1});  // wrong channels
  Buf w = random(rng, {b.spec.cout, b.spec.cin, 3, 3}), bias = random(rng, {b.spec.cout});
  Buf out(b.spec.cout, b.spec.outW(), b.spec.outH(), 1);
  EXPECT_THROW(k->run({x, w, bias}, out), Halide::RuntimeError);
  EXPECT_THROW(k->run({x, w}, out), std::invalid_argument);
}

TEST(DiskCacheConfig, EnvironmentSelectsTheDirectory) {
  const char *saved = std::getenv("NETC_CACHE_DIR");
  std::string keep = saved ? saved : "";
  ::setenv("NETC_CACHE_DIR", "/some/dir", 1);
  EXPECT_EQ(nh::diskCacheDirFromEnv(), "/some/dir");
  ::setenv("NETC_CACHE", "off", 1);
  EXPECT_EQ(nh::diskCacheDirFromEnv(), "");
  ::unsetenv("NETC_CACHE");
  ::unsetenv("NETC_CACHE_DIR");
  ::setenv("XDG_CACHE_HOME", "/xdg", 1);
  EXPECT_EQ(nh::diskCacheDirFromEnv(), "/xdg/netc");
  ::unsetenv("XDG_CACHE_HOME");
  if (saved) ::setenv("NETC_CACHE_DIR", keep.c_str(), 1);
  EXPECT_EQ(nh::KernelCache("").diskDir(), "");
}

}  // namespace
}  // namespace netc::test

namespace netc::test {
namespace {

// A deferred cache (the AOT library builder's) describes kernels without
// compiling them, dedupes by key, and is what global() returns in a Scope.
TEST(DeferredCache, DescribesWithoutCompilingInsideAScope) {
  auto deferred = nh::KernelCache::deferred();
  ASSERT_TRUE(deferred->isDeferred());
  size_t globalBefore = nh::KernelCache::global().size();
  std::shared_ptr<nh::Kernel> a, b;
  {
    nh::KernelCache::Scope scope(*deferred);
    EXPECT_EQ(&nh::KernelCache::global(), deferred.get());
    a = ns::convKernel(convSpec(), target());
    b = ns::convKernel(convSpec(), target());
  }
  EXPECT_NE(&nh::KernelCache::global(), deferred.get());
  EXPECT_EQ(a, b);
  EXPECT_EQ(a->origin(), nh::Kernel::Origin::Deferred);
  EXPECT_EQ(deferred->stats().compiles(), 0u);
  EXPECT_EQ(nh::KernelCache::global().size(), globalBefore);
  auto d = std::dynamic_pointer_cast<nh::DeferredKernel>(a);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->pipeline().inputs.size(), 3u);  // x, weights, bias
  Buf out(1, 1, 1, 1);
  EXPECT_THROW(a->run({Buf(1, 1, 1, 1), Buf(1), Buf(1)}, out), std::logic_error);
}

}  // namespace
}  // namespace netc::test
