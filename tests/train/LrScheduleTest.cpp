// LrSchedule: hand-computed expectations (MultiStepLR and
// ReduceLROnPlateau semantics, the ResNet-110 warm-up).
#include "runtime/train/LrSchedule.h"

#include <gtest/gtest.h>

namespace netc::runtime::train {
namespace {

using dsl::LrMilestone;
using dsl::TrainRecipe;

TrainRecipe stepRecipe(std::vector<LrMilestone> ms) {
  TrainRecipe r;
  r.lr = 0.1;
  r.gamma = 0.1;
  r.schedule = TrainRecipe::Schedule::Step;
  r.milestones = std::move(ms);
  return r;
}

TEST(LrSchedule, ConstantIgnoresEverything) {
  TrainRecipe r;
  r.schedule = TrainRecipe::Schedule::Constant;
  r.lr = 0.05;
  r.milestones = {{LrMilestone::Unit::Iteration, 1}};
  LrSchedule s(r, 100, 10);
  EXPECT_DOUBLE_EQ(s.lr(0), 0.05);
  EXPECT_DOUBLE_EQ(s.lr(99), 0.05);
}

// ResNet CIFAR: divide by 10 at 32k and 48k iterations.
TEST(LrSchedule, StepByIteration) {
  LrSchedule s(stepRecipe({{LrMilestone::Unit::Iteration, 48000},
                           {LrMilestone::Unit::Iteration, 32000}}),
               64000, 391);
  EXPECT_EQ(s.milestoneIterations(), (std::vector<int64_t>{32000, 48000}));
  EXPECT_DOUBLE_EQ(s.lr(0), 0.1);
  EXPECT_DOUBLE_EQ(s.lr(31999), 0.1);
  EXPECT_NEAR(s.lr(32000), 0.01, 1e-15);
  EXPECT_NEAR(s.lr(47999), 0.01, 1e-15);
  EXPECT_NEAR(s.lr(48000), 0.001, 1e-15);
}

TEST(LrSchedule, StepByEpochAndPercent) {
  // 100 iterations per epoch, 3000 in all: epoch 10 = 1000, 50% = 1500.
  LrSchedule s(stepRecipe({{LrMilestone::Unit::Epoch, 10}, {LrMilestone::Unit::Percent, 50}}),
               3000, 100);
  EXPECT_EQ(s.milestoneIterations(), (std::vector<int64_t>{1000, 1500}));
  EXPECT_DOUBLE_EQ(s.lr(999), 0.1);
  EXPECT_NEAR(s.lr(1000), 0.01, 1e-15);
  EXPECT_NEAR(s.lr(1500), 0.001, 1e-15);
  // Fractional epochs round to the nearest iteration.
  LrSchedule f(stepRecipe({{LrMilestone::Unit::Epoch, 0.5}}), 3000, 391);
  EXPECT_EQ(f.milestoneIterations(), (std::vector<int64_t>{196}));
}

TEST(LrSchedule, RejectsBadInput) {
  EXPECT_THROW(LrSchedule(stepRecipe({{LrMilestone::Unit::Epoch, -1}}), 10, 1),
               std::invalid_argument);
  EXPECT_THROW(LrSchedule(stepRecipe({}), 0, 1), std::invalid_argument);
  TrainRecipe r = stepRecipe({});
  r.gamma = 0;
  EXPECT_THROW(LrSchedule(r, 10, 1), std::invalid_argument);
}

// torch.optim.lr_scheduler.ReduceLROnPlateau(mode='min', factor=0.1,
// patience=2, threshold=0.01, threshold_mode='rel'): reduces when the count
// of bad epochs exceeds patience, i.e. on the 3rd bad epoch in a row, then
// resets the count.
TEST(LrSchedule, PlateauFollowsReduceLROnPlateau) {
  TrainRecipe r;
  r.schedule = TrainRecipe::Schedule::Plateau;
  r.lr = 0.1;
  r.gamma = 0.1;
  r.patience = 2;
  r.threshold = 0.01;
  LrSchedule s(r, 1000, 10);
  // metric    best   bad  lr
  // 1.0       1.0    0    0.1
  // 0.995     1.0    1    0.1   (not < 1.0 * 0.99)
  // 0.98      0.98   0    0.1
  // 0.98      0.98   1
  // 0.975     0.98   2          (0.975 > 0.9702)
  // 0.971     0.98   3 -> reduce, 0
  const double metrics[] = {1.0, 0.995, 0.98, 0.98, 0.975};
  for (double m : metrics) {
    s.endEpoch(m);
    EXPECT_DOUBLE_EQ(s.lr(0), 0.1) << m;
  }
  s.endEpoch(0.971);
  EXPECT_NEAR(s.lr(0), 0.01, 1e-15);
  // Three more bad epochs for the next reduction.
  s.endEpoch(0.99);
  s.endEpoch(0.99);
  EXPECT_NEAR(s.lr(0), 0.01, 1e-15);
  s.endEpoch(0.99);
  EXPECT_NEAR(s.lr(0), 0.001, 1e-15);
}

TEST(LrSchedule, WarmupUntilTrainingErrorDrops) {
  TrainRecipe r = stepRecipe({{LrMilestone::Unit::Iteration, 100}});
  r.warmupLr = 0.01;
  r.warmupUntilError = 0.8;
  LrSchedule s(r, 1000, 10);
  EXPECT_TRUE(s.warmingUp());
  EXPECT_DOUBLE_EQ(s.lr(0), 0.01);
  s.reportTrainingError(0.85);
  s.reportTrainingError(0.8); // not below
  EXPECT_DOUBLE_EQ(s.lr(5), 0.01);
  s.reportTrainingError(0.79);
  EXPECT_FALSE(s.warmingUp());
  EXPECT_DOUBLE_EQ(s.lr(6), 0.1);
  s.reportTrainingError(0.95); // over for good
  EXPECT_DOUBLE_EQ(s.lr(7), 0.1);
  EXPECT_NEAR(s.lr(100), 0.01, 1e-15);
}

TEST(LrSchedule, StateRoundTrips) {
  TrainRecipe r;
  r.schedule = TrainRecipe::Schedule::Plateau;
  r.patience = 0;
  r.warmupLr = 0.01;
  LrSchedule a(r, 100, 10);
  a.reportTrainingError(0.1);
  a.endEpoch(1.0);
  a.endEpoch(2.0); // bad with patience 0: reduce
  LrSchedule b(r, 100, 10);
  b.restore(a.state());
  EXPECT_EQ(b.state(), a.state());
  EXPECT_DOUBLE_EQ(b.lr(3), a.lr(3));
  b.endEpoch(0.5);
  a.endEpoch(0.5);
  EXPECT_EQ(b.state(), a.state());
  EXPECT_THROW(b.restore({1, 2}), std::invalid_argument);
  EXPECT_THROW(b.restore({9, 1, 1, 0, 0}), std::invalid_argument);
}

} // namespace
} // namespace netc::runtime::train
