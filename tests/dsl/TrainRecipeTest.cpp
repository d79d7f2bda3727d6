// The `train ... end` section: parsing, canonical printing, the family
// defaults it overrides, and `--set key=value` overrides.
#include "Helpers.h"

#include "dsl/Lexer.h"
#include "dsl/Printer.h"

namespace netc::dsl::test {
namespace {

using Unit = LrMilestone::Unit;

const char *kNet = "net t\ninput 3x32x32\nclasses 10\nnorm bn\nshortcut A\n"
                   "conv1 3x3, 16\nstage [3x3, 16; 3x3, 16] x2\nhead avgpool, fc 10\n";

Network withTrain(const std::string &section) { return build(std::string(kNet) + section); }

TEST(TrainSection, LexesPercentAndRanges) {
  std::vector<Token> t = lex(SourceFile("t", "50% 256..512 .5"));
  ASSERT_EQ(t.size(), 7u);
  EXPECT_EQ(t[1].kind, Tok::Percent);
  EXPECT_EQ(t[2].value, 256);
  EXPECT_EQ(t[3].kind, Tok::DotDot);
  EXPECT_EQ(t[4].value, 512);
  EXPECT_EQ(t[5].kind, Tok::Float);
}

TEST(TrainSection, EveryKey) {
  Network n = withTrain("train\n"
                        "  batch 64\n  lr 0.05\n  momentum 0.8\n  weight_decay 5e-4\n"
                        "  epochs 2.5\n  schedule step epoch 1, epoch 2\n  gamma 0.2\n"
                        "  patience 3\n  warmup 0.01 until error 80%\n"
                        "  augment scale 40..48, flip, color 0.1\n  mean none\n  seed 7\n"
                        "end\n");
  const TrainRecipe &r = n.train;
  EXPECT_TRUE(n.hasTrain);
  EXPECT_EQ(r.batch, 64);
  EXPECT_DOUBLE_EQ(r.lr, 0.05);
  EXPECT_DOUBLE_EQ(r.momentum, 0.8);
  EXPECT_DOUBLE_EQ(r.weightDecay, 5e-4);
  EXPECT_DOUBLE_EQ(r.epochs, 2.5);
  EXPECT_EQ(r.iterations, 0); // the CIFAR default's 64000 is cleared
  EXPECT_EQ(r.schedule, TrainRecipe::Schedule::Step);
  EXPECT_EQ(r.milestones, (std::vector<LrMilestone>{{Unit::Epoch, 1}, {Unit::Epoch, 2}}));
  EXPECT_DOUBLE_EQ(r.gamma, 0.2);
  EXPECT_EQ(r.patience, 3);
  EXPECT_DOUBLE_EQ(r.warmupLr, 0.01);
  EXPECT_DOUBLE_EQ(r.warmupUntilError, 0.8);
  EXPECT_EQ(r.pad, 0); // augment replaces the default's pad 4
  EXPECT_EQ(r.scaleMin, 40);
  EXPECT_EQ(r.scaleMax, 48);
  EXPECT_TRUE(r.flip);
  EXPECT_FLOAT_EQ(r.colourShift, 0.1f);
  EXPECT_EQ(r.mean, TrainRecipe::Mean::None);
  EXPECT_EQ(r.seed, 7u);
}

TEST(TrainSection, AnywhereWithOptionalEqualsAndComments) {
  Network a = build("train\n  lr = 0.2   # comment\n\n  schedule step 50%, 75%\nend\n" +
                    std::string(kNet));
  EXPECT_TRUE(a.hasTrain);
  EXPECT_DOUBLE_EQ(a.train.lr, 0.2);
  EXPECT_EQ(a.train.milestones,
            (std::vector<LrMilestone>{{Unit::Percent, 50}, {Unit::Percent, 75}}));
  EXPECT_EQ(a.train.iterations, 64000); // from the defaults
}

TEST(TrainSection, TrainIsStillALabel) {
  Network n = build("input 3x32x32\ntrain 3x3, 8\nfc 10\n");
  EXPECT_FALSE(n.hasTrain);
  EXPECT_EQ(n.rows.front().label, "train");
}

TEST(TrainSection, PrintsCanonicallyAndReparses) {
  std::string text = std::string(kNet) +
                     "train\n  lr 1E-2\n  iterations 100\n  schedule step 10,20\n"
                     "  augment flip,pad 4\n  warmup 0.001 until error 57.3%\nend\n";
  Program p = parse(SourceFile("t.net", text));
  std::string canon = print(p);
  EXPECT_NE(canon.find("train\n  lr 0.01\n  iterations 100\n  schedule step 10, 20\n"
                       "  augment pad 4, flip\n  warmup 0.001 until error 57.3%\nend\n"),
            std::string::npos)
      << canon;
  Program q = parse(SourceFile("c.net", canon));
  EXPECT_EQ(print(q), canon);
  EXPECT_EQ(elaborate(p).train, elaborate(q).train);
}

TEST(TrainSection, CanonicalRecipeReparses) {
  TrainRecipe r = withTrain("train\n  warmup 0.01 until error 80%\nend\n").train;
  std::string text = std::string(kNet) + canonicalRecipe(r);
  EXPECT_EQ(build(text).train, r) << text;
  EXPECT_EQ(canonicalRecipe(r).find("epochs"), std::string::npos);
}

// ---- defaults per family -------------------------------------------------------

TEST(TrainDefaults, CifarResNetIsSection42) {
  Network n = loadNetwork(examplePath("cifar/plain.net")).network; // no train section
  EXPECT_FALSE(n.hasTrain);
  const TrainRecipe &r = n.train;
  EXPECT_EQ(r.batch, 128);
  EXPECT_DOUBLE_EQ(r.lr, 0.1);
  EXPECT_DOUBLE_EQ(r.weightDecay, 1e-4);
  EXPECT_EQ(r.iterations, 64000);
  EXPECT_EQ(r.milestones,
            (std::vector<LrMilestone>{{Unit::Iteration, 32000}, {Unit::Iteration, 48000}}));
  EXPECT_EQ(r.pad, 4);
  EXPECT_TRUE(r.flip);
  EXPECT_EQ(r.mean, TrainRecipe::Mean::Pixel);
}

TEST(TrainDefaults, ImageNetResNetIsSection34) {
  const TrainRecipe &r = loadNetwork(examplePath("resnet/resnet50.net")).network.train;
  EXPECT_EQ(r.batch, 256);
  EXPECT_EQ(r.iterations, 600000);
  EXPECT_EQ(r.schedule, TrainRecipe::Schedule::Plateau);
  EXPECT_EQ(std::make_pair(r.scaleMin, r.scaleMax), std::make_pair(int64_t(256), int64_t(480)));
  EXPECT_FLOAT_EQ(r.colourShift, 0.1f);
  EXPECT_EQ(r.mean, TrainRecipe::Mean::Pixel);
  // Plain-34 (BN, no shortcuts) is trained the same way.
  EXPECT_EQ(loadNetwork(examplePath("resnet/plain34.net")).network.train, r);
}

TEST(TrainDefaults, VggIsSection31) {
  const TrainRecipe &r = loadNetwork(examplePath("vgg/e.net")).network.train;
  EXPECT_EQ(r.batch, 256);
  EXPECT_DOUBLE_EQ(r.lr, 1e-2);
  EXPECT_DOUBLE_EQ(r.weightDecay, 5e-4);
  EXPECT_DOUBLE_EQ(r.epochs, 74);
  EXPECT_EQ(r.iterations, 0);
  EXPECT_EQ(r.schedule, TrainRecipe::Schedule::Plateau);
  EXPECT_EQ(std::make_pair(r.scaleMin, r.scaleMax), std::make_pair(int64_t(256), int64_t(512)));
  EXPECT_EQ(r.mean, TrainRecipe::Mean::Channel);
  // vgg/a.net writes the same recipe out.
  Network a = loadNetwork(examplePath("vgg/a.net")).network;
  EXPECT_TRUE(a.hasTrain);
  EXPECT_EQ(a.train, r);
}

TEST(TrainDefaults, ExamplesWithSections) {
  Network c = loadNetwork(examplePath("cifar/resnet.net")).network;
  EXPECT_TRUE(c.hasTrain);
  EXPECT_EQ(c.train, defaultRecipe(c));
  Network f = loadNetwork(examplePath("fashion/resnet20.net")).network;
  EXPECT_TRUE(f.hasTrain);
  EXPECT_DOUBLE_EQ(f.train.epochs, 3);
  EXPECT_EQ(f.train.iterations, 0);
  EXPECT_EQ(f.train.pad, 0);
  EXPECT_TRUE(f.train.flip);
  EXPECT_DOUBLE_EQ(f.train.weightDecay, 5e-4);
  EXPECT_EQ(f.train.mean, TrainRecipe::Mean::Channel);
}

TEST(TrainDefaults, ExamplesPrintCanonically) {
  Program p = parse(*readSourceFile(examplePath("fashion/resnet20.net")));
  std::string text = print(p);
  EXPECT_NE(text.find("train\n  batch 128\n  lr 0.1\n  momentum 0.9\n  weight_decay 0.0005\n"
                      "  epochs 3\n  schedule step 50%, 75%\n  gamma 0.1\n  augment flip\n"
                      "  mean channel\n  seed 0\nend\n"),
            std::string::npos)
      << text;
}

TEST(TrainDefaults, TheSectionDoesNotChangeTheCanonicalNetwork) {
  // Weights files compare the canonical text: retraining is the same network.
  EXPECT_EQ(loadNetwork(examplePath("cifar/resnet.net")).canonical.find("train"),
            std::string::npos);
}

// ---- --set overrides -------------------------------------------------------------

TEST(TrainOverride, SameKeysAndValuesAsTheSection) {
  TrainRecipe r = withTrain("").train;
  applyTrainOverride(r, "lr=0.05");
  applyTrainOverride(r, "schedule=step 50%,75%");
  applyTrainOverride(r, "augment=pad 2, flip");
  applyTrainOverride(r, " epochs = 3");
  applyTrainOverride(r, "warmup=0.01 until error 80%");
  EXPECT_DOUBLE_EQ(r.lr, 0.05);
  EXPECT_EQ(r.milestones, (std::vector<LrMilestone>{{Unit::Percent, 50}, {Unit::Percent, 75}}));
  EXPECT_EQ(r.pad, 2);
  EXPECT_DOUBLE_EQ(r.epochs, 3);
  EXPECT_EQ(r.iterations, 0);
  EXPECT_DOUBLE_EQ(r.warmupLr, 0.01);
  applyTrainOverride(r, "iterations=10");
  EXPECT_EQ(r.iterations, 10);
  EXPECT_EQ(r.epochs, 0);
  applyTrainOverride(r, "warmup=none");
  EXPECT_EQ(r.warmupLr, 0);
}

std::string overrideError(const std::string &kv) {
  TrainRecipe r;
  try {
    applyTrainOverride(r, kv);
  } catch (const Error &e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for " << kv;
  return "";
}

TEST(TrainOverride, BadKeysAndValues) {
  EXPECT_EQ(overrideError("weight-decay=0"),
            "error: --set weight-decay=0: unknown training setting 'weight-decay'\n"
            "hint: did you mean 'weight_decay'?\n");
  EXPECT_EQ(overrideError("foo=1"),
            "error: --set foo=1: unknown training setting 'foo'\n"
            "hint: training settings are: batch, lr, momentum, weight_decay, iterations, "
            "epochs, schedule, gamma, patience, warmup, augment, mean, seed\n");
  EXPECT_EQ(overrideError("lr"), "error: --set lr: expected KEY=VALUE\nhint: for example: "
                                 "--set lr=0.05; training settings are: batch, lr, momentum, "
                                 "weight_decay, iterations, epochs, schedule, gamma, patience, "
                                 "warmup, augment, mean, seed\n");
  EXPECT_EQ(overrideError("lr=-0.1"),
            "error: --set lr=-0.1: the learning rate must be greater than 0\n");
  EXPECT_EQ(overrideError("momentum=1"), "error: --set momentum=1: momentum must be at least 0 "
                                         "and below 1\nhint: SGD momentum is usually 0.9\n");
  EXPECT_EQ(overrideError("batch=12.5"), "error: --set batch=12.5: 'batch' must be a whole "
                                         "number\nhint: for example: batch 128\n");
  EXPECT_EQ(overrideError("schedule=step 75%, 50%"),
            "error: --set schedule=step 75%, 50%: the milestones must increase: 50% comes "
            "after 75%\n"
            "hint: list them in the order they are reached\n");
  EXPECT_EQ(overrideError("schedule=step 150%"),
            "error: --set schedule=step 150%: a milestone must be greater than 0% and at most "
            "100%\n");
  EXPECT_EQ(overrideError("mean=pixels"),
            "error: --set mean=pixels: unknown mean 'pixels'\nhint: did you mean 'pixel'?\n");
  EXPECT_EQ(overrideError("lr=0.1\nbatch 3"), "error: --set lr=0.1\nbatch 3: a value is one line\n");
  EXPECT_EQ(overrideError("augment=colour 1e40"),
            "error: --set augment=colour 1e40: the colour shift must be between 0 and 10\n"
            "hint: it is the standard deviation of AlexNet's PCA lighting noise, usually 0.1\n");
  EXPECT_EQ(overrideError("lr="), "error: --set lr=: expected a value for 'lr'\n"
                                  "hint: for example: lr 0.1\n");
  EXPECT_EQ(overrideError("lr=0.1 0.2"), "error: --set lr=0.1 0.2: unexpected '0.2' after the "
                                         "value of 'lr'\nhint: for example: lr 0.1\n");
}

TEST(TrainRecipeText, DescribesTheRun) {
  Network c = loadNetwork(examplePath("cifar/resnet.net")).network;
  EXPECT_EQ(describeRecipe(c.train),
            "SGD with momentum 0.9 and weight decay 0.0001, batch 128, for 64000 iterations; "
            "learning rate 0.1, multiplied by 0.1 at iteration 32000 and iteration 48000; "
            "augmentation: random crops of the image zero-padded by 4 pixels and horizontal "
            "flips; per-pixel mean subtracted; seed 0.");
  Network v = loadNetwork(examplePath("vgg/a.net")).network;
  EXPECT_EQ(describeRecipe(v.train),
            "SGD with momentum 0.9 and weight decay 0.0005, batch 256, for 74 epochs; "
            "learning rate 0.01, multiplied by 0.1 when the validation error stops improving "
            "for 2 epochs; augmentation: random crops after rescaling the shorter side to a "
            "random size in [256, 512], horizontal flips and PCA colour shift (std 0.1); "
            "per-channel mean subtracted; seed 0.");
}

} // namespace
} // namespace netc::dsl::test
