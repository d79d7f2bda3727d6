// Ops of the `net` dialect. Each op's operands, attributes and result types
// are checked by one C++ function per op (NetOps.cpp, inferTypes) that also
// computes the result types; see Net_ShapeInferOpInterface.
//
// Spatial sizes follow PyTorch: out = floor((in + 2*pad - kernel) / stride) + 1.
// Weights use PyTorch layouts: conv [O, C, kh, kw], fc [O, K].
#ifndef NETC_NET_OPS_TD
#define NETC_NET_OPS_TD

include "compiler/dialect/NetDialect.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// All net ops are pure value computations (dropout too: it is the identity
// at inference, and training lowers it explicitly), so unused ones are dead.
class Net_Op<string mnemonic, list<Trait> traits = []>
    : Op<Net_Dialect, mnemonic,
         !listconcat(traits, [NoSideEffect,
                              DeclareOpInterfaceMethods<Net_ShapeInferOpInterface>])> {
  // One generic, round-trippable form for every op:
  //   %y = net.relu %x : (tensor<?x64x56x56xf32>) -> tensor<?x64x56x56xf32>
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
  let verifier = [{ return ::netc::net::verifyInferredTypes(getOperation()); }];
}

def F32TensorValue : TensorOf<[F32]>;

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

def Net_ParamOp : Net_Op<"param"> {
  let summary = "a named learnable tensor or buffer";
  let description = [{
    Names follow PyTorch's state_dict: "conv1.weight", "bn1.running_var".
    Values are bound at run time, so the type must be fully static.

      %w = net.param "conv1.weight" : tensor<64x3x7x7xf32>
  }];
  let arguments = (ins StrAttr:$name);
  let results = (outs F32TensorValue:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
}

def Net_FoldBnOp : Net_Op<"fold_bn"> {
  let summary = "folds inference batch norm into conv weight and bias";
  let description = [{
    Weights-only: computed once when parameters are bound, never per sample.
    With s = gamma / sqrt(var + eps):
      weight'[o] = weight[o] * s[o]
      bias'[o]   = (bias[o] - mean[o]) * s[o] + beta[o]   (bias = 0 if absent)
    Operands: weight [O,C,kh,kw], gamma, beta, mean, var [O], optional bias [O].
  }];
  let arguments = (ins F32TensorValue:$weight, F32TensorValue:$gamma,
                   F32TensorValue:$beta, F32TensorValue:$mean,
                   F32TensorValue:$var, Optional<F32TensorValue>:$bias,
                   F64Attr:$eps);
  let results = (outs F32TensorValue:$folded_weight, F32TensorValue:$folded_bias);
}

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

def Net_Conv2dOp : Net_Op<"conv2d"> {
  let summary = "2-D convolution, NCHW, weight [O, C, kh, kw], optional bias [O]";
  let description = [{
    kernel, strides, pads are [h, w]; padding is symmetric and zero-valued.
  }];
  let arguments = (ins F32TensorValue:$input, F32TensorValue:$weight,
                   Optional<F32TensorValue>:$bias, I64ArrayAttr:$kernel,
                   I64ArrayAttr:$strides, I64ArrayAttr:$pads);
  let results = (outs F32TensorValue:$output);
}

def Net_FusedConvOp : Net_Op<"fused_conv"> {
  let summary = "convolution followed by an ordered list of post-ops";
  let description = [{
    The oneDNN post-op model: the convolution result is passed through each
    entry of `post_ops` in order. Each post-op takes its operands from
    `args`, consumed left to right:

      "bias"  1 operand  per-channel bias [O]             y += b[o]
      "bn"    4 operands gamma, beta, mean, var [O]       inference batch norm
                         with epsilon `bn_eps` (required when "bn" is used)
      "add"   1 operand  residual, same shape as y        y += r
      "relu"  0 operands                                  y = max(y, 0)

    The residual of "add" may be any value (identity, zero_pad_shortcut,
    projection conv); it only has to dominate the op. Example, a ResNet
    block's second conv after -net-fold-bn -net-fuse:

      %y = net.fused_conv %x, %w, %b, %res {kernel = [3, 3], strides = [1, 1],
             pads = [1, 1], post_ops = ["bias", "add", "relu"]} : (...) -> ...
  }];
  let arguments = (ins F32TensorValue:$input, F32TensorValue:$weight,
                   Variadic<F32TensorValue>:$args, I64ArrayAttr:$kernel,
                   I64ArrayAttr:$strides, I64ArrayAttr:$pads,
                   StrArrayAttr:$post_ops, OptionalAttr<F64Attr>:$bn_eps);
  let results = (outs F32TensorValue:$output);
}

def Net_BatchNormOp : Net_Op<"batch_norm"> {
  let summary = "per-channel batch normalisation over N, H, W";
  let description = [{
    Operands: x [N,C,H,W], gamma, beta, running_mean, running_var [C].
    Inference uses the running statistics; training updates them with
    `momentum` (PyTorch's convention: new = (1-m)*old + m*batch).
  }];
  let arguments = (ins F32TensorValue:$x, F32TensorValue:$gamma,
                   F32TensorValue:$beta, F32TensorValue:$running_mean,
                   F32TensorValue:$running_var, F64Attr:$eps, F64Attr:$momentum);
  let results = (outs F32TensorValue:$output);
}

def Net_ReluOp : Net_Op<"relu"> {
  let summary = "element-wise max(x, 0)";
  let arguments = (ins F32TensorValue:$x);
  let results = (outs F32TensorValue:$output);
}

def Net_AddOp : Net_Op<"add"> {
  let summary = "element-wise sum of two equally shaped tensors";
  let arguments = (ins F32TensorValue:$lhs, F32TensorValue:$rhs);
  let results = (outs F32TensorValue:$output);
}

def Net_MaxPoolOp : Net_Op<"max_pool"> {
  let summary = "windowed maximum; padding never wins";
  let arguments = (ins F32TensorValue:$x, I64ArrayAttr:$kernel,
                   I64ArrayAttr:$strides, I64ArrayAttr:$pads);
  let results = (outs F32TensorValue:$output);
}

def Net_AvgPoolOp : Net_Op<"avg_pool"> {
  let summary = "windowed average";
  let description = [{
    With count_include_pad (PyTorch's default) the divisor is always
    kh*kw; otherwise it counts only in-bounds elements.
  }];
  let arguments = (ins F32TensorValue:$x, I64ArrayAttr:$kernel,
                   I64ArrayAttr:$strides, I64ArrayAttr:$pads,
                   BoolAttr:$count_include_pad);
  let results = (outs F32TensorValue:$output);
}

def Net_GlobalAvgPoolOp : Net_Op<"global_avg_pool"> {
  let summary = "mean over H and W: [N,C,H,W] -> [N,C,1,1]";
  let arguments = (ins F32TensorValue:$x);
  let results = (outs F32TensorValue:$output);
}

def Net_FlattenOp : Net_Op<"flatten"> {
  let summary = "[N,C,H,W] -> [N,C*H*W] in NCHW order (torch.flatten(x, 1))";
  let arguments = (ins F32TensorValue:$x);
  let results = (outs F32TensorValue:$output);
}

def Net_FcOp : Net_Op<"fc"> {
  let summary = "fully connected: y = x W^T + b, x [N,K], W [O,K], b [O]";
  let arguments = (ins F32TensorValue:$x, F32TensorValue:$weight,
                   F32TensorValue:$bias);
  let results = (outs F32TensorValue:$output);
}

def Net_DropoutOp : Net_Op<"dropout"> {
  let summary = "inverted dropout with probability `rate`; identity at inference";
  let arguments = (ins F32TensorValue:$x, F64Attr:$rate);
  let results = (outs F32TensorValue:$output);
}

def Net_LrnOp : Net_Op<"lrn"> {
  let summary = "local response normalisation across channels";
  let description = [{
    PyTorch's LocalResponseNorm: y = x / (k + alpha/size * sum_{window} x^2)^beta
    over a window of `size` channels centred on each channel.
  }];
  let arguments = (ins F32TensorValue:$x, I64Attr:$size, F64Attr:$alpha,
                   F64Attr:$beta, F64Attr:$k);
  let results = (outs F32TensorValue:$output);
}

def Net_SoftmaxOp : Net_Op<"softmax"> {
  let summary = "softmax over dimension 1 of [N, K]";
  let arguments = (ins F32TensorValue:$x);
  let results = (outs F32TensorValue:$output);
}

def Net_ZeroPadShortcutOp : Net_Op<"zero_pad_shortcut"> {
  let summary = "option-A residual shortcut: subsample, then zero channels";
  let description = [{
    y = x[:, :, ::stride, ::stride] with the channel dimension padded with
    zeros up to `out_channels`, split as dsl/Network.h defines it:
    (out_channels - C) / 2 zero channels before x's, the rest after.
    [N,C,H,W] -> [N, out_channels, ceil(H/stride), ceil(W/stride)].
  }];
  let arguments = (ins F32TensorValue:$x, I64Attr:$stride, I64Attr:$out_channels);
  let results = (outs F32TensorValue:$output);
}

include "compiler/dialect/NetTrainOps.td"

#endif
