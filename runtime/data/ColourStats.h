// Training-set statistics the augmentations need: the mean to subtract
// (per channel or per pixel) and the RGB covariance's principal components
// for AlexNet-style PCA lighting (VGG's "random RGB colour shift").
#pragma once

#include "runtime/data/Dataset.h"

#include <array>
#include <vector>

namespace netc::runtime::data {

struct ColourStats {
  /// Mean of each channel, in pixel units (0..255).
  std::vector<float> channelMean;
  /// Mean image, CHW in pixel units; empty when sample shapes vary.
  std::vector<float> pixelMean;
  /// Eigenvalues (descending) and unit eigenvectors (eigvec[k] is the k-th
  /// vector, indexed by channel) of the RGB covariance, with pixels scaled
  /// to [0, 1] as in AlexNet; zero when the data is not 3-channel.
  std::array<float, 3> eigval{};
  std::array<std::array<float, 3>, 3> eigvec{};
};

/// One pass over `ds` (every `stride`-th sample; 1 = all), computed once
/// before training. Sums are in double so 60000-image sets stay exact.
ColourStats computeColourStats(const Dataset &ds, size_t stride = 1);

/// Eigen-decomposition of a symmetric 3x3 matrix by cyclic Jacobi rotations.
void symmetricEigen3(const std::array<std::array<double, 3>, 3> &m, std::array<float, 3> &eigval,
                     std::array<std::array<float, 3>, 3> &eigvec);

} // namespace netc::runtime::data
