// The elaborated network: what a .net file means once parameters are bound,
// blocks expanded and shapes inferred. A flat list of primitive layers in
// topological order (every input id is smaller than the layer's own id).
// This is the hand-off from the DSL to the compiler (dsl -> compiler).
#pragma once

#include "dsl/Source.h"
#include "dsl/TrainRecipe.h"

#include <cstdint>
#include <string>
#include <vector>

namespace netc::dsl {

/// Per-sample activation shape, channels x height x width (the batch
/// dimension is not part of the network). A flat vector is c x 1 x 1.
struct Shape {
  int64_t c = 0, h = 0, w = 0;
  int64_t elements() const { return c * h * w; }
  bool operator==(const Shape &o) const { return c == o.c && h == o.h && w == o.w; }
  bool operator!=(const Shape &o) const { return !(*this == o); }
  std::string str() const; // "64x56x56"
};

enum class Op {
  Input,         // the network input; no inputs
  Conv,          // 2-D convolution, optional bias
  BatchNorm,     // per-channel batch normalisation (gamma, beta; running stats)
  Relu,
  Add,           // element-wise sum of two equal shapes (residual join)
  MaxPool,
  AvgPool,       // windowed average; countIncludePad as PyTorch's default
  GlobalAvgPool, // mean over h, w -> c x 1 x 1
  Flatten,       // c x h x w -> (c*h*w) x 1 x 1, NCHW order as PyTorch flattens
  Fc,            // fully connected, with bias
  Dropout,
  Lrn,           // local response normalisation across channels
  Softmax,
  ZeroPadShortcut, // option A: x[:, :, ::s, ::s], then zero channels up to outC,
                   // split evenly: (outC-inC)/2 before x's channels, the rest after
                   // (as the common PyTorch CIFAR ResNets do)
};

const char *opName(Op op);

/// One primitive layer. Fields that do not apply to an op are left at 0.
struct Layer {
  int id = 0;
  Op op = Op::Input;
  std::string name;        // unique, hierarchical: "conv2_x.1.conv1"
  std::vector<int> inputs; // ids of producing layers
  Shape out;

  // Conv / pools: kernel, stride and symmetric padding.
  int kh = 0, kw = 0, sh = 1, sw = 1, ph = 0, pw = 0;
  bool bias = false;            // Conv (Fc always has a bias)
  bool countIncludePad = true;  // AvgPool
  double rate = 0;              // Dropout probability
  int lrnSize = 0;              // Lrn: alpha, beta, k follow
  double lrnAlpha = 0, lrnBeta = 0, lrnK = 0;
  double bnEps = 1e-5, bnMomentum = 0.1; // BatchNorm, PyTorch's defaults

  int64_t params = 0; // learnable scalars (BN: gamma and beta)
  int64_t macs = 0;   // multiply-accumulates per sample (conv and fc only)
  int row = -1;       // index into Network::rows
  Loc loc;            // source position that produced this layer
};

/// One line of the summary table: a source layer or one repetition of a
/// block, grouping the primitive layers it produced.
struct Row {
  std::string label; // "conv2_x.1" or "conv3"
  std::string desc;  // "[1x1, 64; 3x3, 64; 1x1, 256], /2, proj"
  Shape out;
  int64_t params = 0, macs = 0;
  Loc loc;
};

struct Network {
  std::string name;
  Shape input;
  int64_t classes = 0;
  std::vector<Layer> layers; // layers[0] is the Input
  std::vector<Row> rows;
  /// The parameter values the network was elaborated with, "name=value",
  /// in declaration order (file defaults with -D overrides applied).
  std::vector<std::string> bindings;
  /// How to train it: the family's defaults (defaultRecipe) with the file's
  /// `train` section on top. hasTrain: the file has a `train` section.
  TrainRecipe train;
  bool hasTrain = false;

  int64_t totalParams() const;
  int64_t totalMacs() const;
  const Layer &output() const { return layers.back(); }
};

} // namespace netc::dsl
