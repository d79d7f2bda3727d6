#include "runtime/data/Augment.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace netc::runtime::data {
namespace {

void require(bool ok, const char *what) {
  if (!ok)
    throw std::invalid_argument(std::string("AugmentConfig: ") + what);
}

// Pixel-centre mapping from a scaled axis of length `dst` back to `src`,
// clamped at the borders (the usual "align corners = false" bilinear).
void bilinearTaps(int64_t src, int64_t dst, int64_t first, int64_t count,
                  std::vector<int64_t> &i0, std::vector<float> &frac) {
  i0.resize(count);
  frac.resize(count);
  const double ratio = double(src) / double(dst);
  for (int64_t k = 0; k < count; ++k) {
    double pos = std::clamp((double(first + k) + 0.5) * ratio - 0.5, 0.0, double(src - 1));
    i0[k] = std::min<int64_t>(static_cast<int64_t>(pos), src - 2 < 0 ? 0 : src - 2);
    frac[k] = static_cast<float>(pos - double(i0[k]));
  }
}

} // namespace

Augmenter::Augmenter(AugmentConfig cfg, int64_t channels, std::optional<SampleShape> fixed)
    : cfg_(std::move(cfg)) {
  if (cfg_.outH == 0 && cfg_.outW == 0 && fixed) {
    cfg_.outH = fixed->h;
    cfg_.outW = fixed->w;
  }
  require(cfg_.outH > 0 && cfg_.outW > 0, "output size must be set (or the dataset fixed-size)");
  require(cfg_.pad >= 0, "pad must be >= 0");
  if (cfg_.geometry == Geometry::ScaleCrop)
    require(cfg_.scaleMin >= std::max(cfg_.outH, cfg_.outW) && cfg_.scaleMax >= cfg_.scaleMin,
            "need max(outH, outW) <= scaleMin <= scaleMax");
  if (cfg_.lightingStd > 0)
    require(channels == 3 && cfg_.stats.eigval[0] > 0, "lighting needs 3 channels and PCA stats");
  out_ = SampleShape{channels, cfg_.outH, cfg_.outW};
  const size_t m = cfg_.mean.size();
  require(m == 0 || m == size_t(channels) || m == size_t(out_.elements()),
          "mean must be empty, per channel, or a per-pixel image of the output shape");
  require(cfg_.scale.empty() || cfg_.scale.size() == size_t(channels), "scale must be per channel");
}

Draw Augmenter::draw(const SampleShape &in, Rng &rng) const {
  Draw d;
  // Fixed draw order (scale, crop, flip, colour) is part of the format:
  // changing it changes every augmented batch of a seed.
  if (cfg_.geometry == Geometry::ScaleCrop) {
    int64_t S = cfg_.randomCrop ? rng.between(cfg_.scaleMin, cfg_.scaleMax) : cfg_.scaleMin;
    const double k = double(S) / double(std::min(in.h, in.w));
    d.scaledH = std::max<int64_t>(cfg_.outH, std::llround(in.h * k));
    d.scaledW = std::max<int64_t>(cfg_.outW, std::llround(in.w * k));
  } else {
    d.scaledH = in.h + 2 * cfg_.pad;
    d.scaledW = in.w + 2 * cfg_.pad;
    if (d.scaledH < cfg_.outH || d.scaledW < cfg_.outW)
      throw std::invalid_argument("Augmenter: sample smaller than the crop even after padding");
  }
  const int64_t rangeH = d.scaledH - cfg_.outH, rangeW = d.scaledW - cfg_.outW;
  d.top = cfg_.randomCrop ? rng.between(0, rangeH) : rangeH / 2;
  d.left = cfg_.randomCrop ? rng.between(0, rangeW) : rangeW / 2;
  d.flip = cfg_.flip && (rng.next() >> 63);
  if (cfg_.lightingStd > 0) {
    float alpha[3];
    for (float &a : alpha)
      a = static_cast<float>(rng.normal()) * cfg_.lightingStd;
    // AlexNet: shift = sum_k alpha_k * lambda_k * v_k, on [0,1] pixels; x255.
    for (int c = 0; c < 3; ++c)
      for (int k = 0; k < 3; ++k)
        d.shift[c] += 255.0f * alpha[k] * cfg_.stats.eigval[k] * cfg_.stats.eigvec[k][c];
  }
  return d;
}

float Augmenter::normalise(float v, int64_t c, int64_t pixel) const {
  if (cfg_.mean.size() == size_t(out_.c))
    v -= cfg_.mean[c];
  else if (!cfg_.mean.empty())
    v -= cfg_.mean[c * out_.h * out_.w + pixel];
  return cfg_.scale.empty() ? v : v * cfg_.scale[c];
}

void Augmenter::renderPadCrop(const Sample &s, const Draw &d, float *dst) const {
  const SampleShape in = s.shape;
  for (int64_t c = 0; c < out_.c; ++c) {
    const uint8_t *plane = s.pixels.data() + c * in.h * in.w;
    for (int64_t y = 0; y < out_.h; ++y) {
      const int64_t sy = d.top + y - cfg_.pad;
      for (int64_t x = 0; x < out_.w; ++x) {
        const int64_t sx = d.left + (d.flip ? out_.w - 1 - x : x) - cfg_.pad;
        const int64_t o = y * out_.w + x;
        // Padding is zero in the output (after normalisation), so padded
        // borders carry no signal whatever the mean.
        const bool inside = sy >= 0 && sy < in.h && sx >= 0 && sx < in.w;
        dst[c * out_.h * out_.w + o] = inside ? normalise(plane[sy * in.w + sx] + d.shift[c], c, o) : 0.0f;
      }
    }
  }
}

void Augmenter::renderScaleCrop(const Sample &s, const Draw &d, float *dst) {
  const SampleShape in = s.shape;
  // Only the crop's pixels are interpolated: no intermediate rescaled image.
  bilinearTaps(in.h, d.scaledH, d.top, out_.h, y0_, fy_);
  bilinearTaps(in.w, d.scaledW, d.left, out_.w, x0_, fx_);
  const int64_t dy = in.h > 1 ? in.w : 0, dx = in.w > 1 ? 1 : 0;
  for (int64_t c = 0; c < out_.c; ++c) {
    const uint8_t *plane = s.pixels.data() + c * in.h * in.w;
    for (int64_t y = 0; y < out_.h; ++y) {
      const uint8_t *row = plane + y0_[y] * in.w;
      const float wy = fy_[y];
      for (int64_t x = 0; x < out_.w; ++x) {
        const int64_t k = d.flip ? out_.w - 1 - x : x;
        const uint8_t *p = row + x0_[k];
        const float wx = fx_[k];
        float top = p[0] + wx * (p[dx] - p[0]);
        float bot = p[dy] + wx * (p[dy + dx] - p[dy]);
        const int64_t o = y * out_.w + x;
        dst[c * out_.h * out_.w + o] = normalise(top + wy * (bot - top) + d.shift[c], c, o);
      }
    }
  }
}

void Augmenter::render(const Sample &s, const Draw &d, float *dst) {
  if (s.shape.c != out_.c)
    throw std::invalid_argument("Augmenter: sample channel count differs from the dataset's");
  if (cfg_.geometry == Geometry::ScaleCrop)
    renderScaleCrop(s, d, dst);
  else
    renderPadCrop(s, d, dst);
}

void Augmenter::apply(const Sample &s, uint64_t seed, float *dst) {
  Rng rng(seed);
  render(s, draw(s.shape, rng), dst);
}

} // namespace netc::runtime::data
