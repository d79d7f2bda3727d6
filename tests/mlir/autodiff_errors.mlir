// PASSES: -split-input-file -net-autodiff -verify-diagnostics
// What -net-autodiff refuses, each with its message.

func @unranked(%x: tensor<?x3x8x8xf32>) -> tensor<*xf32> {
  %w = net.param "conv.weight" : tensor<4x3x3x3xf32>
  // expected-error @+1 {{training needs static shapes (all but the batch), got 'tensor<*xf32>'; run -net-shape-inference first}}
  %0 = net.conv2d %x, %w {kernel = [3, 3], strides = [1, 1], pads = [1, 1]} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func @softmax_inside(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %w = net.param "fc.weight" : tensor<4x4xf32>
  %b = net.param "fc.bias" : tensor<4xf32>
  %0 = net.fc %x, %w, %b : (tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  // expected-error @+1 {{has no gradient rule: training through 'net.softmax' is not supported}}
  %1 = net.softmax %0 : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %2 = net.relu %1 : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %2 : tensor<?x4xf32>
}

// -----

// expected-error @+1 {{a trainable network takes exactly one input}}
func @two_inputs(%x: tensor<?x4xf32>, %y: tensor<?x4xf32>) -> tensor<?x4xf32> {
  return %x : tensor<?x4xf32>
}
