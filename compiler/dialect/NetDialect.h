// The `net` dialect (see NetDialect.td).
#pragma once

#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"

#include "compiler/dialect/NetDialect.h.inc"
#include "compiler/dialect/NetInterfaces.h.inc"
