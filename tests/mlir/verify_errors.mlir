// PASSES: -split-input-file -verify-diagnostics
// One malformed op per split; each verifier message is checked.

func @param_dynamic() {
  // expected-error @+1 {{parameter 'w' must have a static shape}}
  %w = net.param "w" : tensor<?x3xf32>
  return
}

// -----

func @param_unnamed() {
  // expected-error @+1 {{needs a non-empty name}}
  %w = net.param "" : tensor<3xf32>
  return
}

// -----

func @element_type(%x: tensor<?x4xi32>) {
  // expected-error @+1 {{must be tensor of 32-bit float values}}
  %0 = net.relu %x : (tensor<?x4xi32>) -> tensor<?x4xi32>
  return
}

// -----

func @conv_channels(%x: tensor<?x3x8x8xf32>, %w: tensor<4x5x3x3xf32>) {
  // expected-error @+1 {{weight has 5 input channels but the input has 3}}
  %0 = net.conv2d %x, %w {kernel = [3, 3], strides = [1, 1], pads = [1, 1]} : (tensor<?x3x8x8xf32>, tensor<4x5x3x3xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @conv_kernel(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{weight window 3x3 does not match kernel 5x5}}
  %0 = net.conv2d %x, %w {kernel = [5, 5], strides = [1, 1], pads = [2, 2]} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @conv_bias(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<5xf32>) {
  // expected-error @+1 {{bias must have 4 elements, got 5}}
  %0 = net.conv2d %x, %w, %b {kernel = [3, 3], strides = [1, 1], pads = [1, 1]} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<5xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @conv_stride(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{strides entries must be >= 1, got 0}}
  %0 = net.conv2d %x, %w {kernel = [3, 3], strides = [0, 1], pads = [1, 1]} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @conv_pair(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{pads must have 2 entries [h, w], got 3}}
  %0 = net.conv2d %x, %w {kernel = [3, 3], strides = [1, 1], pads = [1, 1, 1]} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @conv_result(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{result type 'tensor<?x4x8x8xf32>' does not match the inferred 'tensor<?x4x4x4xf32>'}}
  %0 = net.conv2d %x, %w {kernel = [3, 3], strides = [2, 2], pads = [1, 1]} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @conv_window(%x: tensor<?x3x2x2xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{window 3x3 is larger than the padded input}}
  %0 = net.conv2d %x, %w {kernel = [3, 3], strides = [1, 1], pads = [0, 0]} : (tensor<?x3x2x2xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x1x1xf32>
  return
}

// -----

func @conv_rank(%x: tensor<?x3xf32>, %w: tensor<4x3x1x1xf32>) {
  // expected-error @+1 {{input must have rank 4, got 2}}
  %0 = net.conv2d %x, %w {kernel = [1, 1], strides = [1, 1], pads = [0, 0]} : (tensor<?x3xf32>, tensor<4x3x1x1xf32>) -> tensor<?x4x1x1xf32>
  return
}

// -----

func @bn_gamma(%x: tensor<?x4x8x8xf32>, %g: tensor<3xf32>, %v: tensor<4xf32>) {
  // expected-error @+1 {{gamma must have 4 elements, got 3}}
  %0 = net.batch_norm %x, %g, %v, %v, %v {eps = 1.0e-05 : f64, momentum = 0.1 : f64} : (tensor<?x4x8x8xf32>, tensor<3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @bn_eps(%x: tensor<?x4x8x8xf32>, %v: tensor<4xf32>) {
  // expected-error @+1 {{eps must be positive, got 0}}
  %0 = net.batch_norm %x, %v, %v, %v, %v {eps = 0.0 : f64, momentum = 0.1 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @bn_momentum(%x: tensor<?x4x8x8xf32>, %v: tensor<4xf32>) {
  // expected-error @+1 {{momentum must be in [0, 1], got 2}}
  %0 = net.batch_norm %x, %v, %v, %v, %v {eps = 1.0e-05 : f64, momentum = 2.0 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @add_shapes(%a: tensor<?x4x8x8xf32>, %b: tensor<?x8x4x4xf32>) {
  // expected-error @+1 {{operand shapes differ}}
  %0 = net.add %a, %b : (tensor<?x4x8x8xf32>, tensor<?x8x4x4xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @pool_pads(%x: tensor<?x4x8x8xf32>) {
  // expected-error @+1 {{pads must be smaller than the kernel}}
  %0 = net.max_pool %x {kernel = [2, 2], strides = [2, 2], pads = [2, 2]} : (tensor<?x4x8x8xf32>) -> tensor<?x4x6x6xf32>
  return
}

// -----

func @avg_pool_result(%x: tensor<?x4x8x8xf32>) {
  // expected-error @+1 {{does not match the inferred 'tensor<?x4x4x4xf32>'}}
  %0 = net.avg_pool %x {kernel = [2, 2], strides = [2, 2], pads = [0, 0], count_include_pad = true} : (tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @gap_result(%x: tensor<?x4x8x8xf32>) {
  // expected-error @+1 {{does not match the inferred 'tensor<?x4x1x1xf32>'}}
  %0 = net.global_avg_pool %x : (tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @flatten_result(%x: tensor<?x4x2x2xf32>) {
  // expected-error @+1 {{does not match the inferred 'tensor<?x16xf32>'}}
  %0 = net.flatten %x : (tensor<?x4x2x2xf32>) -> tensor<?x4xf32>
  return
}

// -----

func @fc_features(%x: tensor<?x16xf32>, %w: tensor<10x32xf32>, %b: tensor<10xf32>) {
  // expected-error @+1 {{weight expects 32 input features but the input has 16}}
  %0 = net.fc %x, %w, %b : (tensor<?x16xf32>, tensor<10x32xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  return
}

// -----

func @fc_rank(%x: tensor<?x16x1x1xf32>, %w: tensor<10x16xf32>, %b: tensor<10xf32>) {
  // expected-error @+1 {{input must have rank 2, got 4}}
  %0 = net.fc %x, %w, %b : (tensor<?x16x1x1xf32>, tensor<10x16xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  return
}

// -----

func @dropout_rate(%x: tensor<?x16xf32>) {
  // expected-error @+1 {{rate must be in [0, 1), got 1}}
  %0 = net.dropout %x {rate = 1.0 : f64} : (tensor<?x16xf32>) -> tensor<?x16xf32>
  return
}

// -----

func @lrn_size(%x: tensor<?x16x4x4xf32>) {
  // expected-error @+1 {{size must be >= 1}}
  %0 = net.lrn %x {size = 0 : i64, alpha = 1.0e-4 : f64, beta = 0.75 : f64, k = 2.0 : f64} : (tensor<?x16x4x4xf32>) -> tensor<?x16x4x4xf32>
  return
}

// -----

func @softmax_rank(%x: tensor<?x16x4x4xf32>) {
  // expected-error @+1 {{input must have rank 2, got 4}}
  %0 = net.softmax %x : (tensor<?x16x4x4xf32>) -> tensor<?x16x4x4xf32>
  return
}

// -----

func @zero_pad_channels(%x: tensor<?x16x8x8xf32>) {
  // expected-error @+1 {{out_channels 8 is fewer than the input's 16}}
  %0 = net.zero_pad_shortcut %x {stride = 2 : i64, out_channels = 8 : i64} : (tensor<?x16x8x8xf32>) -> tensor<?x8x4x4xf32>
  return
}

// -----

func @fused_unknown(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x1x1xf32>) {
  // expected-error @+1 {{unknown post-op 'gelu' (expected bias, bn, add or relu)}}
  %0 = net.fused_conv %x, %w {kernel = [1, 1], strides = [1, 1], pads = [0, 0], post_ops = ["gelu"]} : (tensor<?x3x8x8xf32>, tensor<4x3x1x1xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @fused_few(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x1x1xf32>, %v: tensor<4xf32>) {
  // expected-error @+1 {{post-op 'bn' needs 4 more operand(s) than given}}
  %0 = net.fused_conv %x, %w, %v, %v {kernel = [1, 1], strides = [1, 1], pads = [0, 0], post_ops = ["bn"], bn_eps = 1.0e-5 : f64} : (tensor<?x3x8x8xf32>, tensor<4x3x1x1xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @fused_extra(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x1x1xf32>, %v: tensor<4xf32>) {
  // expected-error @+1 {{post-ops use 1 operand(s) but 2 were given}}
  %0 = net.fused_conv %x, %w, %v, %v {kernel = [1, 1], strides = [1, 1], pads = [0, 0], post_ops = ["bias", "relu"]} : (tensor<?x3x8x8xf32>, tensor<4x3x1x1xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @fused_bn_eps(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x1x1xf32>, %v: tensor<4xf32>) {
  // expected-error @+1 {{post-op 'bn' needs the bn_eps attribute}}
  %0 = net.fused_conv %x, %w, %v, %v, %v, %v {kernel = [1, 1], strides = [1, 1], pads = [0, 0], post_ops = ["bn"]} : (tensor<?x3x8x8xf32>, tensor<4x3x1x1xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @fused_residual(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x1x1xf32>, %r: tensor<?x3x8x8xf32>) {
  // expected-error @+1 {{residual 'tensor<?x3x8x8xf32>' does not match the convolution's 'tensor<?x4x8x8xf32>'}}
  %0 = net.fused_conv %x, %w, %r {kernel = [1, 1], strides = [1, 1], pads = [0, 0], post_ops = ["add"]} : (tensor<?x3x8x8xf32>, tensor<4x3x1x1xf32>, tensor<?x3x8x8xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @fold_bn_sizes(%w: tensor<4x3x1x1xf32>, %v: tensor<4xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{gamma must have 4 elements, got 8}}
  %0, %1 = net.fold_bn %w, %g, %v, %v, %v {eps = 1.0e-05 : f64} : (tensor<4x3x1x1xf32>, tensor<8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<4x3x1x1xf32>, tensor<4xf32>)
  return
}
