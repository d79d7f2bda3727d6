// The net dialect's passes. Each runs on one builtin.func holding a network.
#pragma once

#include "mlir/Pass/Pass.h"

#include <memory>

namespace netc::net {

/// -net-shape-inference: infers every result type from operands and
/// attributes, replaces declared types with the more static inferred ones,
/// errors where they conflict, and updates the function's result types.
std::unique_ptr<mlir::Pass> createShapeInferencePass();

/// -net-fold-bn: conv2d -> batch_norm becomes a conv2d whose weight and bias
/// come from net.fold_bn (inference only: running statistics are frozen).
std::unique_ptr<mlir::Pass> createFoldBnPass();

/// -net-fuse: conv2d [-> batch_norm] [-> add] [-> relu] becomes one
/// net.fused_conv when every intermediate value has a single use.
std::unique_ptr<mlir::Pass> createFusePass();

/// -net-dce: net.dropout becomes the identity (inference) and unused ops are
/// removed.
std::unique_ptr<mlir::Pass> createDcePass();

/// -net-autodiff: the network function becomes one training step taking
/// (input, labels) and returning (loss, logits), with the forward ops in
/// training mode and a gradient op per forward op (reverse mode), each
/// parameter's gradient in a net.param_grad.
std::unique_ptr<mlir::Pass> createAutodiffPass();

/// -net-fuse-train: batch_norm_train + relu, relu backward into
/// batch_norm_grad, and the conv dX epilogues (gradient add, option-A
/// shortcut backward, relu mask).
std::unique_ptr<mlir::Pass> createFuseTrainPass();

/// The stages as pass pipelines on a module: "mlir" is shape inference;
/// "fused" adds -net-fold-bn, -net-fuse, -net-dce and infers again.
void buildMlirStage(mlir::OpPassManager &pm);
void buildFusedStage(mlir::OpPassManager &pm);
/// "train": shape inference, -net-autodiff, shape inference (types for the
/// new ops), -net-fuse-train.
void buildTrainStage(mlir::OpPassManager &pm);

/// Makes all of the above available to textual pass pipelines (netc-opt),
/// the stages as -net-mlir-stage and -net-fused-stage.
void registerNetPasses();

} // namespace netc::net
