// PASSES: -net-fused-stage
// The "fused" stage exactly as the compiler runs it, on a small ResNet-style
// stem and block: batch norms are folded into the weights, each conv chain
// becomes one fused_conv with a plain bias post-op, and dropout disappears.

// CHECK-LABEL: func @tiny_resnet(%arg0: tensor<?x3x8x8xf32>) -> tensor<?x10xf32>
func @tiny_resnet(%x: tensor<?x3x8x8xf32>) -> tensor<*xf32> {
  %w0 = net.param "conv1.weight" : tensor<4x3x3x3xf32>
  %g0 = net.param "bn1.weight" : tensor<4xf32>
  %b0 = net.param "bn1.bias" : tensor<4xf32>
  %m0 = net.param "bn1.running_mean" : tensor<4xf32>
  %v0 = net.param "bn1.running_var" : tensor<4xf32>
  %w1 = net.param "block.conv.weight" : tensor<4x4x3x3xf32>
  %g1 = net.param "block.bn.weight" : tensor<4xf32>
  %b1 = net.param "block.bn.bias" : tensor<4xf32>
  %m1 = net.param "block.bn.running_mean" : tensor<4xf32>
  %v1 = net.param "block.bn.running_var" : tensor<4xf32>
  %fw = net.param "fc.weight" : tensor<10x4xf32>
  %fb = net.param "fc.bias" : tensor<10xf32>
  // CHECK: %[[FW0:.*]], %[[FB0:.*]] = net.fold_bn
  // CHECK: %[[A:.*]] = net.fused_conv %arg0, %[[FW0]], %[[FB0]] {{.*}}post_ops = ["bias", "relu"]
  // CHECK: %[[FW1:.*]], %[[FB1:.*]] = net.fold_bn
  // CHECK: %[[Y:.*]] = net.fused_conv %[[A]], %[[FW1]], %[[FB1]], %[[A]] {{.*}}post_ops = ["bias", "add", "relu"]
  // CHECK: net.global_avg_pool %[[Y]]
  // CHECK-NOT: net.batch_norm
  // CHECK-NOT: net.dropout
  // CHECK: net.fc
  // CHECK: net.softmax {{.*}} -> tensor<?x10xf32>
  %0 = net.conv2d %x, %w0 {kernel = [3, 3], strides = [1, 1], pads = [1, 1]} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<*xf32>
  %1 = net.batch_norm %0, %g0, %b0, %m0, %v0 {eps = 1.0e-05 : f64, momentum = 0.1 : f64} : (tensor<*xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<*xf32>
  %2 = net.relu %1 : (tensor<*xf32>) -> tensor<*xf32>
  %3 = net.conv2d %2, %w1 {kernel = [3, 3], strides = [1, 1], pads = [1, 1]} : (tensor<*xf32>, tensor<4x4x3x3xf32>) -> tensor<*xf32>
  %4 = net.batch_norm %3, %g1, %b1, %m1, %v1 {eps = 1.0e-05 : f64, momentum = 0.1 : f64} : (tensor<*xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<*xf32>
  %5 = net.add %4, %2 : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %6 = net.relu %5 : (tensor<*xf32>) -> tensor<*xf32>
  %7 = net.global_avg_pool %6 : (tensor<*xf32>) -> tensor<*xf32>
  %8 = net.flatten %7 : (tensor<*xf32>) -> tensor<*xf32>
  %9 = net.dropout %8 {rate = 0.2 : f64} : (tensor<*xf32>) -> tensor<*xf32>
  %10 = net.fc %9, %fw, %fb : (tensor<*xf32>, tensor<10x4xf32>, tensor<10xf32>) -> tensor<*xf32>
  %11 = net.softmax %10 : (tensor<*xf32>) -> tensor<*xf32>
  return %11 : tensor<*xf32>
}
