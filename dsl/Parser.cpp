#include "dsl/Parser.h"

#include "dsl/Suggest.h"
#include "dsl/TokenCursor.h"
#include "dsl/TrainParser.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

namespace netc::dsl {

const std::vector<std::string> &layerKeywords() {
  static const std::vector<std::string> k = {
      "conv", "maxpool", "avgpool", "fc", "dropout", "lrn",
      "softmax", "relu", "bn", "batchnorm", "flatten"};
  return k;
}

const std::vector<std::string> &settingNames() {
  static const std::vector<std::string> s = {"input", "classes", "norm", "shortcut",
                                             "stride_in", "bias"};
  return s;
}

namespace {

std::string lower(std::string s) {
  for (char &c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool isLayerKeyword(const std::string &w) {
  const auto &k = layerKeywords();
  return std::find(k.begin(), k.end(), lower(w)) != k.end();
}

bool isSetting(const std::string &w) {
  const auto &s = settingNames();
  return std::find(s.begin(), s.end(), w) != s.end();
}

// "conv3" in VGG's "conv3-64": the digits are the kernel size.
bool isVggConvHead(const std::string &w) {
  if (w.size() < 5 || lower(w.substr(0, 4)) != "conv")
    return false;
  return std::all_of(w.begin() + 4, w.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

/// The token stream a Parser owns; a base so it exists before the cursor.
struct TokenStore {
  std::vector<Token> toks;
  size_t pos = 0;
};

class Parser : TokenStore, TokenCursor {
public:
  explicit Parser(std::vector<Token> t) : TokenStore{std::move(t)}, TokenCursor(toks, pos) {}

  Program file() {
    Program p;
    while (!at(Tok::End)) {
      if (accept(Tok::Newline))
        continue;
      statement(p);
      endOfLine();
    }
    return p;
  }

  Value overrideValue() {
    Value v = value();
    if (!at(Tok::End) && !at(Tok::Newline))
      fail(cur(), "unexpected " + describe(cur()) + " in the value");
    return v;
  }

private:
  std::set<std::string> blockNames_;
  bool sawNet_ = false;

  bool atWord(const char *w) const { return at(Tok::Ident) && lower(cur().text) == w; }

  const Token &expect(Tok k, const std::string &what, const std::string &hint = "") {
    if (!at(k))
      fail(cur(), "expected " + what + ", found " + describe(cur()), hint);
    return take();
  }
  void endOfLine() {
    if (at(Tok::End) || accept(Tok::Newline))
      return;
    fail(cur(), "unexpected " + describe(cur()) + " after the end of the statement",
         "separate layers on one line with ','");
  }

  // ---- statements -------------------------------------------------------

  void statement(Program &p) {
    const Token &t = cur();
    if (t.kind == Tok::Ident) {
      if (t.text == "net")
        return netName(p);
      if (t.text == "param")
        return param(p);
      if (t.text == "block")
        return block(p);
      if (t.text == "train" && trainSection(p))
        return;
      if (t.text == "end")
        fail(t, "'end' without a 'block' or 'train'");
      if (isSetting(t.text) && !isLayerKeyword(t.text))
        return setting(p);
    }
    p.lines.push_back(layerLine());
  }

  // "train" alone on its line opens the training recipe; otherwise it is a label.
  bool trainSection(Program &p) {
    const Token &t = cur();
    if (peek().kind == Tok::Ident) {
      const auto &keys = trainKeys();
      if (std::find(keys.begin(), keys.end(), peek().text) != keys.end())
        fail(t, "'train' must be alone on its line",
             "write 'train', then one setting per line, then 'end'");
    }
    if (peek().kind != Tok::Newline && peek().kind != Tok::End)
      return false;
    if (p.train.present)
      throw Diagnostic(t.loc, "a second 'train' section", "a file has one training recipe", 5)
          .note(p.train.loc, "the first one is here");
    p.train = parseTrainSection(t_, i_);
    return true;
  }

  void netName(Program &p) {
    const Token &kw = take();
    if (sawNet_)
      fail(kw, "a second 'net' statement", "a file describes one network");
    sawNet_ = true;
    if (at(Tok::Newline) || at(Tok::End))
      fail(cur(), "expected the network's name after 'net'", "for example: net resnet50");
    p.nameLoc = cur().loc;
    // A name may mix words, numbers and dashes: vgg-a, resnet-20.
    while (!at(Tok::Newline) && !at(Tok::End)) {
      const Token &x = cur();
      if (x.kind != Tok::Ident && x.kind != Tok::Int && x.kind != Tok::Minus)
        fail(x, "unexpected " + describe(x) + " in the network's name",
             "names use letters, digits, '_' and '-'");
      if (x.spaceBefore && !p.name.empty())
        fail(x, "the network's name must be one word", "use '-' or '_' instead of spaces");
      p.name += take().text;
    }
  }

  void checkNewParam(const Program &p, const Token &name) {
    for (const ParamDef &d : p.params)
      if (d.name == name.text)
        throw Diagnostic(name.loc, "parameter '" + name.text + "' is defined twice", "",
                         static_cast<int>(name.text.size()))
            .note(d.loc, "first defined here");
  }

  void param(Program &p) {
    take();
    const Token &name = expect(Tok::Ident, "a parameter name", "for example: param n = 3");
    checkNewParam(p, name);
    expect(Tok::Equals, "'='", "parameters are written: param n = 3");
    ParamDef d{name.text, name.loc, value(), false};
    p.params.push_back(std::move(d));
  }

  void setting(Program &p) {
    const Token &name = take();
    checkNewParam(p, name);
    accept(Tok::Equals);
    if (at(Tok::Newline) || at(Tok::End))
      fail(cur(), "expected a value for '" + name.text + "'", settingHint(name.text));
    p.params.push_back({name.text, name.loc, value(), true});
  }

  static std::string settingHint(const std::string &s) {
    if (s == "input") return "for example: input 3x224x224";
    if (s == "classes") return "for example: classes 1000";
    if (s == "norm") return "one of: bn, none";
    if (s == "shortcut") return "one of: A, B, C, none";
    if (s == "stride_in") return "one of: first, 3x3";
    return "one of: auto, yes, no";
  }

  Value value() {
    Value v;
    v.loc = cur().loc;
    if (at(Tok::Dims)) {
      v.kind = Value::Dims;
      v.dims = take().dims;
    } else if (at(Tok::Float)) {
      v.kind = Value::Real;
      v.real = take().real;
    } else if (at(Tok::Ident) && !isOperator(peek().kind)) {
      v.kind = Value::Word;
      v.word = take().text;
    } else if (at(Tok::Int) || at(Tok::Ident) || at(Tok::LParen) || at(Tok::Minus)) {
      v.kind = Value::Number;
      v.expr = expr();
    } else {
      fail(cur(), "expected a value, found " + describe(cur()),
           "values are numbers (3), words (A), or sizes (3x224x224)");
    }
    return v;
  }

  static bool isOperator(Tok k) {
    return k == Tok::Plus || k == Tok::Minus || k == Tok::Star || k == Tok::Slash;
  }

  void block(Program &p) {
    take();
    const Token &name = expect(Tok::Ident, "the block's name", "for example: block basic(c)");
    if (isLayerKeyword(name.text) || isSetting(name.text))
      fail(name, "'" + name.text + "' is a built-in name and cannot name a block");
    if (blockNames_.count(name.text))
      fail(name, "block '" + name.text + "' is defined twice");
    BlockDef b;
    b.name = name.text;
    b.loc = name.loc;
    if (accept(Tok::LParen) && !accept(Tok::RParen)) {
      do {
        const Token &pn = expect(Tok::Ident, "a parameter name");
        if (std::find(b.params.begin(), b.params.end(), pn.text) != b.params.end() ||
            pn.text == "stride")
          fail(pn, pn.text == "stride" ? "'stride' is implicit in every block"
                                        : "parameter '" + pn.text + "' appears twice");
        b.params.push_back(pn.text);
        b.defaults.push_back(accept(Tok::Equals) ? expr() : nullptr);
      } while (accept(Tok::Comma));
      expect(Tok::RParen, "')' after the block's parameters");
    }
    if (atWord("residual") || atWord("plain"))
      b.mode = lower(take().text) == "residual" ? BlockDef::Residual : BlockDef::Plain;
    blockNames_.insert(b.name); // visible in its own body, so recursion is caught later
    endOfLine();
    while (!(at(Tok::Ident) && cur().text == "end")) {
      if (at(Tok::End))
        throw Diagnostic(b.loc, "block '" + b.name + "' has no 'end'",
                         "close the block with a line containing 'end'",
                         static_cast<int>(b.name.size()));
      if (accept(Tok::Newline))
        continue;
      if (at(Tok::Ident) && (cur().text == "block" || cur().text == "param" || cur().text == "net"))
        fail(cur(), "'" + cur().text + "' is not allowed inside a block",
             "did block '" + b.name + "' miss its 'end'?");
      b.body.push_back(layerLine());
      endOfLine();
    }
    take(); // end
    if (b.body.empty())
      throw Diagnostic(b.loc, "block '" + b.name + "' is empty", "", static_cast<int>(b.name.size()));
    p.blocks.push_back(std::move(b));
  }

  // ---- layer lines --------------------------------------------------------

  LayerLine layerLine() {
    LayerLine line;
    line.loc = cur().loc;
    if (isLabel()) {
      line.label = take().text;
      accept(Tok::Colon);
    }
    do {
      line.items.push_back(item());
    } while (accept(Tok::Comma));
    return line;
  }

  // A line starts with a label when its first word is not a layer kind or a
  // block, and a layer follows it on the same line ("conv2_x [3x3, 64] x2").
  bool isLabel() {
    if (!at(Tok::Ident))
      return false;
    const Token &t = cur();
    if (peek().kind == Tok::Colon)
      return true;
    if (isLayerKeyword(t.text) || isVggConv() || blockNames_.count(t.text) || isFcDash())
      return false;
    Tok n = peek().kind;
    bool layerFollows = n == Tok::Ident || n == Tok::Dims || n == Tok::LBracket;
    if (!layerFollows)
      return false;
    // A word that looks like a misspelt layer kind is an error, not a label.
    bool lettersOnly = std::all_of(t.text.begin(), t.text.end(),
                                   [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
    if (lettersOnly && !nearest(t.text, layerKeywords()).empty())
      unknownLayer(t);
    return true;
  }

  // "conv3-64" but not the label "conv1" of "conv1 7x7, 64".
  bool isVggConv() const {
    return at(Tok::Ident) && isVggConvHead(cur().text) && peek().kind == Tok::Minus &&
           !peek().spaceBefore;
  }

  bool isFcDash() const {
    return at(Tok::Ident) && lower(cur().text) == "fc" && peek().kind == Tok::Minus;
  }

  [[noreturn]] void unknownLayer(const Token &t) {
    std::vector<std::string> names = layerKeywords();
    names.insert(names.end(), blockNames_.begin(), blockNames_.end());
    fail(t, "unknown layer kind '" + t.text + "'",
         didYouMean(t.text, names, "layers are conv, maxpool, avgpool, fc, dropout, lrn, softmax, "
                                   "relu, bn, flatten, [..] groups, or a block defined above"));
  }

  Item item() {
    Item it;
    it.loc = cur().loc;
    it.length = at(Tok::End) || at(Tok::Newline) ? 1 : static_cast<int>(cur().text.size());
    head(it);
    suffixes(it);
    return it;
  }

  void head(Item &it) {
    const Token &t = cur();
    if (t.kind == Tok::Dims)
      return convBody(it);
    if (t.kind == Tok::LBracket)
      return group(it);
    if (t.kind != Tok::Ident)
      fail(t, "expected a layer, found " + describe(t),
           "a layer is e.g. '3x3, 64', 'maxpool', 'fc 1000' or '[3x3, 64; 3x3, 64] x2'");
    std::string w = lower(t.text);
    if (w == "conv") {
      take();
      if (!at(Tok::Dims))
        fail(cur(), "expected the kernel size after 'conv'", "for example: conv 3x3, 64");
      return convBody(it);
    }
    if (isVggConv())
      return vggConv(it);
    if (w == "maxpool" || w == "avgpool")
      return pool(it, w == "maxpool" ? Item::MaxPool : Item::AvgPool);
    if (w == "fc")
      return fc(it);
    if (w == "dropout")
      return dropout(it);
    if (w == "lrn")
      return lrn(it);
    if (w == "softmax" || w == "relu" || w == "flatten" || w == "bn" || w == "batchnorm") {
      take();
      it.kind = w == "softmax" ? Item::Softmax
                : w == "relu"  ? Item::Relu
                : w == "flatten" ? Item::Flatten
                                 : Item::BatchNorm;
      return;
    }
    if (blockNames_.count(t.text))
      return call(it);
    unknownLayer(t);
  }

  void convBody(Item &it) {
    it.kind = Item::Conv;
    const Token &k = take();
    if (k.dims.size() != 2)
      fail(k, "a kernel size has two numbers, like 3x3");
    it.kh = k.dims[0];
    it.kw = k.dims[1];
    if (!at(Tok::Comma) || peek().kind == Tok::Slash ||
        (peek().kind != Tok::Int && peek().kind != Tok::Ident && peek().kind != Tok::LParen))
      fail(cur(), "expected ', N' giving the convolution's output channels",
           "for example: " + k.text + ", 64");
    if (peek().kind == Tok::Ident && isModifierWord(peek().text))
      fail(peek(), "expected the convolution's output channels before '" + peek().text + "'",
           "for example: " + k.text + ", 64");
    take();
    it.width = expr();
  }

  // conv3-64 (VGG's notation: kernel 3, 64 channels).
  void vggConv(Item &it) {
    it.kind = Item::Conv;
    const Token &h = take();
    if (h.text.size() > 8)
      fail(h, "kernel size too large in '" + h.text + "'");
    it.kh = it.kw = std::stoll(h.text.substr(4));
    take(); // '-'
    if (!at(Tok::Int) || cur().spaceBefore)
      fail(cur(), "expected the channel count after '" + h.text + "-'", "for example: conv3-64");
    it.width = intLiteral(take());
  }

  void pool(Item &it, Item::Kind k) {
    it.kind = k;
    take();
    if (at(Tok::Dims)) {
      const Token &d = take();
      if (d.dims.size() != 2)
        fail(d, "a pooling window has two numbers, like 2x2");
      it.kh = d.dims[0];
      it.kw = d.dims[1];
    }
  }

  void fc(Item &it) {
    it.kind = Item::Fc;
    take();
    if (at(Tok::Minus) && !cur().spaceBefore) { // FC-4096
      take();
      if (!at(Tok::Int))
        fail(cur(), "expected the output count after 'FC-'", "for example: FC-4096");
      it.width = intLiteral(take());
      return;
    }
    if (at(Tok::Newline) || at(Tok::End) || at(Tok::Comma))
      fail(cur(), "expected the number of outputs after 'fc'", "for example: fc 1000 or FC-1000");
    it.width = expr();
  }

  void dropout(Item &it) {
    it.kind = Item::Dropout;
    take();
    bool paren = accept(Tok::LParen);
    if (at(Tok::Float))
      it.rate = take().real;
    else if (at(Tok::Int))
      it.rate = static_cast<double>(take().value);
    else
      fail(cur(), "expected the dropout probability", "for example: dropout 0.5");
    if (paren)
      expect(Tok::RParen, "')'");
  }

  void lrn(Item &it) {
    it.kind = Item::Lrn;
    take();
    if (!accept(Tok::LParen))
      return;
    if (accept(Tok::RParen))
      return;
    do {
      const Token &k = expect(Tok::Ident, "an LRN setting (size, alpha, beta, k)");
      expect(Tok::Equals, "'='");
      const Token &at = cur();
      double v = number();
      if (!std::isfinite(v))
        fail(at, "LRN settings must be finite numbers");
      if (k.text == "size") {
        if (v < 0 || v > 1e6 || v != std::floor(v))
          fail(at, "the LRN size must be a whole number");
        it.lrnSize = static_cast<int64_t>(v);
      } else if (k.text == "alpha") {
        it.lrnAlpha = v;
      } else if (k.text == "beta") {
        it.lrnBeta = v;
      } else if (k.text == "k") {
        it.lrnK = v;
      } else {
        fail(k, "unknown LRN setting '" + k.text + "'",
             didYouMean(k.text, {"size", "alpha", "beta", "k"}, "LRN takes size, alpha, beta, k"));
      }
    } while (accept(Tok::Comma));
    expect(Tok::RParen, "')' after the LRN settings");
  }

  double number() {
    if (at(Tok::Float))
      return take().real;
    if (at(Tok::Int))
      return static_cast<double>(take().value);
    fail(cur(), "expected a number, found " + describe(cur()));
  }

  void group(Item &it) {
    it.kind = Item::Group;
    const Token &open = take();
    while (true) {
      std::vector<Item> seq;
      do {
        seq.push_back(item());
      } while (accept(Tok::Comma));
      it.seqs.push_back(std::move(seq));
      if (accept(Tok::Semi))
        continue;
      if (accept(Tok::RBracket))
        return;
      throw Diagnostic(cur().loc, "expected ';' or ']' in the block, found " + describe(cur()),
                       "layers inside [...] are separated by ';'",
                       at(Tok::End) || at(Tok::Newline) ? 1 : static_cast<int>(cur().text.size()))
          .note(open.loc, "the block opened here");
    }
  }

  void call(Item &it) {
    it.kind = Item::Call;
    it.callee = take().text;
    if (accept(Tok::LParen) && !accept(Tok::RParen)) {
      do {
        it.args.push_back(expr());
      } while (accept(Tok::Comma));
      expect(Tok::RParen, "')' after the block's arguments");
    }
  }

  static bool isModifierWord(const std::string &w) {
    return w == "stride" || w == "pad" || w == "linear" || w == "bias" || w == "nobias";
  }

  // x3, x n, ", /2", ", stride 2", ", pad 1", "linear", "bias", "nobias".
  void suffixes(Item &it) {
    while (true) {
      if (at(Tok::Repeat) || (atWord("x") && startsExpr(peek().kind))) {
        repeat(it);
        continue;
      }
      bool comma = at(Tok::Comma);
      const Token &m = comma ? peek() : cur();
      if (m.kind == Tok::Slash) {
        if (comma) take();
        take();
        setOnce(it.stride, m, "stride");
        it.stride = atom();
        continue;
      }
      if (m.kind == Tok::Ident && isModifierWord(m.text)) {
        if (comma) take();
        modifier(it);
        continue;
      }
      return;
    }
  }

  static bool startsExpr(Tok k) { return k == Tok::Int || k == Tok::Ident || k == Tok::LParen; }

  void repeat(Item &it) {
    const Token &r = cur();
    if (it.repeat)
      fail(r, "a layer can be repeated only once", "write the total count: x6");
    if (at(Tok::Repeat)) {
      it.repeat = intLiteral(take());
      return;
    }
    take(); // "x"
    it.repeat = atom();
  }

  void setOnce(const ExprP &slot, const Token &t, const char *what) {
    if (slot)
      fail(t, std::string("the ") + what + " is given twice");
  }

  void modifier(Item &it) {
    const Token &m = take();
    if (m.text == "stride") {
      setOnce(it.stride, m, "stride");
      it.stride = atom();
    } else if (m.text == "pad") {
      if (it.kind != Item::Conv && it.kind != Item::MaxPool && it.kind != Item::AvgPool)
        fail(m, "'pad' applies only to conv and pooling layers");
      setOnce(it.pad, m, "padding");
      it.pad = atom();
    } else if (m.text == "linear") {
      if (it.kind != Item::Conv && it.kind != Item::Fc)
        fail(m, "'linear' applies only to conv and fc layers", "it removes their ReLU");
      it.linear = true;
    } else {
      if (it.kind != Item::Conv)
        fail(m, "'" + m.text + "' applies only to conv layers");
      it.bias = m.text == "bias" ? 1 : 0;
    }
  }

  // ---- expressions -------------------------------------------------------

  ExprP intLiteral(const Token &t) {
    auto e = std::make_shared<Expr>();
    e->kind = Expr::Int;
    e->value = t.value;
    e->loc = t.loc;
    return e;
  }

  ExprP expr() {
    ExprP l = term();
    while (at(Tok::Plus) || at(Tok::Minus)) {
      const Token &op = take(); // before parsing the right side
      l = binary(op, l, term());
    }
    return l;
  }
  ExprP term() {
    ExprP l = atom();
    // "c/2" divides; "64, /2" and "64 /2" give a stride (a slash after a space).
    while (at(Tok::Star) || (at(Tok::Slash) && !cur().spaceBefore)) {
      const Token &op = take();
      l = binary(op, l, atom());
    }
    return l;
  }
  ExprP binary(const Token &op, ExprP l, ExprP r) {
    auto e = std::make_shared<Expr>();
    e->kind = Expr::Binary;
    e->op = op.text[0];
    e->lhs = std::move(l);
    e->rhs = std::move(r);
    e->loc = op.loc;
    return e;
  }
  ExprP atom() {
    if (at(Tok::Int))
      return intLiteral(take());
    if (at(Tok::Ident)) {
      const Token &n = take();
      auto e = std::make_shared<Expr>();
      e->kind = Expr::Name;
      e->name = n.text;
      e->loc = n.loc;
      return e;
    }
    if (accept(Tok::LParen)) {
      ExprP e = expr();
      expect(Tok::RParen, "')'");
      return e;
    }
    if (at(Tok::Float))
      fail(cur(), "expected a whole number, found '" + cur().text + "'");
    fail(cur(), "expected a number or a parameter name, found " + describe(cur()));
  }
};

} // namespace

Program parse(const SourceFile &file) { return Parser(lex(file)).file(); }

Value parseOverrideValue(const std::string &text) {
  SourceFile f("-D", text);
  Value v = Parser(lex(f)).overrideValue();
  v.loc = {}; // command-line values have no file position
  return v;
}

} // namespace netc::dsl
