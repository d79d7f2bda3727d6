// CPU schedules of the memory-bound ops (everything but conv). These ops
// move little data compared with conv, so their schedules are simple:
// vectorise over channels (the dense NHWC dimension), parallelise over rows.
#pragma once

#include "compiler/halide/Eltwise.h"
#include "compiler/halide/Fc.h"
#include "compiler/halide/Lrn.h"
#include "compiler/halide/Softmax.h"

#include <string>

namespace netc::schedules {

struct SimpleSchedule {
  int vec = 16;
  bool parallel = true;
  std::string key() const;
};

SimpleSchedule defaultSimpleSchedule(const Halide::Target &t);

// Any NHWC op whose output has `channels` channels (eltwise, pools, GAP,
// zero-pad shortcut).
void scheduleNhwc(netc::halide::OpAlgo &a, int channels, const SimpleSchedule &s);
// Dot products over the contiguous input features, vectorised by rfactor.
void scheduleFc(netc::halide::FcAlgo &a, const SimpleSchedule &s);
void scheduleSoftmax(netc::halide::SoftmaxAlgo &a, int features, const SimpleSchedule &s);
void scheduleLrn(netc::halide::LrnAlgo &a, int channels, const SimpleSchedule &s);

}  // namespace netc::schedules
