// PASSES:
// Every op parses, verifies and prints back in the same form; the test
// harness re-parses the printed IR, so this is parse/print/parse.

// CHECK-LABEL: func @all_ops(%arg0: tensor<?x3x32x32xf32>) -> tensor<?x10xf32>
func @all_ops(%x: tensor<?x3x32x32xf32>) -> tensor<?x10xf32> {
  // CHECK: %[[W:.*]] = net.param "conv1.weight" : tensor<16x3x3x3xf32>
  %w = net.param "conv1.weight" : tensor<16x3x3x3xf32>
  %cb = net.param "conv1.bias" : tensor<16xf32>
  %g = net.param "bn1.weight" : tensor<16xf32>
  %b = net.param "bn1.bias" : tensor<16xf32>
  %m = net.param "bn1.running_mean" : tensor<16xf32>
  %v = net.param "bn1.running_var" : tensor<16xf32>
  %fw = net.param "fc.weight" : tensor<10x512xf32>
  %fb = net.param "fc.bias" : tensor<10xf32>
  // CHECK: net.conv2d %arg0, %[[W]] {kernel = [3, 3], pads = [1, 1], strides = [1, 1]} : (tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>) -> tensor<?x16x32x32xf32>
  %0 = net.conv2d %x, %w {kernel = [3, 3], strides = [1, 1], pads = [1, 1]} : (tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>) -> tensor<?x16x32x32xf32>
  // CHECK: net.conv2d {{.*}} {kernel = [3, 3], pads = [0, 0], strides = [2, 2]} : (tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<?x16x15x15xf32>
  %1 = net.conv2d %x, %w, %cb {kernel = [3, 3], strides = [2, 2], pads = [0, 0]} : (tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>) -> tensor<?x16x15x15xf32>
  // CHECK: net.batch_norm {{.*}} {eps = 1.000000e-05 : f64, momentum = 1.000000e-01 : f64}
  %2 = net.batch_norm %0, %g, %b, %m, %v {eps = 1.0e-05 : f64, momentum = 0.1 : f64} : (tensor<?x16x32x32xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x16x32x32xf32>
  // CHECK: net.relu
  %3 = net.relu %2 : (tensor<?x16x32x32xf32>) -> tensor<?x16x32x32xf32>
  // CHECK: net.max_pool {{.*}} -> tensor<?x16x16x16xf32>
  %4 = net.max_pool %3 {kernel = [3, 3], strides = [2, 2], pads = [1, 1]} : (tensor<?x16x32x32xf32>) -> tensor<?x16x16x16xf32>
  // CHECK: net.avg_pool {{.*}}count_include_pad = false{{.*}} -> tensor<?x16x8x8xf32>
  %5 = net.avg_pool %4 {kernel = [2, 2], strides = [2, 2], pads = [0, 0], count_include_pad = false} : (tensor<?x16x16x16xf32>) -> tensor<?x16x8x8xf32>
  // CHECK: net.lrn {{.*}} {alpha = 1.000000e-04 : f64, beta = 7.500000e-01 : f64, k = 2.000000e+00 : f64, size = 5 : i64}
  %6 = net.lrn %5 {size = 5 : i64, alpha = 1.0e-4 : f64, beta = 0.75 : f64, k = 2.0 : f64} : (tensor<?x16x8x8xf32>) -> tensor<?x16x8x8xf32>
  // CHECK: net.zero_pad_shortcut {{.*}} {out_channels = 32 : i64, stride = 2 : i64} : (tensor<?x16x8x8xf32>) -> tensor<?x32x4x4xf32>
  %7 = net.zero_pad_shortcut %6 {stride = 2 : i64, out_channels = 32 : i64} : (tensor<?x16x8x8xf32>) -> tensor<?x32x4x4xf32>
  // CHECK: net.add
  %8 = net.add %7, %7 : (tensor<?x32x4x4xf32>, tensor<?x32x4x4xf32>) -> tensor<?x32x4x4xf32>
  // CHECK: net.flatten {{.*}} -> tensor<?x512xf32>
  %9 = net.flatten %8 : (tensor<?x32x4x4xf32>) -> tensor<?x512xf32>
  // CHECK: net.dropout {{.*}} {rate = 5.000000e-01 : f64}
  %10 = net.dropout %9 {rate = 0.5 : f64} : (tensor<?x512xf32>) -> tensor<?x512xf32>
  // CHECK: net.fc
  %11 = net.fc %10, %fw, %fb : (tensor<?x512xf32>, tensor<10x512xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  // CHECK: net.softmax
  %12 = net.softmax %11 : (tensor<?x10xf32>) -> tensor<?x10xf32>
  // CHECK: net.global_avg_pool {{.*}} -> tensor<?x16x1x1xf32>
  %13 = net.global_avg_pool %3 : (tensor<?x16x32x32xf32>) -> tensor<?x16x1x1xf32>
  // CHECK: return
  return %12 : tensor<?x10xf32>
}

// CHECK-LABEL: func @inference_ops
func @inference_ops(%x: tensor<?x16x8x8xf32>, %r: tensor<?x16x8x8xf32>) -> tensor<?x16x8x8xf32> {
  %w = net.param "c.weight" : tensor<16x16x3x3xf32>
  %b = net.param "c.bias" : tensor<16xf32>
  %g = net.param "bn.weight" : tensor<16xf32>
  %be = net.param "bn.bias" : tensor<16xf32>
  %m = net.param "bn.running_mean" : tensor<16xf32>
  %v = net.param "bn.running_var" : tensor<16xf32>
  // CHECK: %[[FW:.*]], %[[FB:.*]] = net.fold_bn {{.*}} {eps = 1.000000e-05 : f64} : (tensor<16x16x3x3xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> (tensor<16x16x3x3xf32>, tensor<16xf32>)
  %fw, %fb = net.fold_bn %w, %g, %be, %m, %v, %b {eps = 1.0e-05 : f64} : (tensor<16x16x3x3xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> (tensor<16x16x3x3xf32>, tensor<16xf32>)
  // CHECK: net.fused_conv %arg0, %[[FW]], %[[FB]], %arg1 {kernel = [3, 3], pads = [1, 1], post_ops = ["bias", "add", "relu"], strides = [1, 1]}
  %0 = net.fused_conv %x, %fw, %fb, %r {kernel = [3, 3], strides = [1, 1], pads = [1, 1], post_ops = ["bias", "add", "relu"]} : (tensor<?x16x8x8xf32>, tensor<16x16x3x3xf32>, tensor<16xf32>, tensor<?x16x8x8xf32>) -> tensor<?x16x8x8xf32>
  // CHECK: net.fused_conv {{.*}} {bn_eps = 1.000000e-03 : f64, kernel = [3, 3], pads = [1, 1], post_ops = ["bn", "relu"], strides = [1, 1]}
  %1 = net.fused_conv %0, %w, %g, %be, %m, %v {kernel = [3, 3], strides = [1, 1], pads = [1, 1], post_ops = ["bn", "relu"], bn_eps = 1.0e-3 : f64} : (tensor<?x16x8x8xf32>, tensor<16x16x3x3xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x16x8x8xf32>
  return %1 : tensor<?x16x8x8xf32>
}
