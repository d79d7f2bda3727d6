#include "dsl/Params.h"

namespace netc::dsl {

int64_t ParamSpec::elements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::vector<ParamSpec> parameterSpecs(const Network &net) {
  std::vector<ParamSpec> out;
  auto push = [&](const Layer &l, ParamSpec::Role r, const char *suffix,
                  std::vector<int64_t> shape, int64_t fanIn = 0, int64_t fanOut = 0) {
    ParamSpec p;
    p.role = r;
    p.name = l.name + suffix;
    p.shape = std::move(shape);
    p.layer = l.id;
    p.fanIn = fanIn;
    p.fanOut = fanOut;
    out.push_back(std::move(p));
  };
  for (const Layer &l : net.layers) {
    if (l.op == Op::Conv) {
      int64_t cin = net.layers[l.inputs[0]].out.c, k = int64_t(l.kh) * l.kw;
      push(l, ParamSpec::Weight, ".weight", {l.out.c, cin, l.kh, l.kw}, cin * k, l.out.c * k);
      if (l.bias)
        push(l, ParamSpec::Bias, ".bias", {l.out.c});
    } else if (l.op == Op::Fc) {
      int64_t in = net.layers[l.inputs[0]].out.elements();
      push(l, ParamSpec::Weight, ".weight", {l.out.c, in}, in, l.out.c);
      push(l, ParamSpec::Bias, ".bias", {l.out.c});
    } else if (l.op == Op::BatchNorm) {
      push(l, ParamSpec::BnWeight, ".weight", {l.out.c});
      push(l, ParamSpec::BnBias, ".bias", {l.out.c});
      push(l, ParamSpec::RunningMean, ".running_mean", {l.out.c});
      push(l, ParamSpec::RunningVar, ".running_var", {l.out.c});
    }
  }
  return out;
}

} // namespace netc::dsl
