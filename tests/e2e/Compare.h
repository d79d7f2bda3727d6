// Comparing float tensors: the worst relative error, measured against the
// largest magnitude of the reference (logits near zero would make a
// per-element relative error meaningless).
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace netc::test {

inline double relativeError(const std::vector<float> &got, const std::vector<float> &want) {
  double scale = 0, worst = 0;
  for (float w : want)
    scale = std::max(scale, std::fabs(double(w)));
  for (size_t i = 0; i < got.size() && i < want.size(); ++i)
    worst = std::max(worst, std::fabs(double(got[i]) - double(want[i])));
  if (got.size() != want.size())
    return INFINITY;
  return worst / std::max(scale, 1e-30);
}

} // namespace netc::test
