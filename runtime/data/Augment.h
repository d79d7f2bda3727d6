// Per-sample augmentation from the papers, fused into one pass that writes
// the normalised float CHW output straight into the batch:
//  - CIFAR ResNet: zero-pad P (4) pixels, random crop to the input size, flip;
//  - VGG / ResNet ImageNet: rescale isotropically so the shorter side is S,
//    S uniform in [Smin, Smax] ([256,512] VGG, [256,480] ResNet), random
//    crop (224x224), flip;
//  - AlexNet PCA lighting (VGG's random RGB colour shift);
//  - mean subtraction (per channel or per pixel) and scaling to float.
#pragma once

#include "runtime/data/ColourStats.h"
#include "runtime/data/Dataset.h"
#include "runtime/data/Rng.h"

#include <vector>

namespace netc::runtime::data {

enum class Geometry {
  PadCrop,   ///< crop outH x outW from the image zero-padded by `pad`
  ScaleCrop, ///< rescale shorter side to S in [scaleMin, scaleMax], then crop
};

struct AugmentConfig {
  Geometry geometry = Geometry::PadCrop;
  /// Output size; 0 takes the dataset's fixed sample size (PadCrop only).
  int64_t outH = 0, outW = 0;
  int64_t pad = 0;
  int64_t scaleMin = 256, scaleMax = 256;
  /// false: deterministic centre crop (S = scaleMin) for evaluation.
  bool randomCrop = true;
  bool flip = false;
  /// AlexNet's lighting noise: alpha_k ~ N(0, lightingStd); 0 disables.
  /// Needs `stats` eigen-values/vectors and 3 channels.
  float lightingStd = 0.0f;
  ColourStats stats;
  /// Subtracted in pixel units: empty (none), one value per channel, or a
  /// per-pixel mean image of the output shape (C*outH*outW values).
  std::vector<float> mean;
  /// Multiplies after mean subtraction: empty (1) or one per channel
  /// (e.g. 1/255, or 1/std).
  std::vector<float> scale;
};

/// The random choices for one sample: exposed so tests can check them.
struct Draw {
  int64_t scaledH = 0, scaledW = 0; ///< image size after rescale (or padded size)
  int64_t top = 0, left = 0;        ///< crop origin in that image
  bool flip = false;
  float shift[3] = {0, 0, 0}; ///< colour shift in pixel units, per channel
};

class Augmenter {
public:
  /// `channels` and `fixed` describe the dataset. Throws
  /// std::invalid_argument on an inconsistent configuration.
  Augmenter(AugmentConfig cfg, int64_t channels, std::optional<SampleShape> fixed);
  SampleShape outputShape() const { return out_; }
  /// The draws for an input of shape `in`, from `rng` in a fixed order.
  Draw draw(const SampleShape &in, Rng &rng) const;
  /// Writes sample `s` augmented by `d` as float CHW (outputShape()) to `dst`.
  void render(const Sample &s, const Draw &d, float *dst);
  /// draw + render with a generator seeded by `seed`.
  void apply(const Sample &s, uint64_t seed, float *dst);

private:
  void renderPadCrop(const Sample &s, const Draw &d, float *dst) const;
  void renderScaleCrop(const Sample &s, const Draw &d, float *dst);
  float normalise(float v, int64_t c, int64_t pixel) const;

  AugmentConfig cfg_;
  SampleShape out_;
  // Per-column and per-row bilinear taps, reused so rendering never allocates.
  std::vector<int64_t> x0_, y0_;
  std::vector<float> fx_, fy_;
};

} // namespace netc::runtime::data
