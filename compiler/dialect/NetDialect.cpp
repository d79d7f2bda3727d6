#include "compiler/dialect/NetDialect.h"
#include "compiler/dialect/NetOps.h"

using namespace netc::net;

#include "compiler/dialect/NetDialect.cpp.inc"
#include "compiler/dialect/NetInterfaces.cpp.inc"

void NetDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "compiler/dialect/NetOps.cpp.inc"
      >();
}
