// The syntax tree of a .net file: what was written, before parameters are
// bound and blocks expanded (that is Elaborate's job). The printer turns it
// back into canonical text; parse(print(ast)) == ast.
#pragma once

#include "dsl/Source.h"
#include "dsl/TrainRecipe.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace netc::dsl {

/// Integer expression: a literal, a parameter name, or arithmetic.
struct Expr {
  enum Kind { Int, Name, Binary } kind = Int;
  int64_t value = 0;
  std::string name;
  char op = 0; // + - * /
  std::shared_ptr<Expr> lhs, rhs;
  Loc loc;
};
using ExprP = std::shared_ptr<Expr>;

/// A parameter value: an expression, a word (A, none, first), a shape
/// (3x224x224) or a decimal number.
struct Value {
  enum Kind { Number, Word, Dims, Real } kind = Number;
  ExprP expr;
  std::string word;
  std::vector<int64_t> dims;
  double real = 0;
  Loc loc;
};

/// One item of a layer line.
struct Item {
  enum Kind {
    Conv,     // 3x3, 64 | conv3-64 | conv 3x3, 64
    MaxPool,  // maxpool [KxK]
    AvgPool,  // avgpool [KxK]; no size means global average pooling
    Fc,       // fc N | FC-N
    Dropout,  // dropout 0.5
    Lrn,      // LRN | LRN(size=5, alpha=1e-4, beta=0.75, k=2)
    Softmax, Relu, BatchNorm, Flatten,
    Group,    // [seq; seq; ...]  a block written inline
    Call,     // name | name(args): a user-defined block
  } kind = Conv;
  Loc loc;
  int length = 1; // source length of the head, for carets

  int64_t kh = 0, kw = 0; // Conv, pools (0 = not given)
  ExprP width;            // Conv output channels, Fc outputs
  ExprP stride;           // ", /2" or ", stride 2"
  ExprP pad;              // ", pad 1"
  ExprP repeat;           // "x3"
  double rate = 0;        // Dropout
  int64_t lrnSize = 5;    // Lrn (Krizhevsky 2012 defaults)
  double lrnAlpha = 1e-4, lrnBeta = 0.75, lrnK = 2;
  int bias = -1;          // Conv: -1 follow the 'bias' setting, 0 no, 1 yes
  bool linear = false;    // no activation after this conv/fc

  std::vector<std::vector<Item>> seqs; // Group: ';'-separated sequences
  std::string callee;                  // Call
  std::vector<ExprP> args;             // Call
};

/// A layer line: an optional label and its items.
struct LayerLine {
  std::string label; // empty if none
  Loc loc;
  std::vector<Item> items;
};

/// block NAME(p, q=1) [residual|plain] ... end
struct BlockDef {
  std::string name;
  Loc loc;
  std::vector<std::string> params;
  std::vector<ExprP> defaults; // null where no default
  enum Mode { Auto, Residual, Plain } mode = Auto; // Auto: residual unless shortcut none
  std::vector<LayerLine> body;
};

/// param NAME = VALUE, or a setting written as "NAME VALUE" (input, classes,
/// norm, shortcut, stride_in, bias).
struct ParamDef {
  std::string name;
  Loc loc;
  Value value;
  bool setting = false; // written without 'param' and '='
};

/// The optional `train ... end` section: the keys written, in order, and
/// their values. Only the fields of the keys written are meaningful in
/// `values`; the others are filled from the network's family when elaborated.
struct TrainSection {
  struct Key {
    std::string name; // canonical key (trainKeys())
    Loc loc;
  };
  bool present = false;
  Loc loc; // of 'train'
  std::vector<Key> keys;
  TrainRecipe values;
  bool has(const std::string &key) const {
    for (const Key &k : keys)
      if (k.name == key)
        return true;
    return false;
  }
};

struct Program {
  std::string name;
  Loc nameLoc;
  std::vector<ParamDef> params;
  std::vector<BlockDef> blocks;
  std::vector<LayerLine> lines;
  TrainSection train;
};

} // namespace netc::dsl
