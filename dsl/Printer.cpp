#include "dsl/Printer.h"

#include "dsl/Parser.h"
#include "dsl/Suggest.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace netc::dsl {

namespace {

// Shortest decimal that reads back as the same double, always with a '.' or
// exponent so it is lexed as a decimal again.
std::string real(double v) {
  char buf[40];
  for (int prec = 6; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v)
      break;
  }
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos)
    s += ".0";
  return s;
}

std::string expr(const ExprP &e, bool atom = false) {
  switch (e->kind) {
  case Expr::Int: return std::to_string(e->value);
  case Expr::Name: return e->name;
  case Expr::Binary: {
    std::string s = expr(e->lhs, true) + e->op + expr(e->rhs, true);
    return "(" + s + ")";
  }
  }
  (void)atom;
  return "";
}

std::string value(const Value &v) {
  switch (v.kind) {
  case Value::Number: return expr(v.expr);
  case Value::Word: return v.word;
  case Value::Real: return real(v.real);
  case Value::Dims: {
    std::string s;
    for (int64_t d : v.dims)
      s += (s.empty() ? "" : "x") + std::to_string(d);
    return s;
  }
  }
  return "";
}

void item(std::ostream &os, const Item &it);

void seq(std::ostream &os, const std::vector<Item> &items) {
  for (size_t k = 0; k < items.size(); ++k) {
    if (k)
      os << ", ";
    item(os, items[k]);
  }
}

void head(std::ostream &os, const Item &it) {
  switch (it.kind) {
  case Item::Conv: os << it.kh << 'x' << it.kw << ", " << expr(it.width); break;
  case Item::MaxPool:
  case Item::AvgPool:
    os << (it.kind == Item::MaxPool ? "maxpool" : "avgpool");
    if (it.kh)
      os << ' ' << it.kh << 'x' << it.kw;
    break;
  case Item::Fc: os << "fc " << expr(it.width); break;
  case Item::Dropout: os << "dropout " << real(it.rate); break;
  case Item::Lrn:
    os << "lrn(size=" << it.lrnSize << ", alpha=" << real(it.lrnAlpha)
       << ", beta=" << real(it.lrnBeta) << ", k=" << real(it.lrnK) << ')';
    break;
  case Item::Softmax: os << "softmax"; break;
  case Item::Relu: os << "relu"; break;
  case Item::BatchNorm: os << "bn"; break;
  case Item::Flatten: os << "flatten"; break;
  case Item::Group:
    os << '[';
    for (size_t k = 0; k < it.seqs.size(); ++k) {
      if (k)
        os << "; ";
      seq(os, it.seqs[k]);
    }
    os << ']';
    break;
  case Item::Call:
    os << it.callee;
    if (!it.args.empty()) {
      os << '(';
      for (size_t k = 0; k < it.args.size(); ++k)
        os << (k ? ", " : "") << expr(it.args[k]);
      os << ')';
    }
    break;
  }
}

void item(std::ostream &os, const Item &it) {
  head(os, it);
  if (it.repeat)
    os << " x" << (it.repeat->kind == Expr::Int ? "" : " ") << expr(it.repeat);
  if (it.stride)
    os << ", /" << expr(it.stride);
  if (it.pad)
    os << ", pad " << expr(it.pad);
  if (it.bias >= 0)
    os << (it.bias ? " bias" : " nobias");
  if (it.linear)
    os << " linear";
}

// A label needs its ':' where the parser would otherwise read it as a
// (misspelt) layer kind.
std::string label(const std::string &l) {
  bool letters = std::all_of(l.begin(), l.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
  const auto &k = layerKeywords();
  bool keyword = std::find(k.begin(), k.end(), l) != k.end();
  return l + (keyword || (letters && !nearest(l, k).empty()) ? ": " : " ");
}

void line(std::ostream &os, const LayerLine &l, const char *indent) {
  os << indent;
  if (!l.label.empty())
    os << label(l.label);
  seq(os, l.items);
  os << '\n';
}

} // namespace

std::string print(const Program &p) {
  std::ostringstream os;
  if (!p.name.empty())
    os << "net " << p.name << '\n';
  for (const ParamDef &d : p.params) {
    if (d.setting)
      os << d.name << ' ' << value(d.value) << '\n';
    else
      os << "param " << d.name << " = " << value(d.value) << '\n';
  }
  for (const BlockDef &b : p.blocks) {
    os << "block " << b.name;
    if (!b.params.empty()) {
      os << '(';
      for (size_t k = 0; k < b.params.size(); ++k) {
        os << (k ? ", " : "") << b.params[k];
        if (b.defaults[k])
          os << '=' << expr(b.defaults[k]);
      }
      os << ')';
    }
    if (b.mode == BlockDef::Residual)
      os << " residual";
    if (b.mode == BlockDef::Plain)
      os << " plain";
    os << '\n';
    for (const LayerLine &l : b.body)
      line(os, l, "  ");
    os << "end\n";
  }
  for (const LayerLine &l : p.lines)
    line(os, l, "");
  if (p.train.present) {
    os << "train\n";
    for (const TrainSection::Key &k : p.train.keys)
      os << "  " << k.name << ' ' << trainValueText(p.train.values, k.name) << '\n';
    os << "end\n";
  }
  return os.str();
}

} // namespace netc::dsl
