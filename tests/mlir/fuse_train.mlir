// PASSES: -net-fuse-train
// -net-fuse-train merges training ops that one CPU kernel computes in one
// pass. Every rewrite needs the inner value to have a single use.

// relu(batch_norm_train(x)) -> batch_norm_train {relu = true}.
// CHECK-LABEL: func @bn_train_relu
// CHECK: %[[Y:.*]], %[[S:.*]] = net.batch_norm_train %arg0, %arg1, %arg1, %arg1, %arg1 {eps = 1.000000e-05 : f64, momentum = 1.000000e-01 : f64, relu = true}
// CHECK-NOT: net.relu
// CHECK: return %[[Y]], %[[S]]
func @bn_train_relu(%x: tensor<?x4x8x8xf32>, %v: tensor<4xf32>) -> (tensor<?x4x8x8xf32>, tensor<4x4xf32>) {
  %y, %s = net.batch_norm_train %x, %v, %v, %v, %v {eps = 1.0e-05 : f64, momentum = 0.1 : f64, relu = false} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<?x4x8x8xf32>, tensor<4x4xf32>)
  %r = net.relu %y : (tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  return %r, %s : tensor<?x4x8x8xf32>, tensor<4x4xf32>
}

// The batch-norm output is also used before the relu: no fusion.
// CHECK-LABEL: func @bn_train_relu_two_uses
// CHECK: %[[Y:.*]], %{{.*}} = net.batch_norm_train {{.*}}relu = false}
// CHECK-NEXT: %[[R:.*]] = net.relu %[[Y]]
// CHECK-NEXT: return %[[R]], %[[Y]]
func @bn_train_relu_two_uses(%x: tensor<?x4x8x8xf32>, %v: tensor<4xf32>) -> (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) {
  %y, %s = net.batch_norm_train %x, %v, %v, %v, %v {eps = 1.0e-05 : f64, momentum = 0.1 : f64, relu = false} : (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<?x4x8x8xf32>, tensor<4x4xf32>)
  %r = net.relu %y : (tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  return %r, %y : tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>
}

// batch_norm_grad(relu_grad(d, y), x, stats, gamma)
//   -> batch_norm_grad(d, x, stats, gamma, y) {relu = true}.
// CHECK-LABEL: func @bn_grad_relu
// CHECK: %[[DX:.*]], %[[DG:.*]], %[[DB:.*]] = net.batch_norm_grad %arg0, %arg1, %arg3, %arg4, %arg2 {eps = 1.000000e-05 : f64, relu = true} : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<?x4x8x8xf32>) -> (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK-NOT: net.relu_grad
// CHECK: return %[[DX]], %[[DG]], %[[DB]]
func @bn_grad_relu(%d: tensor<?x4x8x8xf32>, %x: tensor<?x4x8x8xf32>, %y: tensor<?x4x8x8xf32>, %stats: tensor<4x4xf32>, %gamma: tensor<4xf32>) -> (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>) {
  %m = net.relu_grad %d, %y : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %dx, %dg, %db = net.batch_norm_grad %m, %x, %stats, %gamma {eps = 1.0e-05 : f64, relu = false} : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>, tensor<4x4xf32>, tensor<4xf32>) -> (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>)
  return %dx, %dg, %db : tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>
}

// The masked gradient also feeds a residual path: no fusion.
// CHECK-LABEL: func @bn_grad_relu_two_uses
// CHECK: %[[M:.*]] = net.relu_grad %arg0, %arg2
// CHECK-NEXT: %[[DX:.*]], %{{.*}}, %{{.*}} = net.batch_norm_grad %[[M]], %arg1, %arg3, %arg4 {eps = 1.000000e-05 : f64, relu = false}
// CHECK-NEXT: return %[[DX]], %[[M]]
func @bn_grad_relu_two_uses(%d: tensor<?x4x8x8xf32>, %x: tensor<?x4x8x8xf32>, %y: tensor<?x4x8x8xf32>, %stats: tensor<4x4xf32>, %gamma: tensor<4xf32>) -> (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) {
  %m = net.relu_grad %d, %y : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %dx, %dg, %db = net.batch_norm_grad %m, %x, %stats, %gamma {eps = 1.0e-05 : f64, relu = false} : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>, tensor<4x4xf32>, tensor<4xf32>) -> (tensor<?x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>)
  return %dx, %m : tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>
}

// add(conv2d_grad_input(dy, w), g) -> conv2d_grad_input(dy, w, g) {epilogue = ["add"]},
// with the conv either side of the add.
// CHECK-LABEL: func @grad_input_add
// CHECK: %[[A:.*]] = net.conv2d_grad_input %arg0, %arg1, %arg2 {epilogue = ["add"], input_size = [8, 8], kernel = [3, 3], pads = [1, 1], strides = [1, 1]} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
// CHECK-NEXT: %[[B:.*]] = net.conv2d_grad_input %arg0, %arg1, %arg2 {epilogue = ["add"]
// CHECK-NOT: net.add
// CHECK: return %[[A]], %[[B]]
func @grad_input_add(%dy: tensor<?x4x8x8xf32>, %w: tensor<4x4x3x3xf32>, %g: tensor<?x4x8x8xf32>) -> (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) {
  %0 = net.conv2d_grad_input %dy, %w {kernel = [3, 3], strides = [1, 1], pads = [1, 1], input_size = [8, 8], epilogue = []} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<?x4x8x8xf32>
  %1 = net.add %0, %g : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %2 = net.conv2d_grad_input %dy, %w {kernel = [3, 3], strides = [1, 1], pads = [1, 1], input_size = [8, 8], epilogue = []} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<?x4x8x8xf32>
  %3 = net.add %g, %2 : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  return %1, %3 : tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>
}

// dX also used elsewhere: the add stays.
// CHECK-LABEL: func @grad_input_add_two_uses
// CHECK: %[[A:.*]] = net.conv2d_grad_input %arg0, %arg1 {epilogue = []
// CHECK-NEXT: %[[S:.*]] = net.add %[[A]], %arg2
// CHECK-NEXT: return %[[S]], %[[A]]
func @grad_input_add_two_uses(%dy: tensor<?x4x8x8xf32>, %w: tensor<4x4x3x3xf32>, %g: tensor<?x4x8x8xf32>) -> (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) {
  %0 = net.conv2d_grad_input %dy, %w {kernel = [3, 3], strides = [1, 1], pads = [1, 1], input_size = [8, 8], epilogue = []} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<?x4x8x8xf32>
  %1 = net.add %0, %g : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  return %1, %0 : tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>
}

// add(conv2d_grad_input(..), zero_pad_shortcut_grad(g)): the conv kernel
// applies the shortcut's backward itself ("add_shortcut", shortcut_stride)
// and takes the shortcut's gradient g, not the shortcut's dX.
// CHECK-LABEL: func @grad_input_add_shortcut
// CHECK: %[[A:.*]] = net.conv2d_grad_input %arg1, %arg2, %arg0 {epilogue = ["add_shortcut"], input_size = [8, 8], kernel = [3, 3], pads = [1, 1], shortcut_stride = 2 : i64, strides = [2, 2]} : (tensor<?x8x4x4xf32>, tensor<8x4x3x3xf32>, tensor<?x8x4x4xf32>) -> tensor<?x4x8x8xf32>
// CHECK-NOT: net.zero_pad_shortcut_grad
// CHECK-NOT: net.add
// CHECK: return %[[A]]
func @grad_input_add_shortcut(%g: tensor<?x8x4x4xf32>, %dy: tensor<?x8x4x4xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<?x4x8x8xf32> {
  %s = net.zero_pad_shortcut_grad %g {stride = 2 : i64, in_channels = 4 : i64, input_size = [8, 8]} : (tensor<?x8x4x4xf32>) -> tensor<?x4x8x8xf32>
  %0 = net.conv2d_grad_input %dy, %w {kernel = [3, 3], strides = [2, 2], pads = [1, 1], input_size = [8, 8], epilogue = []} : (tensor<?x8x4x4xf32>, tensor<8x4x3x3xf32>) -> tensor<?x4x8x8xf32>
  %1 = net.add %s, %0 : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  return %1 : tensor<?x4x8x8xf32>
}

// The shortcut's dX has a second use: it stays, and is added as a plain
// gradient.
// CHECK-LABEL: func @grad_input_add_shortcut_two_uses
// CHECK: %[[S:.*]] = net.zero_pad_shortcut_grad %arg0
// CHECK-NEXT: %[[A:.*]] = net.conv2d_grad_input %arg1, %arg2, %[[S]] {epilogue = ["add"]
// CHECK-NOT: shortcut_stride
// CHECK-NEXT: return %[[A]], %[[S]]
func @grad_input_add_shortcut_two_uses(%g: tensor<?x8x4x4xf32>, %dy: tensor<?x8x4x4xf32>, %w: tensor<8x4x3x3xf32>) -> (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) {
  %s = net.zero_pad_shortcut_grad %g {stride = 2 : i64, in_channels = 4 : i64, input_size = [8, 8]} : (tensor<?x8x4x4xf32>) -> tensor<?x4x8x8xf32>
  %0 = net.conv2d_grad_input %dy, %w {kernel = [3, 3], strides = [2, 2], pads = [1, 1], input_size = [8, 8], epilogue = []} : (tensor<?x8x4x4xf32>, tensor<8x4x3x3xf32>) -> tensor<?x4x8x8xf32>
  %1 = net.add %0, %s : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  return %1, %s : tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>
}

// relu_grad(conv2d_grad_input(..), m) -> epilogue [..., "relu_mask"]: alone,
// after "add", and after "add_shortcut" (keeping shortcut_stride).
// CHECK-LABEL: func @grad_input_relu_mask
// CHECK: %[[A:.*]] = net.conv2d_grad_input %arg0, %arg1, %arg2 {epilogue = ["relu_mask"], input_size = [8, 8], kernel = [3, 3], pads = [1, 1], strides = [1, 1]}
// CHECK-NEXT: %[[B:.*]] = net.conv2d_grad_input %arg0, %arg1, %arg3, %arg2 {epilogue = ["add", "relu_mask"]
// CHECK-NEXT: %[[C:.*]] = net.conv2d_grad_input %arg5, %arg6, %arg4, %arg2 {epilogue = ["add_shortcut", "relu_mask"], input_size = [8, 8], kernel = [3, 3], pads = [1, 1], shortcut_stride = 2 : i64, strides = [2, 2]}
// CHECK-NOT: net.relu_grad
// CHECK-NOT: net.add
// CHECK: return %[[A]], %[[B]], %[[C]]
func @grad_input_relu_mask(%dy: tensor<?x4x8x8xf32>, %w: tensor<4x4x3x3xf32>, %m: tensor<?x4x8x8xf32>, %g: tensor<?x4x8x8xf32>,
                           %sg: tensor<?x8x4x4xf32>, %dy2: tensor<?x8x4x4xf32>, %w2: tensor<8x4x3x3xf32>) -> (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) {
  %0 = net.conv2d_grad_input %dy, %w {kernel = [3, 3], strides = [1, 1], pads = [1, 1], input_size = [8, 8], epilogue = []} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<?x4x8x8xf32>
  %1 = net.relu_grad %0, %m : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %2 = net.conv2d_grad_input %dy, %w {kernel = [3, 3], strides = [1, 1], pads = [1, 1], input_size = [8, 8], epilogue = []} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<?x4x8x8xf32>
  %3 = net.add %2, %g : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %4 = net.relu_grad %3, %m : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %s = net.zero_pad_shortcut_grad %sg {stride = 2 : i64, in_channels = 4 : i64, input_size = [8, 8]} : (tensor<?x8x4x4xf32>) -> tensor<?x4x8x8xf32>
  %5 = net.conv2d_grad_input %dy2, %w2 {kernel = [3, 3], strides = [2, 2], pads = [1, 1], input_size = [8, 8], epilogue = []} : (tensor<?x8x4x4xf32>, tensor<8x4x3x3xf32>) -> tensor<?x4x8x8xf32>
  %6 = net.add %5, %s : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %7 = net.relu_grad %6, %m : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  return %1, %4, %7 : tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>
}

// dX with two uses keeps its relu_grad; a conv that already carries a
// relu_mask is not masked twice.
// CHECK-LABEL: func @grad_input_relu_mask_negative
// CHECK: %[[A:.*]] = net.conv2d_grad_input %arg0, %arg1 {epilogue = []
// CHECK-NEXT: %[[R:.*]] = net.relu_grad %[[A]], %arg2
// CHECK-NEXT: %[[B:.*]] = net.conv2d_grad_input %arg0, %arg1, %arg2 {epilogue = ["relu_mask"]
// CHECK-NEXT: %[[R2:.*]] = net.relu_grad %[[B]], %arg2
// CHECK-NEXT: return %[[R]], %[[A]], %[[R2]]
func @grad_input_relu_mask_negative(%dy: tensor<?x4x8x8xf32>, %w: tensor<4x4x3x3xf32>, %m: tensor<?x4x8x8xf32>) -> (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) {
  %0 = net.conv2d_grad_input %dy, %w {kernel = [3, 3], strides = [1, 1], pads = [1, 1], input_size = [8, 8], epilogue = []} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<?x4x8x8xf32>
  %1 = net.relu_grad %0, %m : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %2 = net.conv2d_grad_input %dy, %w, %m {kernel = [3, 3], strides = [1, 1], pads = [1, 1], input_size = [8, 8], epilogue = ["relu_mask"]} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %3 = net.relu_grad %2, %m : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  return %1, %0, %3 : tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>
}
