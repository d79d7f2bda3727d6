// PASSES: -split-input-file -verify-diagnostics
// Shape rules of the training ops (compiler/dialect/NetTrainOps.cpp): one
// malformed op per split; each message is checked.

func @param_grad_unnamed(%g: tensor<3xf32>) {
  // expected-error @+1 {{needs a non-empty name}}
  net.param_grad "", %g : tensor<3xf32>
  return
}

// -----

func @param_grad_dynamic(%g: tensor<?x3xf32>) {
  // expected-error @+1 {{gradient of 'w' must have a static shape}}
  net.param_grad "w", %g : tensor<?x3xf32>
  return
}

// -----

func @bn_train_momentum(%x: tensor<?x4x8x8xf32>, %v: tensor<4xf32>) {
  // expected-error @+1 {{momentum must be in [0, 1], got 1.5}}
  %y, %s = net.batch_norm_train %x, %v, %v, %v, %v {eps = 1.0e-05 : f64, momentum = 1.5 : f64, relu = false} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<?x4x8x8xf32>, tensor<4x4xf32>)
  return
}

// -----

func @bn_train_channels(%x: tensor<?x4x8x8xf32>, %v: tensor<4xf32>, %u: tensor<5xf32>) {
  // expected-error @+1 {{per-channel operand must have 4 elements, got 5}}
  %y, %s = net.batch_norm_train %x, %v, %v, %v, %u {eps = 1.0e-05 : f64, momentum = 0.1 : f64, relu = false} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<5xf32>) -> (tensor<?x4x8x8xf32>, tensor<4x4xf32>)
  return
}

// -----

func @dropout_train_rate(%x: tensor<?x64xf32>) {
  // expected-error @+1 {{rate must be in [0, 1), got 1}}
  %y, %m = net.dropout_train %x {rate = 1.0 : f64} : (tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>)
  return
}

// -----

func @xent_batch(%z: tensor<4x10xf32>, %l: tensor<5xi32>) {
  // expected-error @+1 {{batch of logits (4) and labels (5) differ}}
  %loss, %d = net.softmax_cross_entropy %z, %l : (tensor<4x10xf32>, tensor<5xi32>) -> (tensor<f32>, tensor<4x10xf32>)
  return
}

// -----

func @xent_labels_rank(%z: tensor<?x10xf32>, %l: tensor<?x1xi32>) {
  // expected-error @+1 {{labels must have rank 1, got 2}}
  %loss, %d = net.softmax_cross_entropy %z, %l : (tensor<?x10xf32>, tensor<?x1xi32>) -> (tensor<f32>, tensor<?x10xf32>)
  return
}

// -----

func @relu_grad_shape(%d: tensor<?x4x8x8xf32>, %y: tensor<?x4x4x4xf32>) {
  // expected-error @+1 {{gradient 'tensor<?x4x8x8xf32>' and output 'tensor<?x4x4x4xf32>' differ}}
  %0 = net.relu_grad %d, %y : (tensor<?x4x8x8xf32>, tensor<?x4x4x4xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @grad_input_unknown_epilogue(%dy: tensor<?x4x8x8xf32>, %w: tensor<4x4x3x3xf32>, %g: tensor<?x4x8x8xf32>) {
  // expected-error @+1 {{unknown epilogue 'mul' (expected add, add_shortcut or relu_mask)}}
  %0 = net.conv2d_grad_input %dy, %w, %g {kernel = [3, 3], strides = [1, 1], pads = [1, 1], input_size = [8, 8], epilogue = ["mul"]} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @grad_input_epilogue_count(%dy: tensor<?x4x8x8xf32>, %w: tensor<4x4x3x3xf32>, %g: tensor<?x4x8x8xf32>) {
  // expected-error @+1 {{epilogue has 2 entries but 1 operands}}
  %0 = net.conv2d_grad_input %dy, %w, %g {kernel = [3, 3], strides = [1, 1], pads = [1, 1], input_size = [8, 8], epilogue = ["add", "relu_mask"]} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @grad_input_add_shortcut_stride(%dy: tensor<?x8x4x4xf32>, %w: tensor<8x4x3x3xf32>, %g: tensor<?x8x4x4xf32>) {
  // expected-error @+1 {{'add_shortcut' needs shortcut_stride >= 1}}
  %0 = net.conv2d_grad_input %dy, %w, %g {kernel = [3, 3], strides = [2, 2], pads = [1, 1], input_size = [8, 8], epilogue = ["add_shortcut"]} : (tensor<?x8x4x4xf32>, tensor<8x4x3x3xf32>, tensor<?x8x4x4xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @grad_input_add_shortcut_stride_zero(%dy: tensor<?x8x4x4xf32>, %w: tensor<8x4x3x3xf32>, %g: tensor<?x8x4x4xf32>) {
  // expected-error @+1 {{'add_shortcut' needs shortcut_stride >= 1}}
  %0 = net.conv2d_grad_input %dy, %w, %g {kernel = [3, 3], strides = [2, 2], pads = [1, 1], input_size = [8, 8], epilogue = ["add_shortcut"], shortcut_stride = 0 : i64} : (tensor<?x8x4x4xf32>, tensor<8x4x3x3xf32>, tensor<?x8x4x4xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @grad_input_add_shape(%dy: tensor<?x4x8x8xf32>, %w: tensor<4x4x3x3xf32>, %g: tensor<?x4x4x4xf32>) {
  // expected-error @+1 {{'add' operand 'tensor<?x4x4x4xf32>' does not match dx 'tensor<?x4x8x8xf32>'}}
  %0 = net.conv2d_grad_input %dy, %w, %g {kernel = [3, 3], strides = [1, 1], pads = [1, 1], input_size = [8, 8], epilogue = ["add"]} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<?x4x4x4xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @grad_input_relu_mask_shape(%dy: tensor<?x4x8x8xf32>, %w: tensor<4x4x3x3xf32>, %m: tensor<?x5x8x8xf32>) {
  // expected-error @+1 {{'relu_mask' operand 'tensor<?x5x8x8xf32>' does not match dx 'tensor<?x4x8x8xf32>'}}
  %0 = net.conv2d_grad_input %dy, %w, %m {kernel = [3, 3], strides = [1, 1], pads = [1, 1], input_size = [8, 8], epilogue = ["relu_mask"]} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<?x5x8x8xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @grad_input_window(%dy: tensor<?x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{gradient 'tensor<?x4x8x8xf32>' does not come from input 'tensor<?x4x16x16xf32>' through this window}}
  %0 = net.conv2d_grad_input %dy, %w {kernel = [3, 3], strides = [1, 1], pads = [1, 1], input_size = [16, 16], epilogue = []} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<?x4x16x16xf32>
  return
}

// -----

func @grad_input_channels(%dy: tensor<?x5x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{gradient has 5 channels, expected 4}}
  %0 = net.conv2d_grad_input %dy, %w {kernel = [3, 3], strides = [1, 1], pads = [1, 1], input_size = [8, 8], epilogue = []} : (tensor<?x5x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @grad_input_size(%dy: tensor<?x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{input_size must have 2 entries [h, w], got 1}}
  %0 = net.conv2d_grad_input %dy, %w {kernel = [3, 3], strides = [1, 1], pads = [1, 1], input_size = [8], epilogue = []} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @grad_weight_window(%dy: tensor<?x4x8x8xf32>, %x: tensor<?x3x8x8xf32>) {
  // expected-error @+1 {{gradient 'tensor<?x4x8x8xf32>' does not come from input 'tensor<?x3x8x8xf32>' through this window}}
  %0 = net.conv2d_grad_weight %dy, %x {kernel = [3, 3], strides = [2, 2], pads = [1, 1]} : (tensor<?x4x8x8xf32>, tensor<?x3x8x8xf32>) -> tensor<4x3x3x3xf32>
  return
}

// -----

func @grad_bias_rank(%dy: tensor<?x4xf32>) {
  // expected-error @+1 {{dy must have rank 4, got 2}}
  %0 = net.conv2d_grad_bias %dy : (tensor<?x4xf32>) -> tensor<4xf32>
  return
}

// -----

func @bn_grad_relu_without_y(%d: tensor<?x4x8x8xf32>, %x: tensor<?x4x8x8xf32>, %s: tensor<4x4xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{takes the saved output y exactly when relu = true}}
  %dx, %dg, %db = net.batch_norm_grad %d, %x, %s, %g {eps = 1.0e-05 : f64, relu = true} : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>, tensor<4x4xf32>, tensor<4xf32>) -> (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func @bn_grad_y_without_relu(%d: tensor<?x4x8x8xf32>, %x: tensor<?x4x8x8xf32>, %s: tensor<4x4xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{takes the saved output y exactly when relu = true}}
  %dx, %dg, %db = net.batch_norm_grad %d, %x, %s, %g, %x {eps = 1.0e-05 : f64, relu = false} : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<?x4x8x8xf32>) -> (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func @bn_grad_y_shape(%d: tensor<?x4x8x8xf32>, %x: tensor<?x4x8x8xf32>, %s: tensor<4x4xf32>, %g: tensor<4xf32>, %y: tensor<?x4x4x4xf32>) {
  // expected-error @+1 {{saved output 'tensor<?x4x4x4xf32>' does not match the input}}
  %dx, %dg, %db = net.batch_norm_grad %d, %x, %s, %g, %y {eps = 1.0e-05 : f64, relu = true} : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<?x4x4x4xf32>) -> (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func @bn_grad_stats(%d: tensor<?x4x8x8xf32>, %x: tensor<?x4x8x8xf32>, %s: tensor<3x4xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{stats must be 4x4, got 'tensor<3x4xf32>'}}
  %dx, %dg, %db = net.batch_norm_grad %d, %x, %s, %g {eps = 1.0e-05 : f64, relu = false} : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>, tensor<3x4xf32>, tensor<4xf32>) -> (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func @bn_grad_stats_channels(%d: tensor<?x4x8x8xf32>, %x: tensor<?x4x8x8xf32>, %s: tensor<4x8xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{stats must be 4x4, got 'tensor<4x8xf32>'}}
  %dx, %dg, %db = net.batch_norm_grad %d, %x, %s, %g {eps = 1.0e-05 : f64, relu = false} : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func @bn_grad_dy(%d: tensor<?x8x8x8xf32>, %x: tensor<?x4x8x8xf32>, %s: tensor<4x4xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{gradient 'tensor<?x8x8x8xf32>' and input 'tensor<?x4x8x8xf32>' differ}}
  %dx, %dg, %db = net.batch_norm_grad %d, %x, %s, %g {eps = 1.0e-05 : f64, relu = false} : (tensor<?x8x8x8xf32>, tensor<?x4x8x8xf32>, tensor<4x4xf32>, tensor<4xf32>) -> (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func @bn_grad_gamma(%d: tensor<?x4x8x8xf32>, %x: tensor<?x4x8x8xf32>, %s: tensor<4x4xf32>, %g: tensor<5xf32>) {
  // expected-error @+1 {{gamma must have 4 elements, got 5}}
  %dx, %dg, %db = net.batch_norm_grad %d, %x, %s, %g {eps = 1.0e-05 : f64, relu = false} : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>, tensor<4x4xf32>, tensor<5xf32>) -> (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func @max_pool_grad_window(%x: tensor<?x4x8x8xf32>, %dy: tensor<?x4x8x8xf32>) {
  // expected-error @+1 {{gradient 'tensor<?x4x8x8xf32>' does not come from input 'tensor<?x4x8x8xf32>' through this window}}
  %0 = net.max_pool_grad %x, %dy {kernel = [2, 2], strides = [2, 2], pads = [0, 0]} : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @max_pool_grad_channels(%x: tensor<?x4x8x8xf32>, %dy: tensor<?x8x4x4xf32>) {
  // expected-error @+1 {{gradient has 8 channels, expected 4}}
  %0 = net.max_pool_grad %x, %dy {kernel = [2, 2], strides = [2, 2], pads = [0, 0]} : (tensor<?x4x8x8xf32>, tensor<?x8x4x4xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @avg_pool_grad_input_size(%dy: tensor<?x4x4x4xf32>) {
  // expected-error @+1 {{input_size entries must be >= 1, got 0}}
  %0 = net.avg_pool_grad %dy {kernel = [2, 2], strides = [2, 2], pads = [0, 0], count_include_pad = true, input_size = [0, 8]} : (tensor<?x4x4x4xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @avg_pool_grad_window(%dy: tensor<?x4x4x4xf32>) {
  // expected-error @+1 {{gradient 'tensor<?x4x4x4xf32>' does not come from input 'tensor<?x4x16x16xf32>' through this window}}
  %0 = net.avg_pool_grad %dy {kernel = [2, 2], strides = [2, 2], pads = [0, 0], count_include_pad = true, input_size = [16, 16]} : (tensor<?x4x4x4xf32>) -> tensor<?x4x16x16xf32>
  return
}

// -----

func @global_avg_pool_grad_not_1x1(%dy: tensor<?x4x2x2xf32>) {
  // expected-error @+1 {{gradient must be Nx4x1x1, got 'tensor<?x4x2x2xf32>'}}
  %0 = net.global_avg_pool_grad %dy {input_size = [8, 8]} : (tensor<?x4x2x2xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @unflatten_size(%x: tensor<?x64xf32>) {
  // expected-error @+1 {{cannot unflatten 64 features to 4x4x3}}
  %0 = net.unflatten %x {shape = [4, 4, 3]} : (tensor<?x64xf32>) -> tensor<?x4x4x3xf32>
  return
}

// -----

func @unflatten_shape_rank(%x: tensor<?x64xf32>) {
  // expected-error @+1 {{shape must be [C, H, W]}}
  %0 = net.unflatten %x {shape = [4, 16]} : (tensor<?x64xf32>) -> tensor<?x4x16xf32>
  return
}

// -----

func @unflatten_shape_entry(%x: tensor<?x64xf32>) {
  // expected-error @+1 {{shape entries must be >= 1}}
  %0 = net.unflatten %x {shape = [64, 1, 0]} : (tensor<?x64xf32>) -> tensor<?x64x1x0xf32>
  return
}

// -----

func @unflatten_rank(%x: tensor<?x4x4x4xf32>) {
  // expected-error @+1 {{input must have rank 2, got 4}}
  %0 = net.unflatten %x {shape = [4, 4, 4]} : (tensor<?x4x4x4xf32>) -> tensor<?x4x4x4xf32>
  return
}

// -----

func @fc_grad_weight(%dy: tensor<?x10xf32>, %x: tensor<?x64xf32>, %w: tensor<10x32xf32>) {
  // expected-error @+1 {{dy 'tensor<?x10xf32>' and input 'tensor<?x64xf32>' do not fit weight 'tensor<10x32xf32>'}}
  %dx, %dw, %db = net.fc_grad %dy, %x, %w : (tensor<?x10xf32>, tensor<?x64xf32>, tensor<10x32xf32>) -> (tensor<?x64xf32>, tensor<10x32xf32>, tensor<10xf32>)
  return
}

// -----

func @fc_grad_dy(%dy: tensor<?x5xf32>, %x: tensor<?x64xf32>, %w: tensor<10x64xf32>) {
  // expected-error @+1 {{dy 'tensor<?x5xf32>' and input 'tensor<?x64xf32>' do not fit weight 'tensor<10x64xf32>'}}
  %dx, %dw, %db = net.fc_grad %dy, %x, %w : (tensor<?x5xf32>, tensor<?x64xf32>, tensor<10x64xf32>) -> (tensor<?x64xf32>, tensor<10x64xf32>, tensor<10xf32>)
  return
}

// -----

func @zero_pad_grad_stride(%g: tensor<?x8x4x4xf32>) {
  // expected-error @+1 {{stride must be >= 1}}
  %0 = net.zero_pad_shortcut_grad %g {stride = 0 : i64, in_channels = 4 : i64, input_size = [8, 8]} : (tensor<?x8x4x4xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @zero_pad_grad_channels(%g: tensor<?x8x4x4xf32>) {
  // expected-error @+1 {{in_channels 16 exceeds the gradient's 8}}
  %0 = net.zero_pad_shortcut_grad %g {stride = 2 : i64, in_channels = 16 : i64, input_size = [8, 8]} : (tensor<?x8x4x4xf32>) -> tensor<?x16x8x8xf32>
  return
}

// -----

func @zero_pad_grad_spatial(%g: tensor<?x8x4x4xf32>) {
  // expected-error @+1 {{shortcut gradient 'tensor<?x8x4x4xf32>' is not the shape of an option-A shortcut of 'tensor<?x4x20x20xf32>' with stride 2}}
  %0 = net.zero_pad_shortcut_grad %g {stride = 2 : i64, in_channels = 4 : i64, input_size = [20, 20]} : (tensor<?x8x4x4xf32>) -> tensor<?x4x20x20xf32>
  return
}

// -----

func @grad_input_add_shortcut_shape(%dy: tensor<?x8x4x4xf32>, %w: tensor<8x4x3x3xf32>, %g: tensor<?x2x7x7xf32>) {
  // expected-error @+1 {{shortcut gradient 'tensor<?x2x7x7xf32>' is not the shape of an option-A shortcut of 'tensor<?x4x8x8xf32>' with stride 2}}
  %0 = net.conv2d_grad_input %dy, %w, %g {kernel = [3, 3], strides = [2, 2], pads = [1, 1], input_size = [8, 8], epilogue = ["add_shortcut"], shortcut_stride = 2 : i64} : (tensor<?x8x4x4xf32>, tensor<8x4x3x3xf32>, tensor<?x2x7x7xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func @dropout_grad_mask(%dy: tensor<?x64xf32>, %m: tensor<?x32xf32>) {
  // expected-error @+1 {{gradient and mask differ in shape}}
  %0 = net.dropout_grad %dy, %m {rate = 0.5 : f64} : (tensor<?x64xf32>, tensor<?x32xf32>) -> tensor<?x64xf32>
  return
}
