// The `net` dialect: one op per primitive layer of an elaborated .net
// network, plus the ops that inference-time rewrites introduce (fold_bn,
// fused_conv). Values are f32 tensors in NCHW logical order with a dynamic
// batch, tensor<?xCxHxWxf32>; memory layout is decided at lowering time.
#ifndef NETC_NET_DIALECT_TD
#define NETC_NET_DIALECT_TD

include "mlir/IR/OpBase.td"

def Net_Dialect : Dialect {
  let name = "net";
  let cppNamespace = "::netc::net";
  let summary = "Declarative neural-network layers for the netc compiler";
}

// Every net op can compute its result types from its operands and
// attributes. One function per op serves both the verifier (declared types
// must be compatible with the inferred ones) and -net-shape-inference
// (which replaces declared types with the inferred, more static ones).
def Net_ShapeInferOpInterface : OpInterface<"ShapeInfer"> {
  let cppNamespace = "::netc::net";
  let methods = [
    InterfaceMethod<
      [{Checks operands and attributes and appends one inferred type per
        result. Returns failure after emitting an error when the op is
        malformed. A result that cannot be inferred yet (an operand is
        unranked) gets tensor<*xf32>; unknown dimensions stay dynamic.}],
      "::mlir::LogicalResult", "inferTypes",
      (ins "::llvm::SmallVectorImpl<::mlir::Type> &":$types)>
  ];
}

#endif
