#include "runtime/data/ColourStats.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace netc::runtime::data {
namespace {

using Mat3 = std::array<std::array<double, 3>, 3>;

// Zeroes m[p][q] by one rotation, accumulating it into v.
void jacobiRotate(Mat3 &m, Mat3 &v, int p, int q) {
  if (std::abs(m[p][q]) < 1e-300)
    return;
  double theta = (m[q][q] - m[p][p]) / (2.0 * m[p][q]);
  double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
  double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
  for (int k = 0; k < 3; ++k) { // m = J^T m J, columns then rows
    double mkp = m[k][p], mkq = m[k][q];
    m[k][p] = c * mkp - s * mkq;
    m[k][q] = s * mkp + c * mkq;
  }
  for (int k = 0; k < 3; ++k) {
    double mpk = m[p][k], mqk = m[q][k];
    m[p][k] = c * mpk - s * mqk;
    m[q][k] = s * mpk + c * mqk;
  }
  for (int k = 0; k < 3; ++k) {
    double vkp = v[k][p], vkq = v[k][q];
    v[k][p] = c * vkp - s * vkq;
    v[k][q] = s * vkp + c * vkq;
  }
}

} // namespace

void symmetricEigen3(const Mat3 &input, std::array<float, 3> &eigval,
                     std::array<std::array<float, 3>, 3> &eigvec) {
  Mat3 m = input, v{};
  for (int i = 0; i < 3; ++i)
    v[i][i] = 1.0;
  for (int sweep = 0; sweep < 50; ++sweep) // converges in a handful for 3x3
    for (int p = 0; p < 2; ++p)
      for (int q = p + 1; q < 3; ++q)
        jacobiRotate(m, v, p, q);
  std::array<int, 3> order{0, 1, 2};
  std::sort(order.begin(), order.end(), [&](int a, int b) { return m[a][a] > m[b][b]; });
  for (int k = 0; k < 3; ++k) {
    eigval[k] = static_cast<float>(m[order[k]][order[k]]);
    for (int c = 0; c < 3; ++c)
      eigvec[k][c] = static_cast<float>(v[c][order[k]]); // column order[k] of v
  }
}

ColourStats computeColourStats(const Dataset &ds, size_t stride) {
  if (ds.size() == 0 || stride == 0)
    throw std::invalid_argument("computeColourStats: empty dataset or zero stride");
  const int64_t C = ds.channels();
  std::optional<SampleShape> fixed = ds.shape();
  std::vector<double> chanSum(C, 0.0), pixSum(fixed ? fixed->elements() : 0, 0.0);
  Mat3 cross{};
  double pixels = 0, images = 0;
  Sample s;
  for (size_t i = 0; i < ds.size(); i += stride) {
    ds.get(i, s);
    const int64_t plane = s.shape.h * s.shape.w;
    for (int64_t c = 0; c < C; ++c)
      for (int64_t p = 0; p < plane; ++p)
        chanSum[c] += s.pixels[c * plane + p];
    for (size_t e = 0; e < pixSum.size(); ++e)
      pixSum[e] += s.pixels[e];
    if (C == 3) // second moments of [0,1]-scaled RGB
      for (int64_t p = 0; p < plane; ++p)
        for (int a = 0; a < 3; ++a)
          for (int b = a; b < 3; ++b)
            cross[a][b] += s.pixels[a * plane + p] * (1.0 / 255) * s.pixels[b * plane + p] * (1.0 / 255);
    pixels += static_cast<double>(plane);
    images += 1;
  }
  ColourStats st;
  for (int64_t c = 0; c < C; ++c)
    st.channelMean.push_back(static_cast<float>(chanSum[c] / pixels));
  for (double v : pixSum)
    st.pixelMean.push_back(static_cast<float>(v / images));
  if (C == 3) {
    Mat3 cov{};
    for (int a = 0; a < 3; ++a)
      for (int b = a; b < 3; ++b)
        cov[a][b] = cov[b][a] = cross[a][b] / pixels - (chanSum[a] / pixels / 255) * (chanSum[b] / pixels / 255);
    symmetricEigen3(cov, st.eigval, st.eigvec);
  }
  return st;
}

} // namespace netc::runtime::data
