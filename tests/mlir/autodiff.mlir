// PASSES: -net-shape-inference -net-autodiff -net-shape-inference
// -net-autodiff turns an inference function into one training step: a
// labels argument, (loss, logits) results, forward ops in training mode,
// one *_grad op per forward op (last first), net.param_grad per parameter.

// conv -> batch_norm -> relu -> global_avg_pool -> flatten -> fc -> softmax.
// CHECK-LABEL: func @classifier(%arg0: tensor<?x3x8x8xf32>, %arg1: tensor<?xi32>) -> (tensor<f32>, tensor<?x10xf32>)
// CHECK-DAG: %[[W:.*]] = net.param "conv1.weight" : tensor<4x3x3x3xf32>
// CHECK-DAG: %[[G:.*]] = net.param "bn1.weight" : tensor<4xf32>
// CHECK-DAG: %[[FW:.*]] = net.param "fc.weight" : tensor<10x4xf32>
// CHECK: %[[C:.*]] = net.conv2d %arg0, %[[W]]
// CHECK-NEXT: %[[BN:.*]], %[[STATS:.*]] = net.batch_norm_train %[[C]], {{.*}}relu = false} : {{.*}} -> (tensor<?x4x8x8xf32>, tensor<4x4xf32>)
// CHECK-NEXT: %[[R:.*]] = net.relu %[[BN]]
// CHECK-NEXT: %[[P:.*]] = net.global_avg_pool %[[R]]
// CHECK-NEXT: %[[F:.*]] = net.flatten %[[P]]
// CHECK-NEXT: %[[Z:.*]] = net.fc %[[F]], %[[FW]]
// CHECK-NOT: net.softmax
// CHECK-NEXT: %[[LOSS:.*]], %[[DZ:.*]] = net.softmax_cross_entropy %[[Z]], %arg1 : (tensor<?x10xf32>, tensor<?xi32>) -> (tensor<f32>, tensor<?x10xf32>)
// CHECK-NEXT: %[[DF:.*]], %[[DFW:.*]], %[[DFB:.*]] = net.fc_grad %[[DZ]], %[[F]], %[[FW]]
// CHECK-NEXT: net.param_grad "fc.weight", %[[DFW]] : tensor<10x4xf32>
// CHECK-NEXT: net.param_grad "fc.bias", %[[DFB]] : tensor<10xf32>
// CHECK-NEXT: %[[DP:.*]] = net.unflatten %[[DF]] {shape = [4, 1, 1]} : (tensor<?x4xf32>) -> tensor<?x4x1x1xf32>
// CHECK-NEXT: %[[DR:.*]] = net.global_avg_pool_grad %[[DP]] {input_size = [8, 8]} : (tensor<?x4x1x1xf32>) -> tensor<?x4x8x8xf32>
// CHECK-NEXT: %[[DBN:.*]] = net.relu_grad %[[DR]], %[[R]]
// CHECK-NEXT: %[[DC:.*]], %[[DG:.*]], %[[DB:.*]] = net.batch_norm_grad %[[DBN]], %[[C]], %[[STATS]], %[[G]] {eps = 1.000000e-05 : f64, relu = false}
// CHECK-NEXT: net.param_grad "bn1.weight", %[[DG]] : tensor<4xf32>
// CHECK-NEXT: net.param_grad "bn1.bias", %[[DB]] : tensor<4xf32>
// The network input needs no gradient: the first conv computes dW only.
// CHECK-NOT: net.conv2d_grad_input
// CHECK-NEXT: %[[DW:.*]] = net.conv2d_grad_weight %[[DC]], %arg0 {kernel = [3, 3], pads = [1, 1], strides = [1, 1]} : (tensor<?x4x8x8xf32>, tensor<?x3x8x8xf32>) -> tensor<4x3x3x3xf32>
// CHECK-NEXT: net.param_grad "conv1.weight", %[[DW]] : tensor<4x3x3x3xf32>
// CHECK-NOT: net.param_grad "bn1.running_mean"
// CHECK-NOT: net.param_grad "bn1.running_var"
// CHECK-NEXT: return %[[LOSS]], %[[Z]] : tensor<f32>, tensor<?x10xf32>
func @classifier(%x: tensor<?x3x8x8xf32>) -> tensor<?x10xf32> {
  %w = net.param "conv1.weight" : tensor<4x3x3x3xf32>
  %g = net.param "bn1.weight" : tensor<4xf32>
  %b = net.param "bn1.bias" : tensor<4xf32>
  %m = net.param "bn1.running_mean" : tensor<4xf32>
  %v = net.param "bn1.running_var" : tensor<4xf32>
  %fw = net.param "fc.weight" : tensor<10x4xf32>
  %fb = net.param "fc.bias" : tensor<10xf32>
  %0 = net.conv2d %x, %w {kernel = [3, 3], strides = [1, 1], pads = [1, 1]} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x8x8xf32>
  %1 = net.batch_norm %0, %g, %b, %m, %v {eps = 1.0e-05 : f64, momentum = 0.1 : f64} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %2 = net.relu %1 : (tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %3 = net.global_avg_pool %2 : (tensor<?x4x8x8xf32>) -> tensor<?x4x1x1xf32>
  %4 = net.flatten %3 : (tensor<?x4x1x1xf32>) -> tensor<?x4xf32>
  %5 = net.fc %4, %fw, %fb : (tensor<?x4xf32>, tensor<10x4xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  %6 = net.softmax %5 : (tensor<?x10xf32>) -> tensor<?x10xf32>
  return %6 : tensor<?x10xf32>
}

// A residual block with an identity shortcut: the block input %[[X]] feeds
// both the first conv and the add, so its gradient is the net.add of the
// shortcut's contribution (the add's gradient) and the main path's dX.
// Without a final softmax the function's output is the logits.
// CHECK-LABEL: func @residual_identity(%arg0: tensor<?x3x8x8xf32>, %arg1: tensor<?xi32>) -> (tensor<f32>, tensor<?x10xf32>)
// CHECK: %[[X:.*]] = net.relu
// CHECK: %[[H:.*]] = net.relu
// CHECK: %[[Y:.*]] = net.relu
// CHECK: %[[LOSS:.*]], %{{.*}} = net.softmax_cross_entropy %[[Z:[^,]*]], %arg1
// CHECK: %[[DS:.*]] = net.relu_grad %{{.*}}, %[[Y]]
// CHECK-NEXT: %[[D2:.*]] = net.conv2d_grad_input %[[DS]], %{{.*}} {epilogue = [], input_size = [8, 8], kernel = [3, 3], pads = [1, 1], strides = [1, 1]}
// CHECK-NEXT: %[[DW2:.*]] = net.conv2d_grad_weight %[[DS]], %[[H]]
// CHECK-NEXT: net.param_grad "block.conv2.weight", %[[DW2]]
// CHECK-NEXT: %[[DH:.*]] = net.relu_grad %[[D2]], %[[H]]
// CHECK-NEXT: %[[D1:.*]] = net.conv2d_grad_input %[[DH]]
// CHECK-NEXT: %[[DX:.*]] = net.add %[[DS]], %[[D1]] : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
// CHECK-NEXT: %[[DW1:.*]] = net.conv2d_grad_weight %[[DH]], %[[X]]
// CHECK-NEXT: net.param_grad "block.conv1.weight", %[[DW1]]
// CHECK-NEXT: %[[DSTEM:.*]] = net.relu_grad %[[DX]], %[[X]]
// CHECK-NEXT: %[[DW0:.*]] = net.conv2d_grad_weight %[[DSTEM]], %arg0
// CHECK-NEXT: net.param_grad "stem.weight", %[[DW0]]
// CHECK-NEXT: return %[[LOSS]], %[[Z]]
func @residual_identity(%x: tensor<?x3x8x8xf32>) -> tensor<?x10xf32> {
  %w0 = net.param "stem.weight" : tensor<4x3x3x3xf32>
  %w1 = net.param "block.conv1.weight" : tensor<4x4x3x3xf32>
  %w2 = net.param "block.conv2.weight" : tensor<4x4x3x3xf32>
  %fw = net.param "fc.weight" : tensor<10x256xf32>
  %fb = net.param "fc.bias" : tensor<10xf32>
  %0 = net.conv2d %x, %w0 {kernel = [3, 3], strides = [1, 1], pads = [1, 1]} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x8x8xf32>
  %1 = net.relu %0 : (tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %2 = net.conv2d %1, %w1 {kernel = [3, 3], strides = [1, 1], pads = [1, 1]} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<?x4x8x8xf32>
  %3 = net.relu %2 : (tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %4 = net.conv2d %3, %w2 {kernel = [3, 3], strides = [1, 1], pads = [1, 1]} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<?x4x8x8xf32>
  %5 = net.add %4, %1 : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %6 = net.relu %5 : (tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %7 = net.flatten %6 : (tensor<?x4x8x8xf32>) -> tensor<?x256xf32>
  %8 = net.fc %7, %fw, %fb : (tensor<?x256xf32>, tensor<10x256xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  return %8 : tensor<?x10xf32>
}

// Option A: the shortcut is a zero_pad_shortcut (stride 2, 4 -> 8 channels)
// of the block input; its backward drops the padded channels and scatters
// to the strided pixels of the 8x8 input.
// CHECK-LABEL: func @residual_zero_pad
// CHECK: %[[X:.*]] = net.relu
// CHECK: net.zero_pad_shortcut %[[X]] {out_channels = 8 : i64, stride = 2 : i64}
// CHECK: %[[DS:.*]] = net.relu_grad
// CHECK-NEXT: %[[DZP:.*]] = net.zero_pad_shortcut_grad %[[DS]] {in_channels = 4 : i64, input_size = [8, 8], stride = 2 : i64} : (tensor<?x8x4x4xf32>) -> tensor<?x4x8x8xf32>
// CHECK: %[[D1:.*]] = net.conv2d_grad_input %{{.*}} {epilogue = [], input_size = [8, 8], kernel = [3, 3], pads = [1, 1], strides = [2, 2]} : (tensor<?x8x4x4xf32>, tensor<8x4x3x3xf32>) -> tensor<?x4x8x8xf32>
// CHECK-NEXT: %[[DX:.*]] = net.add %[[DZP]], %[[D1]]
// CHECK: net.relu_grad %[[DX]], %[[X]]
// CHECK-NOT: net.zero_pad_shortcut_grad
// CHECK: return
func @residual_zero_pad(%x: tensor<?x4x8x8xf32>) -> tensor<?x10xf32> {
  %w0 = net.param "stem.weight" : tensor<4x4x3x3xf32>
  %w1 = net.param "block.conv1.weight" : tensor<8x4x3x3xf32>
  %w2 = net.param "block.conv2.weight" : tensor<8x8x3x3xf32>
  %fw = net.param "fc.weight" : tensor<10x128xf32>
  %fb = net.param "fc.bias" : tensor<10xf32>
  %0 = net.conv2d %x, %w0 {kernel = [3, 3], strides = [1, 1], pads = [1, 1]} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<?x4x8x8xf32>
  %1 = net.relu %0 : (tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %2 = net.conv2d %1, %w1 {kernel = [3, 3], strides = [2, 2], pads = [1, 1]} : (tensor<?x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<?x8x4x4xf32>
  %3 = net.relu %2 : (tensor<?x8x4x4xf32>) -> tensor<?x8x4x4xf32>
  %4 = net.conv2d %3, %w2 {kernel = [3, 3], strides = [1, 1], pads = [1, 1]} : (tensor<?x8x4x4xf32>, tensor<8x8x3x3xf32>) -> tensor<?x8x4x4xf32>
  %s = net.zero_pad_shortcut %1 {stride = 2 : i64, out_channels = 8 : i64} : (tensor<?x4x8x8xf32>) -> tensor<?x8x4x4xf32>
  %5 = net.add %4, %s : (tensor<?x8x4x4xf32>, tensor<?x8x4x4xf32>) -> tensor<?x8x4x4xf32>
  %6 = net.relu %5 : (tensor<?x8x4x4xf32>) -> tensor<?x8x4x4xf32>
  %7 = net.flatten %6 : (tensor<?x8x4x4xf32>) -> tensor<?x128xf32>
  %8 = net.fc %7, %fw, %fb : (tensor<?x128xf32>, tensor<10x128xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  return %8 : tensor<?x10xf32>
}

// max_pool_grad takes the forward input (it routes dy to each window's
// first maximum); dropout becomes dropout_train, whose mask feeds
// dropout_grad; a conv bias gets conv2d_grad_bias.
// CHECK-LABEL: func @max_pool_dropout
// CHECK: %[[C:.*]] = net.conv2d %arg0
// CHECK-NEXT: %[[P:.*]] = net.max_pool %[[C]]
// CHECK-NEXT: %[[F:.*]] = net.flatten %[[P]]
// CHECK-NEXT: %[[D:.*]], %[[MASK:.*]] = net.dropout_train %[[F]] {rate = 5.000000e-01 : f64} : (tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>)
// CHECK-NEXT: net.fc %[[D]]
// CHECK-NOT: net.softmax
// CHECK-NEXT: net.softmax_cross_entropy
// CHECK-NEXT: %[[DD:.*]], %{{.*}}, %{{.*}} = net.fc_grad %{{.*}}, %[[D]],
// CHECK: %[[DF:.*]] = net.dropout_grad %[[DD]], %[[MASK]] {rate = 5.000000e-01 : f64}
// CHECK-NEXT: %[[DP:.*]] = net.unflatten %[[DF]] {shape = [4, 4, 4]}
// CHECK-NEXT: %[[DC:.*]] = net.max_pool_grad %[[C]], %[[DP]] {kernel = [2, 2], pads = [0, 0], strides = [2, 2]} : (tensor<?x4x8x8xf32>, tensor<?x4x4x4xf32>) -> tensor<?x4x8x8xf32>
// CHECK-NEXT: %[[DW:.*]] = net.conv2d_grad_weight %[[DC]], %arg0
// CHECK-NEXT: net.param_grad "conv.weight", %[[DW]]
// CHECK-NEXT: %[[DB:.*]] = net.conv2d_grad_bias %[[DC]] : (tensor<?x4x8x8xf32>) -> tensor<4xf32>
// CHECK-NEXT: net.param_grad "conv.bias", %[[DB]] : tensor<4xf32>
func @max_pool_dropout(%x: tensor<?x3x8x8xf32>) -> tensor<?x10xf32> {
  %w = net.param "conv.weight" : tensor<4x3x3x3xf32>
  %cb = net.param "conv.bias" : tensor<4xf32>
  %fw = net.param "fc.weight" : tensor<10x64xf32>
  %fb = net.param "fc.bias" : tensor<10xf32>
  %0 = net.conv2d %x, %w, %cb {kernel = [3, 3], strides = [1, 1], pads = [1, 1]} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %1 = net.max_pool %0 {kernel = [2, 2], strides = [2, 2], pads = [0, 0]} : (tensor<?x4x8x8xf32>) -> tensor<?x4x4x4xf32>
  %2 = net.flatten %1 : (tensor<?x4x4x4xf32>) -> tensor<?x64xf32>
  %3 = net.dropout %2 {rate = 0.5 : f64} : (tensor<?x64xf32>) -> tensor<?x64xf32>
  %4 = net.fc %3, %fw, %fb : (tensor<?x64xf32>, tensor<10x64xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  %5 = net.softmax %4 : (tensor<?x10xf32>) -> tensor<?x10xf32>
  return %5 : tensor<?x10xf32>
}

// avg_pool_grad keeps the forward's divisor rule and needs the input size.
// CHECK-LABEL: func @avg_pool
// CHECK: net.avg_pool
// CHECK: %[[DP:.*]] = net.unflatten
// CHECK-NEXT: %[[DC:.*]] = net.avg_pool_grad %[[DP]] {count_include_pad = false, input_size = [8, 8], kernel = [3, 3], pads = [1, 1], strides = [2, 2]} : (tensor<?x4x4x4xf32>) -> tensor<?x4x8x8xf32>
// CHECK-NEXT: net.conv2d_grad_weight %[[DC]], %arg0
func @avg_pool(%x: tensor<?x3x8x8xf32>) -> tensor<?x10xf32> {
  %w = net.param "conv.weight" : tensor<4x3x3x3xf32>
  %fw = net.param "fc.weight" : tensor<10x64xf32>
  %fb = net.param "fc.bias" : tensor<10xf32>
  %0 = net.conv2d %x, %w {kernel = [3, 3], strides = [1, 1], pads = [1, 1]} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x8x8xf32>
  %1 = net.avg_pool %0 {kernel = [3, 3], strides = [2, 2], pads = [1, 1], count_include_pad = false} : (tensor<?x4x8x8xf32>) -> tensor<?x4x4x4xf32>
  %2 = net.flatten %1 : (tensor<?x4x4x4xf32>) -> tensor<?x64xf32>
  %3 = net.fc %2, %fw, %fb : (tensor<?x64xf32>, tensor<10x64xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  return %3 : tensor<?x10xf32>
}
