#include "dsl/Network.h"

namespace netc::dsl {

const char *opName(Op op) {
  switch (op) {
  case Op::Input: return "input";
  case Op::Conv: return "conv";
  case Op::BatchNorm: return "batch_norm";
  case Op::Relu: return "relu";
  case Op::Add: return "add";
  case Op::MaxPool: return "max_pool";
  case Op::AvgPool: return "avg_pool";
  case Op::GlobalAvgPool: return "global_avg_pool";
  case Op::Flatten: return "flatten";
  case Op::Fc: return "fc";
  case Op::Dropout: return "dropout";
  case Op::Lrn: return "lrn";
  case Op::Softmax: return "softmax";
  case Op::ZeroPadShortcut: return "zero_pad_shortcut";
  }
  return "?";
}

int64_t Network::totalParams() const {
  int64_t n = 0;
  for (const Layer &l : layers)
    n += l.params;
  return n;
}

int64_t Network::totalMacs() const {
  int64_t n = 0;
  for (const Layer &l : layers)
    n += l.macs;
  return n;
}

} // namespace netc::dsl
