// PASSES: -net-dce
// Dropout is the identity at inference; ops nobody uses are removed,
// including chains that only fed dead ops.

// CHECK-LABEL: func @dce
func @dce(%x: tensor<?x16xf32>) -> tensor<?x10xf32> {
  // CHECK-NOT: net.param "unused
  // CHECK: %[[W:.*]] = net.param "fc.weight"
  // CHECK: %[[B:.*]] = net.param "fc.bias"
  %u = net.param "unused.weight" : tensor<16x16xf32>
  %w = net.param "fc.weight" : tensor<10x16xf32>
  %b = net.param "fc.bias" : tensor<10xf32>
  // CHECK-NOT: net.dropout
  // CHECK-NOT: net.relu
  // CHECK: %[[Y:.*]] = net.fc %arg0, %[[W]], %[[B]]
  %0 = net.dropout %x {rate = 0.5 : f64} : (tensor<?x16xf32>) -> tensor<?x16xf32>
  %1 = net.relu %x : (tensor<?x16xf32>) -> tensor<?x16xf32>
  %2 = net.relu %1 : (tensor<?x16xf32>) -> tensor<?x16xf32>
  %3 = net.fc %0, %w, %b : (tensor<?x16xf32>, tensor<10x16xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  // CHECK-NEXT: return %[[Y]]
  return %3 : tensor<?x10xf32>
}
