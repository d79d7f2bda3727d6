#include "dsl/Bindings.h"

#include "dsl/Parser.h"
#include "dsl/Suggest.h"

#include <algorithm>
#include <sstream>

namespace netc::dsl {

Bindings::Bindings(const Program &program, const std::vector<Override> &ov) {
  for (const ParamDef &d : program.params) {
    params_[d.name] = Bound{d.value, false, "", 0};
    order_.push_back(d.name);
  }
  for (const Override &o : ov) {
    if (!params_.count(o.name)) {
      const auto &s = settingNames();
      if (std::find(s.begin(), s.end(), o.name) == s.end()) {
        std::vector<std::string> names = order_;
        names.insert(names.end(), s.begin(), s.end());
        throw Diagnostic({}, "-D " + o.name + "=" + o.value + ": the network has no parameter '" +
                                 o.name + "'",
                         didYouMean(o.name, names, "parameters are declared with 'param NAME = VALUE'"));
      }
      order_.push_back(o.name);
    }
    Value v;
    try {
      v = parseOverrideValue(o.value);
    } catch (const Diagnostic &d) {
      throw Diagnostic({}, "-D " + o.name + "=" + o.value + ": " + d.message, d.hint);
    }
    params_[o.name] = Bound{v, true, o.name + "=" + o.value, 0};
  }
  // Numbers are evaluated in declaration order, so a default may use an
  // earlier parameter ("param m = 2*n") and see its override.
  for (const std::string &n : order_) {
    Bound &b = params_[n];
    if (b.value.kind == Value::Number)
      b.number = eval(b.value.expr, nullptr);
  }
}

void Bindings::badValue(const std::string &name, const std::string &what,
                        const std::string &hint) const {
  const Bound &b = params_.at(name);
  if (b.fromCommandLine)
    throw Diagnostic({}, "-D " + b.raw + ": " + what, hint);
  throw Diagnostic(b.value.loc, what, hint);
}

std::string Bindings::word(const std::string &name, const std::string &dflt,
                           const std::vector<std::string> &allowed) const {
  auto it = params_.find(name);
  if (it == params_.end())
    return dflt;
  const Value &v = it->second.value;
  std::string w = v.kind == Value::Word ? v.word : "";
  if (v.kind == Value::Dims && v.dims.size() == 2) // stride_in 3x3
    w = std::to_string(v.dims[0]) + "x" + std::to_string(v.dims[1]);
  if (v.kind == Value::Number && v.expr->kind == Expr::Int)
    w = std::to_string(v.expr->value);
  std::string list;
  for (const std::string &a : allowed)
    list += (list.empty() ? "" : ", ") + a;
  if (std::find(allowed.begin(), allowed.end(), w) == allowed.end())
    badValue(name, "'" + name + "' must be one of " + list,
             w.empty() ? "" : didYouMean(w, allowed));
  return w;
}

std::string Bindings::text(const std::string &name) const {
  const Bound &b = params_.at(name);
  const Value &v = b.value;
  switch (v.kind) {
  case Value::Number: return std::to_string(b.number);
  case Value::Word: return v.word;
  case Value::Real: {
    std::ostringstream os;
    os << v.real;
    return os.str();
  }
  case Value::Dims: {
    std::string s;
    for (int64_t d : v.dims)
      s += (s.empty() ? "" : "x") + std::to_string(d);
    return s;
  }
  }
  return "";
}

int64_t Bindings::eval(const ExprP &e, const Locals *locals) const {
  switch (e->kind) {
  case Expr::Int:
    return e->value;
  case Expr::Name:
    return lookup(*e, locals);
  case Expr::Binary: {
    int64_t a = eval(e->lhs, locals), b = eval(e->rhs, locals), r = 0;
    bool overflow = false;
    switch (e->op) {
    case '+': overflow = __builtin_add_overflow(a, b, &r); break;
    case '-': overflow = __builtin_sub_overflow(a, b, &r); break;
    case '*': overflow = __builtin_mul_overflow(a, b, &r); break;
    default:
      if (b == 0)
        throw Diagnostic(e->loc, "division by zero");
      r = a / b;
    }
    if (overflow || r > 2147483647 || r < -2147483647)
      throw Diagnostic(e->loc, "arithmetic overflow", "sizes and counts must be below 2^31");
    return r;
  }
  }
  return 0;
}

int64_t Bindings::lookup(const Expr &e, const Locals *locals) const {
  if (locals) {
    auto it = locals->find(e.name);
    if (it != locals->end())
      return it->second;
  }
  auto it = params_.find(e.name);
  if (it == params_.end()) {
    std::vector<std::string> names = order_;
    if (locals)
      for (const auto &kv : *locals)
        names.push_back(kv.first);
    throw Diagnostic(e.loc, "unknown parameter '" + e.name + "'",
                     didYouMean(e.name, names, "declare it with 'param " + e.name + " = ...'"),
                     static_cast<int>(e.name.size()));
  }
  if (it->second.value.kind != Value::Number)
    throw Diagnostic(e.loc, "parameter '" + e.name + "' is " + text(e.name) + ", not a whole number",
                     "", static_cast<int>(e.name.size()));
  return it->second.number;
}

} // namespace netc::dsl
