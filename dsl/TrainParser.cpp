#include "dsl/TrainParser.h"
#include "dsl/TokenCursor.h"

#include "dsl/Suggest.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

namespace netc::dsl {

std::string trainKeyExample(const std::string &key) {
  static const std::vector<std::pair<std::string, std::string>> ex = {
      {"batch", "batch 128"},
      {"lr", "lr 0.1"},
      {"momentum", "momentum 0.9"},
      {"weight_decay", "weight_decay 1e-4"},
      {"iterations", "iterations 64000"},
      {"epochs", "epochs 74"},
      {"schedule", "schedule step 32000, 48000 (or: step epoch 30, epoch 60; "
                   "step 50%, 75%; constant; plateau)"},
      {"gamma", "gamma 0.1"},
      {"patience", "patience 2"},
      {"warmup", "warmup 0.01 until error 80% (or: warmup none)"},
      {"augment", "augment pad 4, flip (or: scale 256..512, flip, colour 0.1; none)"},
      {"mean", "mean pixel (one of: none, channel, pixel)"},
      {"seed", "seed 0"},
  };
  for (const auto &[k, e] : ex)
    if (k == key)
      return "for example: " + e;
  return "";
}

namespace {

std::string keyList() {
  std::string s;
  for (const std::string &k : trainKeys())
    s += (s.empty() ? "" : ", ") + k;
  return "settings are: " + s;
}

bool isTrainKey(const std::string &w) {
  const auto &k = trainKeys();
  return std::find(k.begin(), k.end(), w) != k.end();
}

std::string numberText(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string milestoneText(const LrMilestone &m) {
  std::string v = numberText(m.at);
  return m.unit == LrMilestone::Unit::Epoch ? "epoch " + v
         : m.unit == LrMilestone::Unit::Percent ? v + "%" : v;
}

/// A number as written, with where it is (a leading '-' included).
struct Num {
  double v = 0;
  bool whole = false; // written without '.' or exponent
  Loc loc;
  int len = 1;
};

class TrainParser : TokenCursor {
public:
  using TokenCursor::TokenCursor;

  TrainSection section() {
    TrainSection s;
    s.present = true;
    s.loc = take().loc; // 'train'
    while (!(at(Tok::Ident) && cur().text == "end")) {
      if (at(Tok::End))
        throw Diagnostic(s.loc, "the 'train' section has no 'end'",
                         "close the section with a line containing 'end'", 5);
      if (accept(Tok::Newline))
        continue;
      entry(s);
    }
    take(); // end
    return s;
  }

  // The value of `key` up to the end of its line.
  void valueLine(const std::string &key, TrainRecipe &r) {
    accept(Tok::Equals);
    if (atEol())
      fail(cur(), "expected a value for '" + key + "'", trainKeyExample(key));
    value(key, r);
    if (!atEol())
      fail(cur(), "unexpected " + describe(cur()) + " after the value of '" + key + "'",
           trainKeyExample(key));
  }

private:
  using TokenCursor::fail;
  bool atWord(const char *w) const { return at(Tok::Ident) && cur().text == w; }
  [[noreturn]] static void fail(const Num &n, const std::string &msg, const std::string &hint = "") {
    throw Diagnostic(n.loc, msg, hint, n.len);
  }

  // ---- entries ------------------------------------------------------------

  void entry(TrainSection &s) {
    const Token &k = cur();
    if (k.kind != Tok::Ident)
      fail(k, "expected a training setting, found " + describe(k), keyList());
    if (!isTrainKey(k.text))
      fail(k, "unknown training setting '" + k.text + "'", didYouMean(k.text, trainKeys(), keyList()));
    for (const TrainSection::Key &p : s.keys)
      if (p.name == k.text)
        throw Diagnostic(k.loc, "'" + k.text + "' is set twice in the train section", "",
                         lengthOf(k))
            .note(p.loc, "first set here");
    checkOneLength(s, k);
    take();
    valueLine(k.text, s.values);
    s.keys.push_back({k.text, k.loc});
  }

  static void checkOneLength(const TrainSection &s, const Token &k) {
    const char *other = k.text == "epochs" ? "iterations" : k.text == "iterations" ? "epochs" : "";
    for (const TrainSection::Key &p : s.keys)
      if (p.name == other)
        throw Diagnostic(k.loc, "both 'iterations' and 'epochs' give the length of training",
                         "keep one of them", lengthOf(k))
            .note(p.loc, std::string("'") + other + "' is set here");
  }

  void value(const std::string &key, TrainRecipe &r) {
    if (key == "batch")
      r.batch = whole(key, 1, 1 << 20);
    else if (key == "lr")
      r.lr = positive("the learning rate");
    else if (key == "momentum")
      r.momentum = momentum();
    else if (key == "weight_decay")
      r.weightDecay = nonNegative("the weight decay");
    else if (key == "iterations")
      r.iterations = whole(key, 1, kMaxWhole);
    else if (key == "epochs")
      r.epochs = positive("the number of epochs");
    else if (key == "schedule")
      schedule(r);
    else if (key == "gamma")
      r.gamma = gamma();
    else if (key == "patience")
      r.patience = whole(key, 0, 1000000);
    else if (key == "warmup")
      warmup(r);
    else if (key == "augment")
      augment(r);
    else if (key == "mean")
      r.mean = mean();
    else
      r.seed = static_cast<uint64_t>(whole(key, 0, kMaxWhole));
  }

  static constexpr int64_t kMaxWhole = 2147483647;

  // ---- numbers --------------------------------------------------------------

  Num number(const std::string &what) {
    Num n;
    n.loc = cur().loc;
    bool minus = at(Tok::Minus);
    if (minus)
      take();
    if (!at(Tok::Int) && !at(Tok::Float))
      fail(cur(), "expected " + what + ", found " + describe(cur()));
    const Token &t = take();
    n.whole = t.kind == Tok::Int;
    n.v = (t.kind == Tok::Int ? static_cast<double>(t.value) : t.real) * (minus ? -1 : 1);
    n.len = t.loc.line == n.loc.line ? t.loc.col + lengthOf(t) - n.loc.col : lengthOf(t);
    if (!std::isfinite(n.v))
      fail(n, what + " must be a finite number");
    return n;
  }

  int64_t whole(const std::string &key, int64_t lo, int64_t hi) {
    Num n = number("a whole number");
    if (!n.whole)
      fail(n, "'" + key + "' must be a whole number", trainKeyExample(key));
    if (n.v < static_cast<double>(lo) || n.v > static_cast<double>(hi))
      fail(n, "'" + key + "' must be between " + std::to_string(lo) + " and " + std::to_string(hi),
           trainKeyExample(key));
    return static_cast<int64_t>(n.v);
  }

  double positive(const std::string &what) {
    Num n = number("a number");
    if (!(n.v > 0))
      fail(n, what + " must be greater than 0");
    return n.v;
  }

  double nonNegative(const std::string &what) {
    Num n = number("a number");
    if (n.v < 0)
      fail(n, what + " must not be negative");
    return n.v;
  }

  double momentum() {
    Num n = number("a number");
    if (n.v < 0 || n.v >= 1)
      fail(n, "momentum must be at least 0 and below 1", "SGD momentum is usually 0.9");
    return n.v;
  }

  double gamma() {
    Num n = number("a number");
    if (!(n.v > 0) || n.v > 1)
      fail(n, "'gamma' must be greater than 0 and at most 1",
           "the learning rate is multiplied by gamma: 0.1 divides it by 10");
    return n.v;
  }

  double percent(const std::string &what) {
    Num n = number("a percentage");
    if (!at(Tok::Percent))
      fail(cur(), "expected '%' after " + what, "write it as a percentage, for example: 80%");
    take();
    if (!(n.v > 0) || n.v > 100)
      fail(n, what + " must be greater than 0% and at most 100%");
    return n.v;
  }

  // A word from `allowed`, with a suggestion for a near miss.
  std::string word(const std::string &what, const std::vector<std::string> &allowed) {
    std::string list;
    for (const std::string &a : allowed)
      list += (list.empty() ? "" : ", ") + a;
    if (!at(Tok::Ident))
      fail(cur(), "expected " + what + ", found " + describe(cur()), "one of: " + list);
    const Token &w = take();
    if (std::find(allowed.begin(), allowed.end(), w.text) == allowed.end())
      fail(w, "unknown " + what + " '" + w.text + "'", didYouMean(w.text, allowed, "one of: " + list));
    return w.text;
  }

  // ---- structured values ----------------------------------------------------

  TrainRecipe::Mean mean() {
    std::string w = word("mean", {"none", "channel", "pixel"});
    return w == "none" ? TrainRecipe::Mean::None
           : w == "channel" ? TrainRecipe::Mean::Channel
                            : TrainRecipe::Mean::Pixel;
  }

  void schedule(TrainRecipe &r) {
    std::string w = word("schedule", {"step", "constant", "plateau"});
    r.milestones.clear();
    r.schedule = w == "step" ? TrainRecipe::Schedule::Step
                 : w == "constant" ? TrainRecipe::Schedule::Constant
                                   : TrainRecipe::Schedule::Plateau;
    if (w != "step")
      return;
    if (atEol())
      fail(cur(), "expected the milestones after 'step'", trainKeyExample("schedule"));
    do {
      milestone(r.milestones);
    } while (accept(Tok::Comma));
  }

  static const char *unitName(LrMilestone::Unit u) {
    switch (u) {
    case LrMilestone::Unit::Iteration: return "iterations";
    case LrMilestone::Unit::Epoch: return "epochs";
    case LrMilestone::Unit::Percent: return "percentages";
    }
    return "?";
  }

  // 32000 (iterations) | epoch 91 | 50%
  void milestone(std::vector<LrMilestone> &ms) {
    LrMilestone m;
    Loc loc = cur().loc;
    bool epoch = atWord("epoch");
    if (epoch)
      take();
    Num n = number("a milestone");
    n.len += n.loc.col - loc.col;
    n.loc = loc;
    if (epoch) {
      m.unit = LrMilestone::Unit::Epoch;
      if (!(n.v > 0))
        fail(n, "an epoch milestone must be greater than 0");
    } else if (at(Tok::Percent)) {
      m.unit = LrMilestone::Unit::Percent;
      n.len += 1;
      take();
      if (!(n.v > 0) || n.v > 100)
        fail(n, "a milestone must be greater than 0% and at most 100%");
    } else if (!n.whole || n.v < 1) {
      fail(n, "an iteration milestone must be a whole number of at least 1",
           "write epochs as 'epoch 2.5' and fractions of the run as '50%'");
    }
    m.at = n.v;
    if (!ms.empty() && ms.back().unit != m.unit)
      fail(n, std::string("the milestones mix ") + unitName(ms.front().unit) + " and " +
                  unitName(m.unit),
           "write every milestone the same way: iterations (32000), 'epoch N' or 'N%'");
    if (!ms.empty() && !(m.at > ms.back().at))
      fail(n, "the milestones must increase: " + milestoneText(m) + " comes after " +
                  milestoneText(ms.back()),
           "list them in the order they are reached");
    ms.push_back(m);
  }

  // warmup 0.01 until error 80% | warmup none
  void warmup(TrainRecipe &r) {
    if (atWord("none")) {
      take();
      r.warmupLr = 0;
      r.warmupUntilError = TrainRecipe().warmupUntilError;
      return;
    }
    r.warmupLr = positive("the warm-up learning rate");
    if (!atWord("until"))
      fail(cur(), "expected 'until error P%' after the warm-up learning rate",
           trainKeyExample("warmup"));
    take();
    if (!atWord("error"))
      fail(cur(), "expected 'error' after 'until'", trainKeyExample("warmup"));
    take();
    r.warmupUntilError = percent("the training error") / 100;
  }

  // augment none | augment item {, item}; item: pad N, scale A[..B], flip, colour S
  void augment(TrainRecipe &r) {
    const TrainRecipe clean;
    r.pad = 0;
    r.scaleMin = r.scaleMax = 0;
    r.flip = false;
    r.colourShift = clean.colourShift;
    if (atWord("none")) {
      take();
      return;
    }
    std::set<std::string> seen;
    do {
      augmentItem(r, seen);
    } while (accept(Tok::Comma));
  }

  void augmentItem(TrainRecipe &r, std::set<std::string> &seen) {
    const Token &a = cur();
    const std::vector<std::string> items = {"pad", "scale", "flip", "colour"};
    if (a.kind != Tok::Ident)
      fail(a, "expected an augmentation, found " + describe(a), trainKeyExample("augment"));
    std::string name = a.text == "color" ? "colour" : a.text;
    if (std::find(items.begin(), items.end(), name) == items.end())
      fail(a, "unknown augmentation '" + a.text + "'",
           didYouMean(a.text, items, "augmentations are: pad N, scale A..B, flip, colour S"));
    if (seen.count(name))
      fail(a, "'" + name + "' is listed twice");
    if ((name == "pad" && seen.count("scale")) || (name == "scale" && seen.count("pad")))
      fail(a, "'pad' and 'scale' cannot be combined",
           "pad-and-crop suits small images (CIFAR), scale-and-crop large ones (ImageNet)");
    seen.insert(name);
    take();
    if (name == "pad")
      r.pad = whole("pad", 0, 1024);
    else if (name == "scale")
      scale(r);
    else if (name == "flip")
      r.flip = true;
    else
      r.colourShift = colour();
  }

  float colour() {
    Num n = number("a number");
    if (n.v < 0 || n.v > 10)
      fail(n, "the colour shift must be between 0 and 10",
           "it is the standard deviation of AlexNet's PCA lighting noise, usually 0.1");
    return static_cast<float>(n.v);
  }

  // scale S | scale A..B: the shorter side is rescaled to S in [A, B].
  void scale(TrainRecipe &r) {
    r.scaleMin = r.scaleMax = whole("scale", 1, 65536);
    if (!accept(Tok::DotDot))
      return;
    Num top = number("the largest scale");
    if (!top.whole || top.v < static_cast<double>(r.scaleMin) || top.v > 65536)
      fail(top, "the scale range must end at a whole number between its start (" +
                    std::to_string(r.scaleMin) + ") and 65536",
           "for example: scale 256..512");
    r.scaleMax = static_cast<int64_t>(top.v);
  }
};

} // namespace

TrainSection parseTrainSection(const std::vector<Token> &toks, size_t &pos) {
  return TrainParser(toks, pos).section();
}

void parseTrainValue(const std::string &key, const std::vector<Token> &toks, size_t &pos,
                     TrainRecipe &into) {
  TrainParser(toks, pos).valueLine(key, into);
}

} // namespace netc::dsl
