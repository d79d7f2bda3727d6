// PASSES: -net-fold-bn
// conv2d -> batch_norm becomes fold_bn (weights only) feeding a conv2d with
// the folded weight and bias.

// CHECK-LABEL: func @no_bias
func @no_bias(%x: tensor<?x3x8x8xf32>) -> tensor<?x4x8x8xf32> {
  // CHECK-DAG: %[[W:.*]] = net.param "conv.weight"
  // CHECK-DAG: %[[G:.*]] = net.param "bn.weight"
  // CHECK-DAG: %[[B:.*]] = net.param "bn.bias"
  // CHECK-DAG: %[[M:.*]] = net.param "bn.running_mean"
  // CHECK-DAG: %[[V:.*]] = net.param "bn.running_var"
  %w = net.param "conv.weight" : tensor<4x3x3x3xf32>
  %g = net.param "bn.weight" : tensor<4xf32>
  %b = net.param "bn.bias" : tensor<4xf32>
  %m = net.param "bn.running_mean" : tensor<4xf32>
  %v = net.param "bn.running_var" : tensor<4xf32>
  // CHECK: %[[FW:.*]], %[[FB:.*]] = net.fold_bn %[[W]], %[[G]], %[[B]], %[[M]], %[[V]] {eps = 1.000000e-03 : f64} : (tensor<4x3x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<4x3x3x3xf32>, tensor<4xf32>)
  // CHECK: %[[Y:.*]] = net.conv2d %arg0, %[[FW]], %[[FB]] {kernel = [3, 3], pads = [1, 1], strides = [1, 1]}
  // CHECK-NOT: net.batch_norm
  // CHECK: net.relu %[[Y]]
  %0 = net.conv2d %x, %w {kernel = [3, 3], strides = [1, 1], pads = [1, 1]} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x8x8xf32>
  %1 = net.batch_norm %0, %g, %b, %m, %v {eps = 1.0e-03 : f64, momentum = 0.1 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %2 = net.relu %1 : (tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  return %2 : tensor<?x4x8x8xf32>
}

// The conv's own bias is the fold's last operand.
// CHECK-LABEL: func @with_bias
func @with_bias(%x: tensor<?x3x8x8xf32>) -> tensor<?x4x8x8xf32> {
  %w = net.param "conv.weight" : tensor<4x3x1x1xf32>
  %cb = net.param "conv.bias" : tensor<4xf32>
  %v = net.param "bn.stat" : tensor<4xf32>
  // CHECK: %[[CB:.*]] = net.param "conv.bias"
  // CHECK: %[[FW:.*]], %[[FB:.*]] = net.fold_bn %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[CB]]
  // CHECK: net.conv2d %arg0, %[[FW]], %[[FB]]
  %0 = net.conv2d %x, %w, %cb {kernel = [1, 1], strides = [1, 1], pads = [0, 0]} : (tensor<?x3x8x8xf32>, tensor<4x3x1x1xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %1 = net.batch_norm %0, %v, %v, %v, %v {eps = 1.0e-05 : f64, momentum = 0.1 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  return %1 : tensor<?x4x8x8xf32>
}

// A conv output that is used elsewhere too must survive: no folding.
// CHECK-LABEL: func @shared_conv
func @shared_conv(%x: tensor<?x3x8x8xf32>) -> tensor<?x4x8x8xf32> {
  %w = net.param "conv.weight" : tensor<4x3x1x1xf32>
  %v = net.param "bn.stat" : tensor<4xf32>
  // CHECK-NOT: net.fold_bn
  // CHECK: net.batch_norm
  %0 = net.conv2d %x, %w {kernel = [1, 1], strides = [1, 1], pads = [0, 0]} : (tensor<?x3x8x8xf32>, tensor<4x3x1x1xf32>) -> tensor<?x4x8x8xf32>
  %1 = net.batch_norm %0, %v, %v, %v, %v {eps = 1.0e-05 : f64, momentum = 0.1 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %2 = net.add %0, %1 : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  return %2 : tensor<?x4x8x8xf32>
}
