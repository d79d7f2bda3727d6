// Parameter preparation done once when weights are bound: BN folding and
// repacking from PyTorch's layouts to the kernels' layouts.
#pragma once

#include <cstdint>
#include <vector>

namespace netc::runtime {

/// OIHW (PyTorch conv weight) -> HWIO, output channel fastest: the memory of
/// the Halide buffer (co, ci, kx, ky) the conv kernels read.
std::vector<float> oihwToHwio(const std::vector<float> &w, int64_t o, int64_t i, int64_t kh,
                              int64_t kw);

/// The inverse of oihwToHwio (training exports its HWIO weights).
std::vector<float> hwioToOihw(const std::vector<float> &w, int64_t o, int64_t i, int64_t kh,
                              int64_t kw);

/// An fc weight (out, in) whose input was flattened from c x h x w in NCHW
/// order (PyTorch) -> the same weight for an input flattened from NHWC
/// memory, i.e. in-index (y*w + x)*c + ch.
std::vector<float> fcNchwToNhwc(const std::vector<float> &w, int64_t out, int64_t c, int64_t h,
                                int64_t wd);

/// The inverse of fcNchwToNhwc.
std::vector<float> fcNhwcToNchw(const std::vector<float> &w, int64_t out, int64_t c, int64_t h,
                                int64_t wd);

/// Inference BN as a per-channel affine map: scale = gamma/sqrt(var+eps),
/// shift = beta - mean*scale.
void bnScaleShift(const float *gamma, const float *beta, const float *mean, const float *var,
                  int64_t c, double eps, std::vector<float> &scale, std::vector<float> &shift);

/// Folds an inference BN into the conv before it (weights OIHW):
/// w' = w*scale[o], b' = (b - mean)*scale + beta = b*scale + shift.
void foldBn(std::vector<float> &w, std::vector<float> &bias, int64_t o,
            const std::vector<float> &scale, const std::vector<float> &shift);

} // namespace netc::runtime
