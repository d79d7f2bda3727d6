#include "dsl/Elaborate.h"

#include "dsl/Parser.h"
#include "dsl/Printer.h"
#include "dsl/Suggest.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

namespace netc::dsl {

namespace {

// Bounds that keep a hostile or mistyped file from exhausting memory or time.
constexpr int64_t kMaxLayers = 200000;
constexpr int64_t kMaxRepeat = 100000;
constexpr int64_t kMaxDim = int64_t(1) << 24;
constexpr int kMaxCallDepth = 64;

/// The tensor the next layer reads.
struct Cursor {
  int id = 0;
  Shape shape;
};

/// How layers inside one summary row are named and where a block's stride goes.
struct Ctx {
  const Locals *locals = nullptr;
  std::string prefix;  // row name, e.g. "conv2_x.1"
  bool single = true;  // the row is one layer: its main layer takes the row name
  std::map<std::string, int> *counters = nullptr;
  int64_t *pendingStride = nullptr; // stride waiting for its layer in a block
};

int64_t checkedMul(int64_t a, int64_t b, Loc loc) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r))
    throw Diagnostic(loc, "the network is too large to count", "check the sizes on this line");
  return r;
}

int64_t checkedAdd(int64_t a, int64_t b, Loc loc) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r))
    throw Diagnostic(loc, "the network is too large to count", "check the sizes on this line");
  return r;
}

bool mentions(const ExprP &e, const std::string &name) {
  if (!e)
    return false;
  if (e->kind == Expr::Name)
    return e->name == name;
  return mentions(e->lhs, name) || mentions(e->rhs, name);
}

bool mentions(const std::vector<Item> &items, const std::string &name);
bool mentions(const Item &it, const std::string &name) {
  if (mentions(it.width, name) || mentions(it.stride, name) || mentions(it.pad, name) ||
      mentions(it.repeat, name))
    return true;
  for (const ExprP &a : it.args)
    if (mentions(a, name))
      return true;
  for (const auto &seq : it.seqs)
    if (mentions(seq, name))
      return true;
  return false;
}
bool mentions(const std::vector<Item> &items, const std::string &name) {
  return std::any_of(items.begin(), items.end(), [&](const Item &i) { return mentions(i, name); });
}

class Elaborator {
public:
  Elaborator(const Program &p, const std::vector<Override> &ov) : prog_(p), b_(p, ov) {
    for (const BlockDef &b : prog_.blocks)
      blocks_[b.name] = &b;
    for (const LayerLine &l : prog_.lines)
      if (!l.label.empty())
        labelsAhead_.insert(l.label);
  }

  Network run() {
    net_.name = prog_.name.empty() ? "net" : prog_.name;
    readSettings();
    Layer in;
    in.op = Op::Input;
    in.name = "input";
    in.out = net_.input;
    if (!b_.fromCommandLine("input"))
      in.loc = b_.value("input").loc;
    cur_ = {append(std::move(in)), net_.input};
    for (const LayerLine &line : prog_.lines)
      topLine(line);
    if (net_.layers.size() == 1)
      throw Diagnostic({1, 1}, "the network has no layers",
                       "add layers after the 'input' line, e.g. '3x3, 64'");
    dropFinalFcRelu();
    checkClasses();
    finishRows();
    return std::move(net_);
  }

private:
  const Program &prog_;
  Network net_;
  // Parameters and MACs of every layer so far: each layer's are checked, and
  // so are their sums (Network::totalParams/totalMacs, the summary rows).
  int64_t params_ = 0, macs_ = 0;
  Bindings b_;
  std::map<std::string, const BlockDef *> blocks_;
  std::map<std::string, int> kindCount_; // unlabelled rows: conv1, pool1, ...
  std::set<std::string> rowLabels_;
  std::set<std::string> labelsAhead_; // every label in the file
  std::vector<std::string> callStack_;
  Cursor cur_;
  int row_ = -1;
  std::string norm_, shortcut_, strideIn_, bias_;

  // ---- parameters ---------------------------------------------------------

  void readSettings() {
    norm_ = b_.word("norm", "none", {"bn", "none"});
    shortcut_ = b_.word("shortcut", "none", {"A", "B", "C", "none"});
    strideIn_ = b_.word("stride_in", "first", {"first", "3x3"});
    bias_ = b_.word("bias", "auto", {"auto", "yes", "no"});
    if (!b_.has("input"))
      throw Diagnostic({1, 1}, "the file has no 'input' statement",
                       "give the input shape, e.g. 'input 3x224x224'");
    const Value &v = b_.value("input");
    if (v.kind != Value::Dims || v.dims.size() != 3)
      b_.badValue("input", "'input' must be a shape CxHxW", "for example: input 3x224x224");
    for (int64_t d : v.dims)
      if (d < 1 || d > kMaxDim)
        b_.badValue("input", "input dimensions must be between 1 and 16777216", "");
    net_.input = {v.dims[0], v.dims[1], v.dims[2]};
    if (b_.has("classes")) {
      int64_t c = b_.value("classes").kind == Value::Number ? b_.number("classes") : 0;
      if (c < 1 || c > kMaxDim)
        b_.badValue("classes", "'classes' must be a whole number between 1 and 16777216",
                 "for example: classes 1000");
      net_.classes = c;
    }
    for (const std::string &n : b_.order())
      net_.bindings.push_back(n + "=" + b_.text(n));
  }

  int64_t evalIn(const ExprP &e, const Ctx &c, int64_t dflt, int64_t lo, int64_t hi,
                 const char *what) {
    if (!e)
      return dflt;
    int64_t v = b_.eval(e, c.locals);
    if (v < lo || v > hi)
      throw Diagnostic(e->loc, std::string(what) + " must be between " + std::to_string(lo) +
                                   " and " + std::to_string(hi) + ", not " + std::to_string(v));
    return v;
  }

  // ---- layers and rows -------------------------------------------------------

  int append(Layer l) {
    if (static_cast<int64_t>(net_.layers.size()) >= kMaxLayers)
      throw Diagnostic(l.loc, "the network has more than " + std::to_string(kMaxLayers) + " layers",
                       "check the repeat counts");
    params_ = checkedAdd(params_, l.params, l.loc);
    macs_ = checkedAdd(macs_, l.macs, l.loc);
    l.id = static_cast<int>(net_.layers.size());
    l.row = row_;
    net_.layers.push_back(std::move(l));
    return net_.layers.back().id;
  }

  Cursor add(Layer l, const Cursor &in) {
    l.inputs.push_back(in.id);
    Shape s = l.out;
    return {append(std::move(l)), s};
  }

  static std::string name(Ctx &c, const std::string &kind, bool primary) {
    if (c.single)
      return primary ? c.prefix : c.prefix + "." + kind;
    return c.prefix + "." + kind + std::to_string(++(*c.counters)[kind]);
  }

  void newRow(const std::string &label, const std::string &desc, Loc loc) {
    if (!rowLabels_.insert(label).second) {
      for (const Row &old : net_.rows)
        if (old.label == label)
          throw Diagnostic(loc, "two layers are named '" + label + "'",
                           "give each labelled line its own name")
              .note(old.loc, "'" + label + "' is first used here");
    }
    Row r;
    r.label = label;
    r.desc = desc;
    r.loc = loc;
    net_.rows.push_back(r);
    row_ = static_cast<int>(net_.rows.size()) - 1;
  }

  static std::string kindWord(const Item &it) {
    switch (it.kind) {
    case Item::Conv: return "conv";
    case Item::MaxPool:
    case Item::AvgPool: return "pool";
    case Item::Fc: return "fc";
    case Item::Dropout: return "dropout";
    case Item::Lrn: return "lrn";
    case Item::Softmax: return "softmax";
    case Item::Relu: return "relu";
    case Item::BatchNorm: return "bn";
    case Item::Flatten: return "flatten";
    case Item::Group: return "block";
    case Item::Call: return it.callee;
    }
    return "layer";
  }

  // conv1, conv2, ... for unlabelled layers, skipping names labels took.
  std::string freshName(const std::string &kind) {
    std::string n;
    do
      n = kind + std::to_string(++kindCount_[kind]);
    while (rowLabels_.count(n) || labelsAhead_.count(n));
    return n;
  }

  // One line of the file: each item, each repetition, is a summary row.
  void topLine(const LayerLine &line) {
    Ctx base;
    for (size_t k = 0; k < line.items.size(); ++k) {
      const Item &it = line.items[k];
      int64_t reps = evalIn(it.repeat, base, 1, 1, kMaxRepeat, "the repeat count");
      std::string stem;
      if (line.label.empty())
        stem = freshName(kindWord(it));
      else
        stem = line.items.size() == 1 ? line.label : line.label + "." + kindWord(it);
      for (int64_t r = 0; r < reps; ++r) {
        std::string label = stem;
        if (reps > 1 && !line.label.empty())
          label += "." + std::to_string(r + 1);
        else if (reps > 1 && r > 0)
          label = freshName(kindWord(it));
        std::map<std::string, int> counters;
        Ctx c{nullptr, label, true, &counters, nullptr};
        newRow(label, "", it.loc);
        int64_t stride = r == 0 ? evalIn(it.stride, c, 1, 1, kMaxDim, "the stride") : 1;
        net_.rows[row_].desc = describe(it, c, stride);
        cur_ = item(it, cur_, c, stride);
      }
    }
  }

  // ---- items -----------------------------------------------------------------

  Cursor item(const Item &it, Cursor in, Ctx &c, int64_t stride) {
    switch (it.kind) {
    case Item::Conv: {
      int64_t s = takeStride(c, stride, it.kh * it.kw > 1 || strideIn_ == "first");
      return conv(it, in, c, s);
    }
    case Item::MaxPool:
    case Item::AvgPool:
      return pool(it, in, c, takeStride(c, stride, strideIn_ == "first"));
    case Item::Fc:
      return fc(it, in, c);
    case Item::Group:
      return block(it, in, c, stride, nullptr);
    case Item::Call:
      return call(it, in, c, stride);
    default:
      if (stride != 1)
        throw Diagnostic(it.loc, "a stride applies only to conv, pooling and block layers", "",
                         it.length);
      return simple(it, in, c);
    }
  }

  // Inside a block, the block's stride goes to its first layer (stride_in
  // first) or to its first spatial conv (stride_in 3x3, torchvision).
  int64_t takeStride(Ctx &c, int64_t own, bool eligible) {
    if (c.pendingStride && *c.pendingStride > 1 && eligible) {
      int64_t s = own * *c.pendingStride;
      *c.pendingStride = 1;
      return s;
    }
    return own;
  }

  [[noreturn]] void doesNotFit(const Item &it, const Cursor &in, int64_t kh, int64_t kw,
                               int64_t s, int64_t ph, int64_t pw) {
    const Layer &src = net_.layers[in.id];
    throw Diagnostic(it.loc,
                     "a " + std::to_string(kh) + "x" + std::to_string(kw) + " window with stride " +
                         std::to_string(s) + " and padding " + std::to_string(std::max(ph, pw)) +
                         " does not fit the " + in.shape.str() + " input",
                     "the input is too small here; remove a down-sampling step or use a larger input",
                     it.length)
        .note(src.loc, "the " + in.shape.str() + " input comes from '" + src.name + "'");
  }

  Shape window(const Item &it, const Cursor &in, int64_t outC, int64_t kh, int64_t kw, int64_t s,
               int64_t ph, int64_t pw) {
    int64_t h = in.shape.h + 2 * ph - kh, w = in.shape.w + 2 * pw - kw;
    if (h < 0 || w < 0)
      doesNotFit(it, in, kh, kw, s, ph, pw);
    return {outC, h / s + 1, w / s + 1};
  }

  bool convHasBias(const Item &it) const {
    if (it.bias >= 0)
      return it.bias == 1;
    if (bias_ == "auto")
      return norm_ != "bn";
    return bias_ == "yes";
  }

  Cursor conv(const Item &it, Cursor in, Ctx &c, int64_t s) {
    int64_t cout = evalIn(it.width, c, 0, 1, kMaxDim, "the number of output channels");
    if (it.kh < 1 || it.kw < 1 || it.kh > 1024 || it.kw > 1024)
      throw Diagnostic(it.loc, "kernel sizes must be between 1 and 1024", "", it.length);
    int64_t ph = evalIn(it.pad, c, (it.kh - 1) / 2, 0, it.kh - 1, "the padding");
    int64_t pw = it.pad ? ph : (it.kw - 1) / 2;
    Layer l;
    l.op = Op::Conv;
    l.loc = it.loc;
    l.kh = static_cast<int>(it.kh);
    l.kw = static_cast<int>(it.kw);
    l.sh = l.sw = static_cast<int>(s);
    l.ph = static_cast<int>(ph);
    l.pw = static_cast<int>(pw);
    l.bias = convHasBias(it);
    l.out = window(it, in, cout, it.kh, it.kw, s, ph, pw);
    int64_t k = checkedMul(checkedMul(checkedMul(it.kh, it.kw, it.loc), in.shape.c, it.loc), cout, it.loc);
    l.params = checkedAdd(k, l.bias ? cout : 0, it.loc);
    l.macs = checkedMul(k, checkedMul(l.out.h, l.out.w, it.loc), it.loc);
    l.name = name(c, "conv", true);
    Cursor out = add(std::move(l), in);
    if (norm_ == "bn")
      out = batchNorm(out, c, it.loc);
    if (!it.linear)
      out = relu(out, c, it.loc);
    return out;
  }

  Cursor batchNorm(Cursor in, Ctx &c, Loc loc) {
    Layer b;
    b.op = Op::BatchNorm;
    b.loc = loc;
    b.out = in.shape;
    b.params = 2 * in.shape.c;
    b.name = name(c, "bn", false);
    return add(std::move(b), in);
  }

  Cursor relu(Cursor in, Ctx &c, Loc loc) {
    Layer r;
    r.op = Op::Relu;
    r.loc = loc;
    r.out = in.shape;
    r.name = name(c, "relu", false);
    return add(std::move(r), in);
  }

  Cursor pool(const Item &it, Cursor in, Ctx &c, int64_t s) {
    Layer l;
    l.loc = it.loc;
    if (it.kind == Item::AvgPool && it.kh == 0) { // "avgpool" alone: global
      if (s != 1)
        throw Diagnostic(it.loc, "global average pooling takes no stride",
                         "give a window for a strided average pool: avgpool 2x2, /2", it.length);
      l.op = Op::GlobalAvgPool;
      l.out = {in.shape.c, 1, 1};
      l.name = name(c, "pool", true);
      return add(std::move(l), in);
    }
    int64_t kh = it.kh ? it.kh : 2, kw = it.kw ? it.kw : 2;
    if (!it.stride && s == 1)
      s = kh; // PyTorch's default: the stride is the window
    int64_t ph = evalIn(it.pad, c, (kh - 1) / 2, 0, kh / 2, "the padding");
    int64_t pw = it.pad ? ph : (kw - 1) / 2;
    if (pw > kw / 2)
      throw Diagnostic(it.pad->loc, "the padding must be at most half the window");
    l.op = it.kind == Item::MaxPool ? Op::MaxPool : Op::AvgPool;
    l.kh = static_cast<int>(kh);
    l.kw = static_cast<int>(kw);
    l.sh = l.sw = static_cast<int>(s);
    l.ph = static_cast<int>(ph);
    l.pw = static_cast<int>(pw);
    l.out = window(it, in, in.shape.c, kh, kw, s, ph, pw);
    l.name = name(c, "pool", true);
    return add(std::move(l), in);
  }

  Cursor fc(const Item &it, Cursor in, Ctx &c) {
    int64_t n = evalIn(it.width, c, 0, 1, kMaxDim, "the number of outputs");
    if (in.shape.h != 1 || in.shape.w != 1) {
      Layer f;
      f.op = Op::Flatten;
      f.loc = it.loc;
      f.out = {in.shape.elements(), 1, 1};
      f.name = name(c, "flatten", false);
      in = add(std::move(f), in);
    }
    Layer l;
    l.op = Op::Fc;
    l.loc = it.loc;
    l.bias = true;
    l.out = {n, 1, 1};
    l.macs = checkedMul(in.shape.c, n, it.loc);
    l.params = checkedAdd(l.macs, n, it.loc);
    l.name = name(c, "fc", true);
    Cursor out = add(std::move(l), in);
    return it.linear ? out : relu(out, c, it.loc);
  }

  Cursor simple(const Item &it, Cursor in, Ctx &c) {
    Layer l;
    l.loc = it.loc;
    l.out = in.shape;
    switch (it.kind) {
    case Item::Dropout:
      if (!(it.rate >= 0 && it.rate < 1))
        throw Diagnostic(it.loc, "a dropout probability must be at least 0 and below 1", "",
                         it.length);
      l.op = Op::Dropout;
      l.rate = it.rate;
      l.name = name(c, "dropout", true);
      break;
    case Item::Lrn:
      if (it.lrnSize < 1 || it.lrnSize % 2 == 0 || it.lrnSize > 1023)
        throw Diagnostic(it.loc, "the LRN size must be an odd number from 1 to 1023", "",
                         it.length);
      l.op = Op::Lrn;
      l.lrnSize = static_cast<int>(it.lrnSize);
      l.lrnAlpha = it.lrnAlpha;
      l.lrnBeta = it.lrnBeta;
      l.lrnK = it.lrnK;
      l.name = name(c, "lrn", true);
      break;
    case Item::Softmax:
      l.op = Op::Softmax;
      l.name = name(c, "softmax", true);
      break;
    case Item::Flatten:
      l.op = Op::Flatten;
      l.out = {in.shape.elements(), 1, 1};
      l.name = name(c, "flatten", true);
      break;
    case Item::Relu:
      return relu(in, c, it.loc);
    default: // BatchNorm
      return batchNorm(in, c, it.loc);
    }
    return add(std::move(l), in);
  }

  // ---- blocks --------------------------------------------------------------

  Cursor call(const Item &it, Cursor in, Ctx &c, int64_t stride) {
    const BlockDef &b = *blocks_.at(it.callee);
    if (std::find(callStack_.begin(), callStack_.end(), b.name) != callStack_.end())
      throw Diagnostic(it.loc, "block '" + b.name + "' uses itself", "blocks cannot be recursive",
                       it.length)
          .note(b.loc, "block '" + b.name + "' is defined here");
    if (static_cast<int>(callStack_.size()) >= kMaxCallDepth)
      throw Diagnostic(it.loc, "blocks are nested too deeply", "", it.length);
    if (it.args.size() > b.params.size())
      throw Diagnostic(it.loc, "block '" + b.name + "' takes " + std::to_string(b.params.size()) +
                                   (b.params.size() == 1 ? " argument" : " arguments") + ", not " +
                                   std::to_string(it.args.size()),
                       "", it.length)
          .note(b.loc, "block '" + b.name + "' is defined here");
    Locals locals;
    for (size_t k = 0; k < b.params.size(); ++k) {
      if (k < it.args.size())
        locals[b.params[k]] = b_.eval(it.args[k], c.locals);
      else if (b.defaults[k])
        locals[b.params[k]] = b_.eval(b.defaults[k], nullptr);
      else
        throw Diagnostic(it.loc, "block '" + b.name + "' needs a value for '" + b.params[k] + "'",
                         "", it.length)
            .note(b.loc, "block '" + b.name + "' is defined here");
    }
    locals["stride"] = stride;
    std::vector<Item> body;
    for (const LayerLine &l : b.body)
      body.insert(body.end(), l.items.begin(), l.items.end());
    // A body that writes '/stride' itself places the stride; otherwise it
    // goes where stride_in says.
    bool placed = mentions(body, "stride");
    callStack_.push_back(b.name);
    Item group;
    group.kind = Item::Group;
    group.loc = it.loc;
    group.length = it.length;
    group.seqs.push_back(body);
    Cursor out = block(group, in, c, placed ? 1 : stride, &locals,
                       b.mode == BlockDef::Residual, stride);
    callStack_.pop_back();
    return out;
  }

  // A group "[a; b; c]" (residual when shortcuts are on) or a block body.
  Cursor block(const Item &g, Cursor in, Ctx &c, int64_t stride, const Locals *locals,
               bool residual = true, int64_t shortcutStride = 0) {
    bool nested = !c.single || c.pendingStride;
    std::map<std::string, int> counters;
    Ctx inner{locals ? locals : c.locals, c.prefix, false, nested ? c.counters : &counters,
              nullptr};
    int64_t pending = stride;
    inner.pendingStride = nested && c.pendingStride ? c.pendingStride : &pending;
    if (nested && stride > 1)
      *inner.pendingStride *= stride;
    Cursor x = in;
    for (const auto &seq : g.seqs)
      for (const Item &it : seq) {
        int64_t reps = evalIn(it.repeat, inner, 1, 1, kMaxRepeat, "the repeat count");
        for (int64_t r = 0; r < reps; ++r) {
          int64_t own = r == 0 ? evalIn(it.stride, inner, 1, 1, kMaxDim, "the stride") : 1;
          x = item(it, x, inner, own);
        }
      }
    if (!nested && pending > 1)
      throw Diagnostic(g.loc, "the block's stride /" + std::to_string(pending) +
                                  " has no layer to apply to",
                       strideIn_ == "3x3" ? "with 'stride_in 3x3' the block needs a conv larger than 1x1"
                                          : "a stride needs a conv or pooling layer in the block",
                       g.length);
    bool join = !nested && residual && shortcut_ != "none";
    if (!join)
      return x;
    return residualJoin(g, in, x, inner, shortcutStride ? shortcutStride : stride);
  }

  // y = relu(F(x) + shortcut(x)): the body's last ReLU moves after the add.
  Cursor residualJoin(const Item &g, Cursor in, Cursor y, Ctx &c, int64_t s) {
    if (y.id == static_cast<int>(net_.layers.size()) - 1 && net_.layers[y.id].op == Op::Relu &&
        y.id > in.id) {
      int src = net_.layers[y.id].inputs[0];
      net_.layers.pop_back();
      y = {src, net_.layers[src].out};
    }
    Cursor sc = shortcut(g, in, y, c, s);
    Layer a;
    a.op = Op::Add;
    a.loc = g.loc;
    a.out = y.shape;
    a.name = c.prefix + ".add";
    a.inputs = {y.id, sc.id};
    Cursor sum{append(std::move(a)), y.shape};
    Layer r;
    r.op = Op::Relu;
    r.loc = g.loc;
    r.out = y.shape;
    r.name = c.prefix + ".relu";
    return add(std::move(r), sum);
  }

  [[noreturn]] void mismatch(const Item &g, const Cursor &in, const Cursor &y,
                             const std::string &why) {
    const Layer &a = net_.layers[in.id], &b = net_.layers[y.id];
    throw Diagnostic(g.loc, "shape mismatch at the residual add: the block gives " +
                                y.shape.str() + " but its shortcut gives " + why,
                     shortcut_ == "A" ? "option A can only add channels and subsample by the block's "
                                        "stride; use 'shortcut B' or fix the block's widths"
                                      : "fix the block's widths or strides",
                     g.length)
        .note(b.loc, "the block's " + y.shape.str() + " comes from '" + b.name + "'")
        .note(a.loc, "the block's input " + in.shape.str() + " comes from '" + a.name + "'");
  }

  Cursor shortcut(const Item &g, Cursor in, Cursor y, Ctx &c, int64_t s) {
    bool same = in.shape == y.shape;
    if (shortcut_ == "A" || (shortcut_ == "B" && same)) {
      if (same)
        return in;
      Shape sub{in.shape.c, (in.shape.h - 1) / s + 1, (in.shape.w - 1) / s + 1};
      if (sub.h != y.shape.h || sub.w != y.shape.w || y.shape.c < in.shape.c)
        mismatch(g, in, y, Shape{std::max(in.shape.c, y.shape.c), sub.h, sub.w}.str());
      Layer z;
      z.op = Op::ZeroPadShortcut;
      z.loc = g.loc;
      z.sh = z.sw = static_cast<int>(s);
      z.out = y.shape;
      z.name = c.prefix + ".shortcut";
      net_.rows[row_].desc += " +zero-pad";
      return add(std::move(z), in);
    }
    // Projection: 1x1 conv with the block's stride (+ BN), options B and C.
    Item p;
    p.kind = Item::Conv;
    p.loc = g.loc;
    p.length = g.length;
    p.kh = p.kw = 1;
    p.linear = true;
    auto w = std::make_shared<Expr>();
    w->value = y.shape.c;
    p.width = w;
    Ctx pc{nullptr, c.prefix + ".proj", true, c.counters, nullptr};
    Cursor out = conv(p, in, pc, s);
    net_.rows[row_].desc += " +proj";
    if (out.shape != y.shape)
      mismatch(g, in, y, out.shape.str());
    return out;
  }

  // ---- finishing -------------------------------------------------------------

  // The classifier's fc (the last weighted layer) gives logits: no ReLU.
  void dropFinalFcRelu() {
    auto &L = net_.layers;
    int last = -1;
    for (const Layer &l : L)
      if (l.op == Op::Conv || l.op == Op::Fc)
        last = l.id;
    if (last < 0 || L[last].op != Op::Fc || last + 1 >= static_cast<int>(L.size()))
      return;
    const Layer &r = L[last + 1];
    if (r.op != Op::Relu || r.inputs[0] != last)
      return;
    int gone = last + 1;
    L.erase(L.begin() + gone);
    for (Layer &l : L) {
      if (l.id > gone)
        --l.id;
      for (int &i : l.inputs)
        i = i == gone ? last : (i > gone ? i - 1 : i);
    }
  }

  void checkClasses() {
    const Layer &out = net_.layers.back();
    if (net_.classes == 0) {
      net_.classes = out.out.c;
      return;
    }
    if (out.out.c == net_.classes && out.out.h == 1 && out.out.w == 1)
      return;
    Diagnostic d(out.loc, "the network ends with " + out.out.str() + " outputs but 'classes' is " +
                              std::to_string(net_.classes),
                 "make the last layer 'fc " + std::to_string(net_.classes) +
                     "' or change 'classes'");
    if (!b_.fromCommandLine("classes"))
      d.note(b_.value("classes").loc, "'classes' is set here");
    throw d;
  }

  void finishRows() {
    for (const Layer &l : net_.layers) {
      if (l.row < 0)
        continue;
      Row &r = net_.rows[l.row];
      r.params += l.params;
      r.macs += l.macs;
      r.out = l.out;
    }
  }

  // ---- row descriptions ---------------------------------------------------

  std::string num(const ExprP &e, const Ctx &c) {
    return e ? std::to_string(b_.eval(e, c.locals)) : "?";
  }

  std::string describe(const Item &it, const Ctx &c, int64_t stride) {
    std::ostringstream os;
    switch (it.kind) {
    case Item::Conv:
      os << it.kh << "x" << it.kw << ", " << num(it.width, c);
      break;
    case Item::MaxPool:
    case Item::AvgPool:
      os << (it.kind == Item::MaxPool ? "maxpool" : "avgpool");
      if (it.kh)
        os << " " << it.kh << "x" << it.kw;
      else if (it.kind == Item::AvgPool)
        os << " (global)";
      break;
    case Item::Fc: os << "fc " << num(it.width, c); break;
    case Item::Dropout: os << "dropout " << it.rate; break;
    case Item::Lrn: os << "LRN(size=" << it.lrnSize << ")"; break;
    case Item::Softmax: os << "softmax"; break;
    case Item::Relu: os << "relu"; break;
    case Item::BatchNorm: os << "bn"; break;
    case Item::Flatten: os << "flatten"; break;
    case Item::Group: {
      os << "[";
      for (size_t k = 0; k < it.seqs.size(); ++k) {
        if (k)
          os << "; ";
        for (size_t j = 0; j < it.seqs[k].size(); ++j)
          os << (j ? ", " : "") << describe(it.seqs[k][j], c, 1);
      }
      os << "]";
      break;
    }
    case Item::Call:
      os << it.callee;
      if (!it.args.empty()) {
        os << "(";
        for (size_t k = 0; k < it.args.size(); ++k)
          os << (k ? ", " : "") << num(it.args[k], c);
        os << ")";
      }
      break;
    }
    if (stride > 1)
      os << ", /" << stride;
    return os.str();
  }
};

} // namespace

std::string Shape::str() const {
  return std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
}

Override parseOverride(const std::string &text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw Diagnostic({}, "-D " + text + ": expected NAME=VALUE", "for example: -D n=18");
  return {text.substr(0, eq), text.substr(eq + 1)};
}

Network elaborate(const Program &program, const std::vector<Override> &overrides) {
  Network net = Elaborator(program, overrides).run();
  net.train = resolveRecipe(net, program.train);
  net.hasTrain = program.train.present;
  return net;
}

Program bindOverrides(const Program &program, const std::vector<Override> &overrides) {
  Program p = program;
  for (const Override &o : overrides) {
    Value v = parseOverrideValue(o.value);
    auto it = std::find_if(p.params.begin(), p.params.end(),
                           [&](const ParamDef &d) { return d.name == o.name; });
    if (it != p.params.end())
      it->value = v;
    else
      p.params.push_back({o.name, {}, v, true});
  }
  return p;
}

LoadedNetwork loadNetwork(const std::string &path, const std::vector<Override> &overrides) {
  LoadedNetwork out;
  try {
    out.file = readSourceFile(path);
  } catch (const Diagnostic &d) {
    throw Error("error: " + d.message + "\nhint: " + d.hint + "\n");
  }
  try {
    out.program = parse(*out.file);
    out.network = elaborate(out.program, overrides);
    Program bound = bindOverrides(out.program, overrides);
    bound.train = {}; // how it is trained is not part of what the network is
    out.canonical = print(bound);
  } catch (const Diagnostic &d) {
    throw Error(render(d, out.file.get()));
  }
  return out;
}

} // namespace netc::dsl
