// PASSES: -net-shape-inference
// Result types declared unranked or with unknown dimensions are replaced by
// the types each op's shape rule infers; the function's result type follows.

// CHECK-LABEL: func @refine(%arg0: tensor<?x3x32x32xf32>) -> tensor<?x10xf32>
func @refine(%x: tensor<?x3x32x32xf32>) -> tensor<*xf32> {
  %w = net.param "conv1.weight" : tensor<16x3x3x3xf32>
  %fw = net.param "fc.weight" : tensor<10x64xf32>
  %fb = net.param "fc.bias" : tensor<10xf32>
  // CHECK: net.conv2d {{.*}} -> tensor<?x16x16x16xf32>
  %0 = net.conv2d %x, %w {kernel = [3, 3], strides = [2, 2], pads = [1, 1]} : (tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>) -> tensor<*xf32>
  // CHECK: net.relu {{.*}} : (tensor<?x16x16x16xf32>) -> tensor<?x16x16x16xf32>
  %1 = net.relu %0 : (tensor<*xf32>) -> tensor<*xf32>
  // CHECK: net.max_pool {{.*}} : (tensor<?x16x16x16xf32>) -> tensor<?x16x8x8xf32>
  %2 = net.max_pool %1 {kernel = [3, 3], strides = [2, 2], pads = [1, 1]} : (tensor<*xf32>) -> tensor<?x?x?x?xf32>
  // CHECK: net.zero_pad_shortcut {{.*}} -> tensor<?x64x3x3xf32>
  %3 = net.zero_pad_shortcut %2 {stride = 3 : i64, out_channels = 64 : i64} : (tensor<?x?x?x?xf32>) -> tensor<*xf32>
  // CHECK: net.global_avg_pool {{.*}} -> tensor<?x64x1x1xf32>
  %4 = net.global_avg_pool %3 : (tensor<*xf32>) -> tensor<*xf32>
  // CHECK: net.flatten {{.*}} -> tensor<?x64xf32>
  %5 = net.flatten %4 : (tensor<*xf32>) -> tensor<?x?xf32>
  // CHECK: net.fc {{.*}} -> tensor<?x10xf32>
  %6 = net.fc %5, %fw, %fb : (tensor<?x?xf32>, tensor<10x64xf32>, tensor<10xf32>) -> tensor<*xf32>
  // CHECK: return %{{.*}} : tensor<?x10xf32>
  return %6 : tensor<*xf32>
}

// Unknown spatial sizes stay dynamic; a declared static size is kept.
// CHECK-LABEL: func @partial(%arg0: tensor<?x3x?x?xf32>) -> tensor<?x8x?x5xf32>
func @partial(%x: tensor<?x3x?x?xf32>) -> tensor<?x?x?x5xf32> {
  %w = net.param "c.weight" : tensor<8x3x1x1xf32>
  // CHECK: net.conv2d {{.*}} -> tensor<?x8x?x5xf32>
  %0 = net.conv2d %x, %w {kernel = [1, 1], strides = [1, 1], pads = [0, 0]} : (tensor<?x3x?x?xf32>, tensor<8x3x1x1xf32>) -> tensor<?x?x?x5xf32>
  return %0 : tensor<?x?x?x5xf32>
}
