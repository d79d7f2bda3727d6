// The conv gradients' schedule space and its database entries:
//  - every candidate `netc tune --train` may measure (stage-1 tiles and the
//    stage-2 variations of the built-in schedule) computes what the built-in
//    schedule computes (tests/backward checks that against direct sums), on
//    AVX-512 and AVX2, for the epilogues and strides a ResNet has;
//  - candidates keep their accumulators in registers and are distinct;
//  - with two threads the built-in dW schedule keeps both busy;
//  - entries round-trip through the file and apply only at their batch and
//    thread count; dW entries ignore the post-ops of the forward conv.
#include "schedules/cpu/backward/ConvBwdTuned.h"
#include "schedules/cpu/backward/TrainKernels.h"
#include "schedules/tuning/ConvBwdTuner.h"
#include "schedules/tuning/Measure.h"

#include "compiler/halide/HostTarget.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>

namespace netc::test {
namespace {

namespace nh = netc::halide;
namespace nb = netc::halide::backward;
namespace sc = netc::schedules;
namespace sb = netc::schedules::backward;
using Buf = Halide::Buffer<float>;

Halide::Target avx2() { return Halide::Target("x86-64-linux-avx-avx2-f16c-fma-sse41"); }
std::vector<Halide::Target> targets() { return {nh::hostTarget(), avx2()}; }

nh::ConvSpec conv(int k, int stride, int cin, int cout, int hw) {
  nh::ConvSpec s;
  s.kh = s.kw = k, s.stride = stride, s.pad = k / 2;
  s.cin = cin, s.cout = cout, s.inH = s.inW = hw;
  return s;
}

std::vector<nb::ConvDxSpec> dxSpecs() {
  nb::ConvDxSpec same;  // a block's second conv: dX + the shortcut's gradient, masked
  same.conv = conv(3, 1, 16, 16, 10);
  same.add = nb::GradAdd::Same, same.reluMask = true;
  nb::ConvDxSpec padded;  // a down-sampling block's first conv, option-A shortcut
  padded.conv = conv(3, 2, 8, 16, 9);
  padded.add = nb::GradAdd::ZeroPadded, padded.reluMask = true;
  padded.addC = 16, padded.addH = padded.addW = 5, padded.addStride = 2;
  nb::ConvDxSpec pointwise;  // 1x1 stride 2, ragged
  pointwise.conv = conv(1, 2, 24, 32, 7);
  nb::ConvDxSpec valid;  // 3x3 without padding (Winograd dX pads by 2), ragged tiles
  valid.conv = conv(3, 1, 16, 32, 11);
  valid.conv.pad = 0, valid.conv.inW = 13;
  return {same, padded, pointwise, valid};
}

std::vector<nh::ConvSpec> dwSpecs() {
  nh::ConvSpec valid = conv(3, 1, 16, 32, 11);  // no padding, ragged Winograd tiles
  valid.pad = 0, valid.inW = 13;
  return {conv(3, 1, 16, 16, 10), conv(3, 2, 8, 16, 9), conv(7, 2, 3, 16, 15),
          conv(1, 1, 32, 16, 6), valid};
}

constexpr int kBatch = 3;

Buf runDx(const nb::ConvDxSpec &d, const Halide::Target &t, const sb::ConvDxSchedule &s) {
  const nh::ConvSpec &c = d.conv;
  std::mt19937 rng(5);
  std::vector<Halide::Buffer<>> in = {sc::randomBuffer(rng, {c.cout, c.outW(), c.outH(), kBatch}),
                                      sc::randomBuffer(rng, {c.cout, c.cin, c.kw, c.kh})};
  if (d.add == nb::GradAdd::Same) in.push_back(sc::randomBuffer(rng, {c.cin, c.inW, c.inH, kBatch}));
  if (d.add == nb::GradAdd::ZeroPadded)
    in.push_back(sc::randomBuffer(rng, {d.addC, d.addW, d.addH, kBatch}));
  if (d.reluMask) in.push_back(sc::randomBuffer(rng, {c.cin, c.inW, c.inH, kBatch}));
  Buf out(c.cin, c.inW, c.inH, kBatch);
  sb::convDxKernel(d, t, s)->run(in, {out});
  return out;
}

Buf runDw(const nh::ConvSpec &c, const Halide::Target &t, const sb::ConvDwSchedule &s) {
  std::mt19937 rng(6);
  Buf dy = sc::randomBuffer(rng, {c.cout, c.outW(), c.outH(), kBatch});
  Buf x = sc::randomBuffer(rng, {c.cin, c.inW, c.inH, kBatch});
  Buf out(c.cout, c.cin, c.kw, c.kh);
  sb::convDwKernel(c, t, s)->run({dy, x}, {out});
  return out;
}

TEST(ConvBwdTuner, EveryDxCandidateComputesTheSameGradient) {
  for (const Halide::Target &t : targets())
    for (const nb::ConvDxSpec &d : dxSpecs()) {
      sb::ConvDxSchedule base = sb::defaultConvDxSchedule(d, t), direct = base;
      direct.winograd = 0;  // the reference: tests/backward checks it against direct sums
      Buf ref = runDx(d, t, direct);
      std::vector<sb::ConvDxSchedule> all = sc::convDxTileCandidates(d, t);
      for (const auto &v : sc::convDxStructureVariants(base)) all.push_back(v);
      ASSERT_GE(all.size(), 4u) << d.key();
      for (const sb::ConvDxSchedule &s : all)
        EXPECT_LE(sc::relError(runDx(d, t, s), ref), 1e-5)
            << d.key() << " [" << s.key() << "] " << t.to_string();
    }
}

TEST(ConvBwdTuner, EveryDwCandidateComputesTheSameGradient) {
  for (const Halide::Target &t : targets())
    for (const nh::ConvSpec &c : dwSpecs()) {
      sb::ConvDwSchedule base = sb::defaultConvDwSchedule(c, t), direct = base;
      direct.winograd = 0;  // the reference: tests/backward checks it against direct sums
      Buf ref = runDw(c, t, direct);
      std::vector<sb::ConvDwSchedule> all = sc::convDwTileCandidates(c, t);
      for (const auto &v : sc::convDwStructureVariants(c, base)) all.push_back(v);
      ASSERT_GE(all.size(), 4u) << c.key();
      for (const sb::ConvDwSchedule &s : all)
        EXPECT_LE(sc::relError(runDw(c, t, s), ref), 1e-5)
            << c.key() << " [" << s.key() << "] " << t.to_string();
    }
}

TEST(ConvBwdTuner, CandidatesAreDistinctAndFitTheRegisters) {
  for (const Halide::Target &t : targets()) {
    int budget = sc::registerBudget(std::min(16, t.natural_vector_size<float>()));
    nb::ConvDxSpec d;
    d.conv = conv(3, 1, 64, 64, 8);
    std::set<std::string> keys;
    int algos[2][2] = {};  // [dx, dw][direct, Winograd]: both searched
    for (const auto &s : sc::convDxTileCandidates(d, t)) {
      EXPECT_LE(s.ciVecs * s.tileX, budget) << s.key();
      EXPECT_TRUE(keys.insert(s.key()).second) << s.key();
      ++algos[0][s.winograd != 0];
    }
    keys.clear();
    nh::ConvSpec c = conv(3, 1, 64, 64, 8);
    for (const auto &s : sc::convDwTileCandidates(c, t)) {
      EXPECT_LE(s.coVecs * s.ciTile * (s.tapsInTile ? 9 : 1), budget) << s.key();
      EXPECT_TRUE(keys.insert(s.key()).second) << s.key();
      ++algos[1][s.winograd != 0];
    }
    for (auto &kind : algos) EXPECT_GE(std::min(kind[0], kind[1]), 4) << t.to_string();
  }
}

TEST(ConvBwdTuner, PastDeadlineKeepsTheBuiltInSchedule) {
  Halide::Target t = nh::hostTarget();
  nh::ConvSpec c = conv(3, 1, 16, 16, 8);
  auto past = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  sc::TunedConvDw r = sc::tuneConvDw(c, t, 2, past);
  EXPECT_EQ(r.schedule.key(), sb::clampConvDwSchedule(c, sb::defaultConvDwSchedule(c, t)).key());
  EXPECT_GT(r.ms, 0);
  EXPECT_EQ(r.ms, r.defaultMs);
}

// A dW tile holding every input channel leaves one parallel task; with two
// threads the built-in schedule halves it so both threads work.
TEST(ConvDwDefault, MoreThanOneThreadSplitsAWholeChannelTile) {
  Halide::Target t = nh::hostTarget();
  nh::ConvSpec c = conv(3, 1, 16, 16, 32);
  for (bool winograd : {false, true}) {
    ::setenv("NETC_WINOGRAD", winograd ? "1" : "0", 1);
    ::setenv("HL_NUM_THREADS", "1", 1);
    sb::ConvDwSchedule one = sb::defaultConvDwSchedule(c, t);
    ::setenv("HL_NUM_THREADS", "2", 1);
    sb::ConvDwSchedule two = sb::defaultConvDwSchedule(c, t);
    ::setenv("HL_NUM_THREADS", "1", 1);
    EXPECT_EQ(one.winograd, winograd ? 4 : 0);
    EXPECT_EQ(one.tasks, 1);
    EXPECT_EQ(two.tasks, 2);
    EXPECT_GE(c.cin / two.ciTile, 2) << "one task would idle the second thread";
    if (!winograd) EXPECT_EQ(one.ciTile, 16);
    EXPECT_LE(sc::relError(runDw(c, t, two), runDw(c, t, one)), 1e-5);
  }
  ::unsetenv("NETC_WINOGRAD");
}

TEST(ConvBwdTuned, EntriesRoundTripAndApplyAtTheirBatchAndThreads) {
  std::string path = ::testing::TempDir() + "/bwd_tuning.json";
  std::remove(path.c_str());
  ::setenv("HL_NUM_THREADS", "1", 1);
  Halide::Target t = nh::hostTarget();
  nh::ConvSpec c = conv(3, 1, 16, 16, 8);
  nb::ConvDxSpec d;
  d.conv = c;
  d.reluMask = true;
  sb::ConvDxSchedule dx = sb::defaultConvDxSchedule(d, t);
  dx.ciVecs = 1, dx.tileX = 7, dx.stageDy = false;
  sb::ConvDwSchedule dw = sb::defaultConvDwSchedule(c, t);
  dw.ciTile = 2, dw.tasks = 1, dw.tapsInTile = true;
  {
    sc::TuningDb db(path);
    db.setRecord(sb::kConvDxSection, sb::convDxDbKey(d, t, 1, 16), {sb::toFields(dx), 1, 2});
    db.setRecord(sb::kConvDwSection, sb::convDwDbKey(c, t, 1, 16), {sb::toFields(dw), 1, 2});
    db.save();
  }
  sc::TuningDb::use(path);
  EXPECT_EQ(sb::chosenConvDxSchedule(d, t, 16).key(), dx.key());
  EXPECT_EQ(sb::chosenConvDxSchedule(d, t, 8).key(), sb::defaultConvDxSchedule(d, t).key());
  nb::ConvDxSpec unmasked = d;
  unmasked.reluMask = false;  // another kernel: its own entry
  EXPECT_EQ(sb::chosenConvDxSchedule(unmasked, t, 16).key(),
            sb::defaultConvDxSchedule(unmasked, t).key());
  nh::ConvSpec withPostOps = c;  // dW is the same for any post-ops
  withPostOps.scaleShift = withPostOps.relu = true;
  EXPECT_EQ(sb::chosenConvDwSchedule(withPostOps, t, 16).key(), dw.key());
  ::setenv("HL_NUM_THREADS", "2", 1);
  EXPECT_EQ(sb::chosenConvDwSchedule(c, t, 16).key(), sb::defaultConvDwSchedule(c, t).key());
  ::setenv("HL_NUM_THREADS", "1", 1);
  sc::TuningDb::use("");
  std::remove(path.c_str());
}

// A version-1 database predates Winograd in the training step: its training
// entries (chosen among direct schedules) are dropped, inference ones kept,
// and the file is written back as version 2.
TEST(TuningDbVersion, Version1TrainingEntriesAreDropped) {
  std::string path = ::testing::TempDir() + "/v1_tuning.json";
  Halide::Target t = nh::hostTarget();
  nh::ConvSpec c = conv(3, 1, 16, 16, 8);
  std::string inference = sc::TuningDb::convKey(c, t, 1, 1, false);
  std::string training = sc::TuningDb::convKey(c, t, 1, 128, true);
  {
    sc::TuningDb db(path + ".new");
    sc::TunedConv tc{sc::directConvSchedule(c, t), 1, 2};
    db.setConv(inference, tc);
    db.setConv(training, tc);
    db.setRecord(sb::kConvDxSection, "convdx|k", {{{"vec", 16}}, 1, 2});
    db.setRecord(sb::kConvDwSection, "convdw|k", {{{"vec", 16}}, 1, 2});
    std::string text = db.text();
    auto at = text.find("\"version\": 2");
    ASSERT_NE(at, std::string::npos) << text;
    text.replace(at, 12, "\"version\": 1");
    std::ofstream(path) << text;
  }
  sc::TuningDb db(path);
  EXPECT_TRUE(db.conv(inference).has_value());
  EXPECT_FALSE(db.conv(training).has_value());
  EXPECT_FALSE(db.record(sb::kConvDxSection, "convdx|k").has_value());
  EXPECT_FALSE(db.record(sb::kConvDwSection, "convdw|k").has_value());
  EXPECT_EQ(db.size(), 1u);
  EXPECT_NE(db.text().find("\"version\": 2"), std::string::npos);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace netc::test
