// Shared helpers for the runtime I/O tests.
#pragma once

#include "runtime/Error.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace netc::runtime::testing {

/// A fresh directory, removed with its contents when the test ends.
class TempDir {
public:
  TempDir() {
    std::string tmpl = ::testing::TempDir() + "netc_io_XXXXXX";
    if (!::mkdtemp(tmpl.data()))
      throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string &name) const { return path_ + "/" + name; }
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

/// The message of the IoError that `f` throws; fails the test if it throws
/// nothing or something else.
template <class F> std::string ioErrorOf(F &&f) {
  try {
    f();
  } catch (const IoError &e) {
    return e.what();
  } catch (const std::exception &e) {
    ADD_FAILURE() << "expected IoError, got: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected IoError, nothing was thrown";
  return "";
}

#define EXPECT_IO_ERROR(expr, substring)                                                           \
  do {                                                                                             \
    std::string msg_ = ::netc::runtime::testing::ioErrorOf([&] { (void)(expr); });                 \
    EXPECT_NE(msg_.find(substring), std::string::npos)                                             \
        << "message: " << msg_ << "\nexpected to contain: " << (substring);                        \
  } while (0)

} // namespace netc::runtime::testing
