#include "runtime/Reference.h"

#include "dsl/Params.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

namespace netc::runtime {

namespace {

using dsl::Layer;
using dsl::Op;
using dsl::Shape;
using Act = std::vector<float>;

struct Params {
  std::map<std::string, const NamedTensor *> byName;
  const float *get(const std::string &name, int64_t elements) const {
    auto it = byName.find(name);
    if (it == byName.end())
      throw std::invalid_argument("missing parameter '" + name + "'");
    if (static_cast<int64_t>(it->second->data.size()) != elements)
      throw std::invalid_argument("parameter '" + name + "' has the wrong size");
    return it->second->data.data();
  }
};

// Index of (n, c, y, x) in an NCHW tensor of per-sample shape s.
inline size_t at(const Shape &s, int64_t n, int64_t c, int64_t y, int64_t x) {
  return static_cast<size_t>(((n * s.c + c) * s.h + y) * s.w + x);
}

Act conv(const Layer &l, const Shape &is, const Act &in, int64_t N, const Params &p) {
  const Shape &os = l.out;
  const float *w = p.get(l.name + ".weight", os.c * is.c * l.kh * l.kw);
  const float *b = l.bias ? p.get(l.name + ".bias", os.c) : nullptr;
  Act out(static_cast<size_t>(N * os.elements()));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t co = 0; co < os.c; ++co)
      for (int64_t y = 0; y < os.h; ++y)
        for (int64_t x = 0; x < os.w; ++x) {
          double acc = b ? b[co] : 0.0;
          for (int64_t ci = 0; ci < is.c; ++ci)
            for (int64_t ky = 0; ky < l.kh; ++ky) {
              int64_t iy = y * l.sh - l.ph + ky;
              if (iy < 0 || iy >= is.h)
                continue;
              for (int64_t kx = 0; kx < l.kw; ++kx) {
                int64_t ix = x * l.sw - l.pw + kx;
                if (ix < 0 || ix >= is.w)
                  continue;
                acc += double(in[at(is, n, ci, iy, ix)]) *
                       w[((co * is.c + ci) * l.kh + ky) * l.kw + kx];
              }
            }
          out[at(os, n, co, y, x)] = static_cast<float>(acc);
        }
  return out;
}

Act batchNorm(const Layer &l, const Act &in, int64_t N, const Params &p) {
  const Shape &s = l.out;
  const float *g = p.get(l.name + ".weight", s.c), *b = p.get(l.name + ".bias", s.c);
  const float *m = p.get(l.name + ".running_mean", s.c), *v = p.get(l.name + ".running_var", s.c);
  Act out(in.size());
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < s.c; ++c) {
      double scale = g[c] / std::sqrt(double(v[c]) + l.bnEps);
      for (int64_t k = 0; k < s.h * s.w; ++k) {
        size_t i = static_cast<size_t>((n * s.c + c) * s.h * s.w + k);
        out[i] = static_cast<float>((in[i] - double(m[c])) * scale + b[c]);
      }
    }
  return out;
}

Act pool(const Layer &l, const Shape &is, const Act &in, int64_t N) {
  const Shape &os = l.out;
  bool isMax = l.op == Op::MaxPool;
  Act out(static_cast<size_t>(N * os.elements()));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < os.c; ++c)
      for (int64_t y = 0; y < os.h; ++y)
        for (int64_t x = 0; x < os.w; ++x) {
          double acc = isMax ? -std::numeric_limits<double>::infinity() : 0.0;
          int64_t count = 0;
          for (int64_t ky = 0; ky < l.kh; ++ky)
            for (int64_t kx = 0; kx < l.kw; ++kx) {
              int64_t iy = y * l.sh - l.ph + ky, ix = x * l.sw - l.pw + kx;
              bool inside = iy >= 0 && iy < is.h && ix >= 0 && ix < is.w;
              if (inside) {
                double v = in[at(is, n, c, iy, ix)];
                acc = isMax ? std::max(acc, v) : acc + v;
              }
              count += inside || l.countIncludePad;
            }
          out[at(os, n, c, y, x)] = static_cast<float>(isMax ? acc : acc / double(count));
        }
  return out;
}

Act globalAvgPool(const Shape &is, const Act &in, int64_t N) {
  Act out(static_cast<size_t>(N * is.c));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < is.c; ++c) {
      double acc = 0;
      for (int64_t k = 0; k < is.h * is.w; ++k)
        acc += in[static_cast<size_t>((n * is.c + c) * is.h * is.w + k)];
      out[static_cast<size_t>(n * is.c + c)] = static_cast<float>(acc / double(is.h * is.w));
    }
  return out;
}

Act fc(const Layer &l, const Shape &is, const Act &in, int64_t N, const Params &p) {
  int64_t I = is.elements(), O = l.out.c;
  const float *w = p.get(l.name + ".weight", O * I), *b = p.get(l.name + ".bias", O);
  Act out(static_cast<size_t>(N * O));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o) {
      double acc = b[o];
      for (int64_t i = 0; i < I; ++i)
        acc += double(in[static_cast<size_t>(n * I + i)]) * w[o * I + i];
      out[static_cast<size_t>(n * O + o)] = static_cast<float>(acc);
    }
  return out;
}

// PyTorch's LocalResponseNorm: x / (k + alpha/size * sum of squares over the
// channel window [c - size/2, c + (size-1)/2])^beta.
Act lrn(const Layer &l, const Act &in, int64_t N) {
  const Shape &s = l.out;
  Act out(in.size());
  int64_t lo = l.lrnSize / 2, hi = (l.lrnSize - 1) / 2;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < s.c; ++c)
      for (int64_t y = 0; y < s.h; ++y)
        for (int64_t x = 0; x < s.w; ++x) {
          double sq = 0;
          for (int64_t j = std::max<int64_t>(0, c - lo); j <= std::min(s.c - 1, c + hi); ++j) {
            double v = in[at(s, n, j, y, x)];
            sq += v * v;
          }
          double d = std::pow(l.lrnK + l.lrnAlpha / l.lrnSize * sq, l.lrnBeta);
          out[at(s, n, c, y, x)] = static_cast<float>(in[at(s, n, c, y, x)] / d);
        }
  return out;
}

// Softmax over channels at every position.
Act softmax(const Shape &s, const Act &in, int64_t N) {
  Act out(in.size());
  for (int64_t n = 0; n < N; ++n)
    for (int64_t y = 0; y < s.h; ++y)
      for (int64_t x = 0; x < s.w; ++x) {
        double mx = -std::numeric_limits<double>::infinity(), sum = 0;
        for (int64_t c = 0; c < s.c; ++c)
          mx = std::max(mx, double(in[at(s, n, c, y, x)]));
        for (int64_t c = 0; c < s.c; ++c)
          sum += std::exp(in[at(s, n, c, y, x)] - mx);
        for (int64_t c = 0; c < s.c; ++c)
          out[at(s, n, c, y, x)] = static_cast<float>(std::exp(in[at(s, n, c, y, x)] - mx) / sum);
      }
  return out;
}

Act zeroPadShortcut(const Layer &l, const Shape &is, const Act &in, int64_t N) {
  const Shape &os = l.out;
  Act out(static_cast<size_t>(N * os.elements()), 0.f);
  int64_t before = (os.c - is.c) / 2; // zero channels split evenly around x
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < is.c; ++c)
      for (int64_t y = 0; y < os.h; ++y)
        for (int64_t x = 0; x < os.w; ++x)
          out[at(os, n, c + before, y, x)] = in[at(is, n, c, y * l.sh, x * l.sw)];
  return out;
}

Act apply(const dsl::Network &net, const Layer &l, const std::vector<Act> &acts, int64_t N,
          const Params &p) {
  const Act &in = acts[static_cast<size_t>(l.inputs.at(0))];
  const Shape &is = net.layers[static_cast<size_t>(l.inputs[0])].out;
  switch (l.op) {
  case Op::Conv: return conv(l, is, in, N, p);
  case Op::BatchNorm: return batchNorm(l, in, N, p);
  case Op::Relu: {
    Act out(in);
    for (float &v : out)
      v = std::max(v, 0.f);
    return out;
  }
  case Op::Add: {
    Act out(in);
    const Act &b = acts[static_cast<size_t>(l.inputs.at(1))];
    for (size_t i = 0; i < out.size(); ++i)
      out[i] += b[i];
    return out;
  }
  case Op::MaxPool:
  case Op::AvgPool: return pool(l, is, in, N);
  case Op::GlobalAvgPool: return globalAvgPool(is, in, N);
  case Op::Fc: return fc(l, is, in, N, p);
  case Op::Lrn: return lrn(l, in, N);
  case Op::Softmax: return softmax(l.out, in, N);
  case Op::ZeroPadShortcut: return zeroPadShortcut(l, is, in, N);
  case Op::Flatten:
  case Op::Dropout:
  case Op::Input: return in;
  }
  return in;
}

} // namespace

std::vector<std::vector<float>> referenceActivations(const dsl::Network &net,
                                                     const std::vector<NamedTensor> &params,
                                                     const NamedTensor &input) {
  const Shape &s = net.input;
  if (input.shape.size() != 4 || input.shape[1] != s.c || input.shape[2] != s.h ||
      input.shape[3] != s.w)
    throw std::invalid_argument("input must be [n, " + std::to_string(s.c) + ", " +
                                std::to_string(s.h) + ", " + std::to_string(s.w) + "], not " +
                                shapeString(input.shape));
  int64_t N = input.shape[0];
  Params p;
  for (const NamedTensor &t : params)
    p.byName[t.name] = &t;
  std::vector<Act> acts;
  acts.reserve(net.layers.size());
  acts.push_back(input.data);
  for (size_t k = 1; k < net.layers.size(); ++k)
    acts.push_back(apply(net, net.layers[k], acts, N, p));
  return acts;
}

NamedTensor referenceForward(const dsl::Network &net, const std::vector<NamedTensor> &params,
                             const NamedTensor &input) {
  std::vector<Act> acts = referenceActivations(net, params, input);
  const Shape &o = net.output().out;
  NamedTensor t;
  t.name = "output";
  int64_t N = input.shape[0];
  t.shape = o.h == 1 && o.w == 1 ? std::vector<int64_t>{N, o.c}
                                 : std::vector<int64_t>{N, o.c, o.h, o.w};
  t.data = std::move(acts.back());
  return t;
}

} // namespace netc::runtime
