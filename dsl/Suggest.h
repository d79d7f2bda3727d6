// "Did you mean ...?" for unknown names.
#pragma once

#include <string>
#include <vector>

namespace netc::dsl {

/// Levenshtein distance, case-insensitive.
int editDistance(const std::string &a, const std::string &b);

/// The candidate nearest to `word` if it is close enough to be a likely typo
/// (distance <= 2, and less than the word's length), else "".
std::string nearest(const std::string &word, const std::vector<std::string> &candidates);

/// "hint: did you mean 'x'?" text, or `fallback` if nothing is near.
std::string didYouMean(const std::string &word, const std::vector<std::string> &candidates,
                       const std::string &fallback = "");

} // namespace netc::dsl
