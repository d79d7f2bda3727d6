#include "dsl/TrainRecipe.h"

#include "dsl/Ast.h"
#include "dsl/Network.h"
#include "dsl/Suggest.h"
#include "dsl/TrainParser.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace netc::dsl {

const std::vector<std::string> &trainKeys() {
  static const std::vector<std::string> k = {
      "batch",  "lr",     "momentum", "weight_decay", "iterations", "epochs", "schedule",
      "gamma",  "patience", "warmup", "augment",      "mean",       "seed"};
  return k;
}

bool TrainRecipe::operator==(const TrainRecipe &o) const {
  return batch == o.batch && lr == o.lr && momentum == o.momentum &&
         weightDecay == o.weightDecay && iterations == o.iterations && epochs == o.epochs &&
         schedule == o.schedule && milestones == o.milestones && gamma == o.gamma &&
         patience == o.patience && threshold == o.threshold && warmupLr == o.warmupLr &&
         warmupUntilError == o.warmupUntilError && pad == o.pad && scaleMin == o.scaleMin &&
         scaleMax == o.scaleMax && flip == o.flip && mean == o.mean &&
         colourShift == o.colourShift && seed == o.seed;
}

// ---- defaults -----------------------------------------------------------------

namespace {

bool has(const Network &net, Op op) {
  for (const Layer &l : net.layers)
    if (l.op == op)
      return true;
  return false;
}

// He et al. 2016, section 4.2: CIFAR-10, plain and residual nets alike.
TrainRecipe cifarResNet() {
  TrainRecipe r;
  r.batch = 128;
  r.lr = 0.1;
  r.momentum = 0.9;
  r.weightDecay = 1e-4;
  r.iterations = 64000;
  r.schedule = TrainRecipe::Schedule::Step;
  r.milestones = {{LrMilestone::Unit::Iteration, 32000}, {LrMilestone::Unit::Iteration, 48000}};
  r.gamma = 0.1;
  r.pad = 4;
  r.flip = true;
  r.mean = TrainRecipe::Mean::Pixel;
  return r;
}

// He et al. 2016, section 3.4: ImageNet.
TrainRecipe imagenetResNet() {
  TrainRecipe r;
  r.batch = 256;
  r.lr = 0.1;
  r.momentum = 0.9;
  r.weightDecay = 1e-4;
  r.iterations = 600000;
  r.schedule = TrainRecipe::Schedule::Plateau;
  r.gamma = 0.1;
  r.scaleMin = 256;
  r.scaleMax = 480;
  r.flip = true;
  r.colourShift = 0.1f;
  r.mean = TrainRecipe::Mean::Pixel;
  return r;
}

// Simonyan & Zisserman 2015, section 3.1 (multi-scale training, S in [256, 512]).
TrainRecipe vgg() {
  TrainRecipe r;
  r.batch = 256;
  r.lr = 1e-2;
  r.momentum = 0.9;
  r.weightDecay = 5e-4;
  r.epochs = 74;
  r.schedule = TrainRecipe::Schedule::Plateau;
  r.gamma = 0.1;
  r.scaleMin = 256;
  r.scaleMax = 512;
  r.flip = true;
  r.colourShift = 0.1f;
  r.mean = TrainRecipe::Mean::Channel;
  return r;
}

} // namespace

TrainRecipe defaultRecipe(const Network &net) {
  if (net.input.h <= 64 && net.input.w <= 64)
    return cifarResNet();
  if (has(net, Op::Add) || has(net, Op::BatchNorm))
    return imagenetResNet();
  return vgg();
}

void copyTrainKey(TrainRecipe &to, const TrainRecipe &from, const std::string &key) {
  if (key == "batch") {
    to.batch = from.batch;
  } else if (key == "lr") {
    to.lr = from.lr;
  } else if (key == "momentum") {
    to.momentum = from.momentum;
  } else if (key == "weight_decay") {
    to.weightDecay = from.weightDecay;
  } else if (key == "iterations" || key == "epochs") {
    to.iterations = key == "iterations" ? from.iterations : 0;
    to.epochs = key == "epochs" ? from.epochs : 0;
  } else if (key == "schedule") {
    to.schedule = from.schedule;
    to.milestones = from.milestones;
  } else if (key == "gamma") {
    to.gamma = from.gamma;
  } else if (key == "patience") {
    to.patience = from.patience;
  } else if (key == "warmup") {
    to.warmupLr = from.warmupLr;
    to.warmupUntilError = from.warmupUntilError;
  } else if (key == "augment") {
    to.pad = from.pad;
    to.scaleMin = from.scaleMin;
    to.scaleMax = from.scaleMax;
    to.flip = from.flip;
    to.colourShift = from.colourShift;
  } else if (key == "mean") {
    to.mean = from.mean;
  } else if (key == "seed") {
    to.seed = from.seed;
  }
}

TrainRecipe resolveRecipe(const Network &net, const TrainSection &section) {
  TrainRecipe r = defaultRecipe(net);
  for (const TrainSection::Key &k : section.keys)
    copyTrainKey(r, section.values, k.name);
  return r;
}

// ---- overrides ------------------------------------------------------------------

namespace {

std::string trim(const std::string &s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

[[noreturn]] void overrideError(const std::string &text, const std::string &msg,
                                const std::string &hint) {
  throw Error(render(Diagnostic({}, "--set " + text + ": " + msg, hint), nullptr));
}

std::string keyList() {
  std::string s;
  for (const std::string &k : trainKeys())
    s += (s.empty() ? "" : ", ") + k;
  return "training settings are: " + s;
}

} // namespace

void applyTrainOverride(TrainRecipe &recipe, const std::string &text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || trim(text.substr(0, eq)).empty())
    overrideError(text, "expected KEY=VALUE", "for example: --set lr=0.05; " + keyList());
  std::string key = trim(text.substr(0, eq));
  const auto &keys = trainKeys();
  if (std::find(keys.begin(), keys.end(), key) == keys.end())
    overrideError(text, "unknown training setting '" + key + "'",
                  didYouMean(key, keys, keyList()));
  TrainRecipe parsed = recipe;
  try {
    SourceFile f("--set", text.substr(eq + 1));
    std::vector<Token> toks = lex(f);
    size_t pos = 0;
    parseTrainValue(key, toks, pos, parsed);
    if (toks[pos].kind != Tok::End)
      overrideError(text, "a value is one line", "");
  } catch (const Diagnostic &d) {
    overrideError(text, d.message, d.hint);
  }
  copyTrainKey(recipe, parsed, key);
}

// ---- canonical text ---------------------------------------------------------------

namespace {

// The shortest text that reads back as v; whole
// numbers below 2^31 without a point, larger ones with an exponent (the
// lexer takes whole numbers below 2^31 only).
std::string number(double v) {
  if (v == std::floor(v) && std::fabs(v) < 2147483648.0)
    return std::to_string(static_cast<int64_t>(v));
  const char *fmt = std::fabs(v) >= 1e9 ? "%.*e" : "%.*g";
  char buf[40];
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, fmt, prec, v);
    if (std::strtod(buf, nullptr) == v)
      break;
  }
  return buf;
}

// The shortest text that reads back as the same float.
std::string number(float f) {
  char buf[40];
  for (int prec = 1; prec <= 9; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, static_cast<double>(f));
    if (static_cast<float>(std::strtod(buf, nullptr)) == f)
      break;
  }
  return number(std::strtod(buf, nullptr));
}

// A fraction as a percentage that reads back (divided by 100) as the same
// fraction: the shortest such text among v*100 and its neighbours.
std::string percentOf(double v) {
  double x = v * 100;
  std::string best;
  for (double d : {x, std::nextafter(x, 0.0), std::nextafter(x, 1e300)}) {
    std::string t = number(d);
    if (std::strtod(t.c_str(), nullptr) / 100 == v && (best.empty() || t.size() < best.size()))
      best = t;
  }
  return best.empty() ? number(x) : best;
}

std::string milestone(const LrMilestone &m) {
  switch (m.unit) {
  case LrMilestone::Unit::Iteration: return number(m.at);
  case LrMilestone::Unit::Epoch: return "epoch " + number(m.at);
  case LrMilestone::Unit::Percent: return number(m.at) + "%";
  }
  return "";
}

std::string scheduleText(const TrainRecipe &r) {
  if (r.schedule == TrainRecipe::Schedule::Constant)
    return "constant";
  if (r.schedule == TrainRecipe::Schedule::Plateau)
    return "plateau";
  std::string s = "step";
  for (size_t k = 0; k < r.milestones.size(); ++k)
    s += (k ? ", " : " ") + milestone(r.milestones[k]);
  return s;
}

std::string augmentText(const TrainRecipe &r) {
  std::vector<std::string> items;
  if (r.pad > 0)
    items.push_back("pad " + std::to_string(r.pad));
  if (r.scaleMin > 0)
    items.push_back("scale " + std::to_string(r.scaleMin) +
                    (r.scaleMax != r.scaleMin ? ".." + std::to_string(r.scaleMax) : ""));
  if (r.flip)
    items.push_back("flip");
  if (r.colourShift > 0)
    items.push_back("colour " + number(r.colourShift));
  std::string s;
  for (const std::string &i : items)
    s += (s.empty() ? "" : ", ") + i;
  return s.empty() ? "none" : s;
}

const char *meanText(TrainRecipe::Mean m) {
  switch (m) {
  case TrainRecipe::Mean::None: return "none";
  case TrainRecipe::Mean::Channel: return "channel";
  case TrainRecipe::Mean::Pixel: return "pixel";
  }
  return "?";
}

} // namespace

std::string trainValueText(const TrainRecipe &r, const std::string &key) {
  if (key == "batch") return std::to_string(r.batch);
  if (key == "lr") return number(r.lr);
  if (key == "momentum") return number(r.momentum);
  if (key == "weight_decay") return number(r.weightDecay);
  if (key == "iterations") return std::to_string(r.iterations);
  if (key == "epochs") return number(r.epochs);
  if (key == "schedule") return scheduleText(r);
  if (key == "gamma") return number(r.gamma);
  if (key == "patience") return std::to_string(r.patience);
  if (key == "warmup")
    return r.warmupLr > 0 ? number(r.warmupLr) + " until error " +
                                percentOf(r.warmupUntilError) + "%"
                          : "none";
  if (key == "augment") return augmentText(r);
  if (key == "mean") return meanText(r.mean);
  if (key == "seed") return std::to_string(r.seed);
  return "";
}

std::string canonicalRecipe(const TrainRecipe &r) {
  std::string s = "train\n";
  for (const std::string &k : trainKeys()) {
    if ((k == "iterations" && r.iterations <= 0) || (k == "epochs" && r.epochs <= 0))
      continue;
    s += "  " + k + " " + trainValueText(r, k) + "\n";
  }
  return s + "end\n";
}

// ---- in words -----------------------------------------------------------------------

namespace {

std::string lengthWords(const TrainRecipe &r) {
  if (r.iterations > 0)
    return std::to_string(r.iterations) + " iterations";
  return number(r.epochs) + (r.epochs == 1 ? " epoch" : " epochs");
}

std::string scheduleWords(const TrainRecipe &r) {
  std::string factor = "multiplied by " + number(r.gamma);
  if (r.schedule == TrainRecipe::Schedule::Constant)
    return "kept constant";
  if (r.schedule == TrainRecipe::Schedule::Plateau)
    return factor + " when the validation error stops improving for " +
           std::to_string(r.patience) + " epochs";
  std::string at;
  for (size_t k = 0; k < r.milestones.size(); ++k) {
    const LrMilestone &m = r.milestones[k];
    std::string v = m.unit == LrMilestone::Unit::Iteration ? "iteration " + number(m.at)
                    : m.unit == LrMilestone::Unit::Epoch   ? "epoch " + number(m.at)
                                                           : number(m.at) + "% of the run";
    at += (k == 0 ? "" : k + 1 == r.milestones.size() ? " and " : ", ") + v;
  }
  return factor + " at " + at;
}

std::string augmentWords(const TrainRecipe &r) {
  std::vector<std::string> w;
  if (r.pad > 0)
    w.push_back("random crops of the image zero-padded by " + std::to_string(r.pad) + " pixels");
  if (r.scaleMin > 0)
    w.push_back("random crops after rescaling the shorter side to " +
                (r.scaleMax != r.scaleMin ? "a random size in [" + std::to_string(r.scaleMin) +
                                                ", " + std::to_string(r.scaleMax) + "]"
                                          : std::to_string(r.scaleMin)));
  if (r.flip)
    w.push_back("horizontal flips");
  if (r.colourShift > 0)
    w.push_back("PCA colour shift (std " + number(r.colourShift) + ")");
  std::string s;
  for (size_t k = 0; k < w.size(); ++k)
    s += (k == 0 ? "" : k + 1 == w.size() ? " and " : ", ") + w[k];
  return s.empty() ? "no augmentation" : "augmentation: " + s;
}

} // namespace

std::string describeRecipe(const TrainRecipe &r) {
  std::ostringstream os;
  os << "SGD with momentum " << number(r.momentum) << " and weight decay "
     << number(r.weightDecay) << ", batch " << r.batch << ", for " << lengthWords(r)
     << "; learning rate " << number(r.lr) << ", " << scheduleWords(r);
  if (r.warmupLr > 0)
    os << ", after a warm-up at " << number(r.warmupLr) << " until the training error is below "
       << percentOf(r.warmupUntilError) << "%";
  os << "; " << augmentWords(r) << "; ";
  switch (r.mean) {
  case TrainRecipe::Mean::None: os << "no mean subtracted"; break;
  case TrainRecipe::Mean::Channel: os << "per-channel mean subtracted"; break;
  case TrainRecipe::Mean::Pixel: os << "per-pixel mean subtracted"; break;
  }
  os << "; seed " << r.seed << ".";
  return os.str();
}

} // namespace netc::dsl
