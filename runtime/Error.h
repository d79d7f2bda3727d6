// The error type of netc's runtime file readers and writers.
#pragma once

#include <stdexcept>
#include <string>

namespace netc::runtime {

/// A file could not be read or written, or its contents are malformed.
/// The message names the file and says what is wrong, ready for the user.
class IoError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

} // namespace netc::runtime
