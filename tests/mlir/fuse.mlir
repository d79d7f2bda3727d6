// PASSES: -net-fuse
// conv2d [-> batch_norm] [-> add] [-> relu] chains become net.fused_conv.

// CHECK-LABEL: func @conv_bn_relu
func @conv_bn_relu(%x: tensor<?x3x8x8xf32>) -> tensor<?x4x8x8xf32> {
  %w = net.param "conv.weight" : tensor<4x3x3x3xf32>
  %g = net.param "bn.weight" : tensor<4xf32>
  %b = net.param "bn.bias" : tensor<4xf32>
  %m = net.param "bn.running_mean" : tensor<4xf32>
  %v = net.param "bn.running_var" : tensor<4xf32>
  // CHECK: %[[Y:.*]] = net.fused_conv %arg0, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {bn_eps = 1.000000e-05 : f64, kernel = [3, 3], pads = [1, 1], post_ops = ["bn", "relu"], strides = [1, 1]}
  // CHECK-NOT: net.conv2d
  // CHECK-NOT: net.batch_norm
  // CHECK-NOT: net.relu
  // CHECK: return %[[Y]]
  %0 = net.conv2d %x, %w {kernel = [3, 3], strides = [1, 1], pads = [1, 1]} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x8x8xf32>
  %1 = net.batch_norm %0, %g, %b, %m, %v {eps = 1.0e-05 : f64, momentum = 0.1 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %2 = net.relu %1 : (tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  return %2 : tensor<?x4x8x8xf32>
}

// A ResNet basic block with an identity shortcut: the second conv absorbs
// the residual add and the final relu; the block input is the residual.
// CHECK-LABEL: func @residual_identity
func @residual_identity(%x: tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32> {
  %w = net.param "w" : tensor<4x4x3x3xf32>
  %v = net.param "bn" : tensor<4xf32>
  // CHECK: %[[A:.*]] = net.fused_conv %arg0, {{.*}}post_ops = ["bn", "relu"]
  // CHECK: %[[Y:.*]] = net.fused_conv %[[A]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %arg0 {{.*}}post_ops = ["bn", "add", "relu"]
  // CHECK-NOT: net.add
  // CHECK: return %[[Y]]
  %0 = net.conv2d %x, %w {kernel = [3, 3], strides = [1, 1], pads = [1, 1]} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<?x4x8x8xf32>
  %1 = net.batch_norm %0, %v, %v, %v, %v {eps = 1.0e-05 : f64, momentum = 0.1 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %2 = net.relu %1 : (tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %3 = net.conv2d %2, %w {kernel = [3, 3], strides = [1, 1], pads = [1, 1]} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<?x4x8x8xf32>
  %4 = net.batch_norm %3, %v, %v, %v, %v {eps = 1.0e-05 : f64, momentum = 0.1 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %5 = net.add %4, %x : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %6 = net.relu %5 : (tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  return %6 : tensor<?x4x8x8xf32>
}

// Option A: the residual is a zero_pad_shortcut of the block input.
// CHECK-LABEL: func @residual_zero_pad
func @residual_zero_pad(%x: tensor<?x4x8x8xf32>) -> tensor<?x8x4x4xf32> {
  %w1 = net.param "w1" : tensor<8x4x3x3xf32>
  %w2 = net.param "w2" : tensor<8x8x3x3xf32>
  %v = net.param "bn" : tensor<8xf32>
  // CHECK: %[[A:.*]] = net.fused_conv %arg0, {{.*}}post_ops = ["bn", "relu"], strides = [2, 2]
  // CHECK: %[[S:.*]] = net.zero_pad_shortcut %arg0 {out_channels = 8 : i64, stride = 2 : i64}
  // CHECK: %[[Y:.*]] = net.fused_conv %[[A]], {{.*}}, %[[S]] {{.*}}post_ops = ["bn", "add", "relu"]
  // CHECK: return %[[Y]]
  %0 = net.conv2d %x, %w1 {kernel = [3, 3], strides = [2, 2], pads = [1, 1]} : (tensor<?x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<?x8x4x4xf32>
  %1 = net.batch_norm %0, %v, %v, %v, %v {eps = 1.0e-05 : f64, momentum = 0.1 : f64} : (tensor<?x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8x4x4xf32>
  %2 = net.relu %1 : (tensor<?x8x4x4xf32>) -> tensor<?x8x4x4xf32>
  %3 = net.conv2d %2, %w2 {kernel = [3, 3], strides = [1, 1], pads = [1, 1]} : (tensor<?x8x4x4xf32>, tensor<8x8x3x3xf32>) -> tensor<?x8x4x4xf32>
  %4 = net.batch_norm %3, %v, %v, %v, %v {eps = 1.0e-05 : f64, momentum = 0.1 : f64} : (tensor<?x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8x4x4xf32>
  %s = net.zero_pad_shortcut %x {stride = 2 : i64, out_channels = 8 : i64} : (tensor<?x4x8x8xf32>) -> tensor<?x8x4x4xf32>
  %5 = net.add %4, %s : (tensor<?x8x4x4xf32>, tensor<?x8x4x4xf32>) -> tensor<?x8x4x4xf32>
  %6 = net.relu %5 : (tensor<?x8x4x4xf32>) -> tensor<?x8x4x4xf32>
  return %6 : tensor<?x8x4x4xf32>
}

// Options B/C: the residual is a projection (1x1 conv + bn), which is
// itself fused; the main path's conv absorbs the add.
// CHECK-LABEL: func @residual_projection
func @residual_projection(%x: tensor<?x4x8x8xf32>) -> tensor<?x8x4x4xf32> {
  %w1 = net.param "w1" : tensor<8x4x3x3xf32>
  %w2 = net.param "w2" : tensor<8x8x3x3xf32>
  %wp = net.param "proj.weight" : tensor<8x4x1x1xf32>
  %v = net.param "bn" : tensor<8xf32>
  // CHECK: %[[A:.*]] = net.fused_conv %arg0, {{.*}}post_ops = ["bn", "relu"]
  // CHECK: %[[P:.*]] = net.fused_conv %arg0, {{.*}}kernel = [1, 1], pads = [0, 0], post_ops = ["bn"], strides = [2, 2]
  // CHECK: %[[Y:.*]] = net.fused_conv %[[A]], {{.*}}, %[[P]] {{.*}}post_ops = ["bn", "add", "relu"]
  // CHECK: return %[[Y]]
  %0 = net.conv2d %x, %w1 {kernel = [3, 3], strides = [2, 2], pads = [1, 1]} : (tensor<?x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<?x8x4x4xf32>
  %1 = net.batch_norm %0, %v, %v, %v, %v {eps = 1.0e-05 : f64, momentum = 0.1 : f64} : (tensor<?x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8x4x4xf32>
  %2 = net.relu %1 : (tensor<?x8x4x4xf32>) -> tensor<?x8x4x4xf32>
  %3 = net.conv2d %2, %w2 {kernel = [3, 3], strides = [1, 1], pads = [1, 1]} : (tensor<?x8x4x4xf32>, tensor<8x8x3x3xf32>) -> tensor<?x8x4x4xf32>
  %4 = net.batch_norm %3, %v, %v, %v, %v {eps = 1.0e-05 : f64, momentum = 0.1 : f64} : (tensor<?x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8x4x4xf32>
  %p = net.conv2d %x, %wp {kernel = [1, 1], strides = [2, 2], pads = [0, 0]} : (tensor<?x4x8x8xf32>, tensor<8x4x1x1xf32>) -> tensor<?x8x4x4xf32>
  %pb = net.batch_norm %p, %v, %v, %v, %v {eps = 1.0e-05 : f64, momentum = 0.1 : f64} : (tensor<?x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8x4x4xf32>
  %5 = net.add %4, %pb : (tensor<?x8x4x4xf32>, tensor<?x8x4x4xf32>) -> tensor<?x8x4x4xf32>
  %6 = net.relu %5 : (tensor<?x8x4x4xf32>) -> tensor<?x8x4x4xf32>
  return %6 : tensor<?x8x4x4xf32>
}

// Fusion stops at a value with several uses: it is needed in memory.
// CHECK-LABEL: func @multi_use
func @multi_use(%x: tensor<?x3x8x8xf32>) -> (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) {
  %w = net.param "w" : tensor<4x3x1x1xf32>
  %b = net.param "b" : tensor<4xf32>
  // CHECK: %[[Y:.*]] = net.fused_conv %arg0, %{{.*}}, %{{.*}} {kernel = [1, 1], pads = [0, 0], post_ops = ["bias", "relu"], strides = [1, 1]}
  // CHECK: %[[Z:.*]] = net.relu %[[Y]]
  // CHECK: return %[[Y]], %[[Z]]
  %0 = net.conv2d %x, %w, %b {kernel = [1, 1], strides = [1, 1], pads = [0, 0]} : (tensor<?x3x8x8xf32>, tensor<4x3x1x1xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %1 = net.relu %0 : (tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %2 = net.relu %1 : (tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  return %1, %2 : tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>
}

// A conv with nothing to absorb stays a conv2d.
// CHECK-LABEL: func @bare_conv
func @bare_conv(%x: tensor<?x3x8x8xf32>) -> tensor<?x4x8x8xf32> {
  %w = net.param "w" : tensor<4x3x1x1xf32>
  // CHECK: net.conv2d
  // CHECK-NOT: net.fused_conv
  %0 = net.conv2d %x, %w {kernel = [1, 1], strides = [1, 1], pads = [0, 0]} : (tensor<?x3x8x8xf32>, tensor<4x3x1x1xf32>) -> tensor<?x4x8x8xf32>
  return %0 : tensor<?x4x8x8xf32>
}
