// Training ops of the `net` dialect: what -net-autodiff writes (see
// compiler/passes/Autodiff.cpp) and -net-fuse-train rewrites. Forward ops
// in training mode produce what their backward needs (batch statistics, a
// dropout mask); every *_grad op is one reverse-mode rule. Included by
// NetOps.td; shape rules in NetTrainOps.cpp.
#ifndef NETC_NET_TRAIN_OPS_TD
#define NETC_NET_TRAIN_OPS_TD

def I32TensorValue : TensorOf<[I32]>;

//===----------------------------------------------------------------------===//
// Forward ops in training mode
//===----------------------------------------------------------------------===//

def Net_BatchNormTrainOp : Net_Op<"batch_norm_train"> {
  let summary = "batch norm with batch statistics, optionally followed by relu";
  let description = [{
    Operands as net.batch_norm. Normalises with the batch mean and biased
    variance; `stats` rows are [batch mean, 1/sqrt(var + eps), updated
    running mean, updated running var (unbiased batch variance)], PyTorch's
    momentum convention. The runtime copies rows 2 and 3 back to the
    running-statistic parameters after the step. relu = true: y = relu(bn(x))
    (-net-fuse-train folds a following net.relu in).
  }];
  let arguments = (ins F32TensorValue:$x, F32TensorValue:$gamma,
                   F32TensorValue:$beta, F32TensorValue:$running_mean,
                   F32TensorValue:$running_var, F64Attr:$eps, F64Attr:$momentum,
                   BoolAttr:$relu);
  let results = (outs F32TensorValue:$output, F32TensorValue:$stats);
}

def Net_DropoutTrainOp : Net_Op<"dropout_train"> {
  let summary = "inverted dropout: y = x * mask / (1 - rate)";
  let description = [{
    `mask` (x's shape, 1 keeps, 0 drops) is drawn by the runtime before
    each step from its seeded generator: Bernoulli(1 - rate) per element.
  }];
  let arguments = (ins F32TensorValue:$x, F64Attr:$rate);
  let results = (outs F32TensorValue:$output, F32TensorValue:$mask);
}

def Net_SoftmaxCrossEntropyOp : Net_Op<"softmax_cross_entropy"> {
  let summary = "mean softmax cross-entropy loss and its gradient";
  let description = [{
    logits [N, K], labels [N] in [0, K). loss (tensor<f32>) is the batch mean
    of logsumexp(z) - z[label]; dlogits = (softmax(z) - onehot) / N.
  }];
  let arguments = (ins F32TensorValue:$logits, I32TensorValue:$labels);
  let results = (outs F32TensorValue:$loss, F32TensorValue:$dlogits);
}

//===----------------------------------------------------------------------===//
// Gradients
//===----------------------------------------------------------------------===//

def Net_ReluGradOp : Net_Op<"relu_grad"> {
  let summary = "dx = dy where y > 0, for y = relu(x)";
  let arguments = (ins F32TensorValue:$dy, F32TensorValue:$y);
  let results = (outs F32TensorValue:$dx);
}

def Net_Conv2dGradInputOp : Net_Op<"conv2d_grad_input"> {
  let summary = "conv dX: transposed convolution of dy, with a fused epilogue";
  let description = [{
    dx [N, C, input_size] = conv_transpose(dy, weight) for the forward
    conv2d with these kernel, strides and pads, then each `epilogue` entry
    in order, taking operands from `args` left to right:

      "add"          1 operand  a gradient of dx's shape    dx += g
      "add_shortcut" 1 operand  the gradient g of an option-A shortcut
                                (net.zero_pad_shortcut, `shortcut_stride`)
                                of x                        dx += its backward
      "relu_mask"    1 operand  m, x = relu(...) saved      dx *= (m > 0)
  }];
  let arguments = (ins F32TensorValue:$dy, F32TensorValue:$weight,
                   Variadic<F32TensorValue>:$args, I64ArrayAttr:$kernel,
                   I64ArrayAttr:$strides, I64ArrayAttr:$pads,
                   I64ArrayAttr:$input_size, StrArrayAttr:$epilogue,
                   OptionalAttr<I64Attr>:$shortcut_stride);
  let results = (outs F32TensorValue:$dx);
}

def Net_Conv2dGradWeightOp : Net_Op<"conv2d_grad_weight"> {
  let summary = "conv dW [O, C, kh, kw]: correlation of dy with the input";
  let arguments = (ins F32TensorValue:$dy, F32TensorValue:$x, I64ArrayAttr:$kernel,
                   I64ArrayAttr:$strides, I64ArrayAttr:$pads);
  let results = (outs F32TensorValue:$dw);
}

def Net_Conv2dGradBiasOp : Net_Op<"conv2d_grad_bias"> {
  let summary = "conv db [O]: dy summed over N, H, W";
  let arguments = (ins F32TensorValue:$dy);
  let results = (outs F32TensorValue:$db);
}

def Net_BatchNormGradOp : Net_Op<"batch_norm_grad"> {
  let summary = "batch-norm backward (training mode), optionally after relu backward";
  let description = [{
    Operands: dy, x (the forward input), stats (from net.batch_norm_train),
    gamma, and with relu = true the saved output y: dy is first masked by
    (y > 0), the relu backward of y = relu(...bn(x)...).
    Results: dx, dgamma, dbeta.
  }];
  let arguments = (ins F32TensorValue:$dy, F32TensorValue:$x, F32TensorValue:$stats,
                   F32TensorValue:$gamma, Optional<F32TensorValue>:$y, F64Attr:$eps,
                   BoolAttr:$relu);
  let results = (outs F32TensorValue:$dx, F32TensorValue:$dgamma, F32TensorValue:$dbeta);
}

def Net_MaxPoolGradOp : Net_Op<"max_pool_grad"> {
  let summary = "max-pool backward: dy to the first maximum of each window";
  let arguments = (ins F32TensorValue:$x, F32TensorValue:$dy, I64ArrayAttr:$kernel,
                   I64ArrayAttr:$strides, I64ArrayAttr:$pads);
  let results = (outs F32TensorValue:$dx);
}

def Net_AvgPoolGradOp : Net_Op<"avg_pool_grad"> {
  let summary = "avg-pool backward with the forward's divisor";
  let arguments = (ins F32TensorValue:$dy, I64ArrayAttr:$kernel, I64ArrayAttr:$strides,
                   I64ArrayAttr:$pads, BoolAttr:$count_include_pad,
                   I64ArrayAttr:$input_size);
  let results = (outs F32TensorValue:$dx);
}

def Net_GlobalAvgPoolGradOp : Net_Op<"global_avg_pool_grad"> {
  let summary = "dx = dy / (H * W) at every pixel of input_size [H, W]";
  let arguments = (ins F32TensorValue:$dy, I64ArrayAttr:$input_size);
  let results = (outs F32TensorValue:$dx);
}

def Net_UnflattenOp : Net_Op<"unflatten"> {
  let summary = "[N, C*H*W] -> [N, C, H, W] (`shape` = [C, H, W]): flatten's backward";
  let arguments = (ins F32TensorValue:$x, I64ArrayAttr:$shape);
  let results = (outs F32TensorValue:$output);
}

def Net_FcGradOp : Net_Op<"fc_grad"> {
  let summary = "fully connected backward: dx, dW [O, K], db [O]";
  let arguments = (ins F32TensorValue:$dy, F32TensorValue:$x, F32TensorValue:$weight);
  let results = (outs F32TensorValue:$dx, F32TensorValue:$dweight, F32TensorValue:$dbias);
}

def Net_ZeroPadShortcutGradOp : Net_Op<"zero_pad_shortcut_grad"> {
  let summary = "option-A shortcut backward: drop the padded channels, scatter to the strided pixels";
  let arguments = (ins F32TensorValue:$g, I64Attr:$stride, I64Attr:$in_channels,
                   I64ArrayAttr:$input_size);
  let results = (outs F32TensorValue:$dx);
}

def Net_DropoutGradOp : Net_Op<"dropout_grad"> {
  let summary = "dx = dy * mask / (1 - rate)";
  let arguments = (ins F32TensorValue:$dy, F32TensorValue:$mask, F64Attr:$rate);
  let results = (outs F32TensorValue:$dx);
}

//===----------------------------------------------------------------------===//
// Results of a training step
//===----------------------------------------------------------------------===//

def Net_ParamGradOp : Op<Net_Dialect, "param_grad"> {
  let summary = "the gradient of the loss with respect to parameter `name`";
  let description = [{
    A sink: the runtime hands the value to the optimiser.

      net.param_grad "conv1.weight", %g : tensor<16x3x3x3xf32>
  }];
  let arguments = (ins StrAttr:$name, F32TensorValue:$grad);
  let assemblyFormat = "$name `,` $grad attr-dict `:` type($grad)";
  let verifier = [{ return ::netc::net::verifyParamGrad(*this); }];
}

#endif
