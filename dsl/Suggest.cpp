#include "dsl/Suggest.h"

#include <algorithm>
#include <cctype>

namespace netc::dsl {

int editDistance(const std::string &a, const std::string &b) {
  std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                  std::tolower(static_cast<unsigned char>(b[j - 1]));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string nearest(const std::string &word, const std::vector<std::string> &candidates) {
  std::string best;
  int bestD = 3;
  for (const std::string &c : candidates) {
    int d = editDistance(word, c);
    if (d < bestD && d < static_cast<int>(word.size())) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

std::string didYouMean(const std::string &word, const std::vector<std::string> &candidates,
                       const std::string &fallback) {
  std::string n = nearest(word, candidates);
  return n.empty() ? fallback : "did you mean '" + n + "'?";
}

} // namespace netc::dsl
