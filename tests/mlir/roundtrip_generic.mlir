// PASSES: -mlir-print-op-generic
// The generic form (what other MLIR tools may emit) parses back into the
// same ops; the harness's second netc-opt prints the custom form checked here.

// CHECK-LABEL: func @generic
func @generic(%x: tensor<?x3x8x8xf32>) -> tensor<?x4x8x8xf32> {
  // CHECK: net.param "c.weight" : tensor<4x3x1x1xf32>
  %w = net.param "c.weight" : tensor<4x3x1x1xf32>
  // CHECK: net.fused_conv %arg0, %{{.*}} {kernel = [1, 1], pads = [0, 0], post_ops = ["relu"], strides = [1, 1]}
  %0 = net.fused_conv %x, %w {kernel = [1, 1], strides = [1, 1], pads = [0, 0], post_ops = ["relu"]} : (tensor<?x3x8x8xf32>, tensor<4x3x1x1xf32>) -> tensor<?x4x8x8xf32>
  return %0 : tensor<?x4x8x8xf32>
}
