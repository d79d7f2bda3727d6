#include "runtime/FileIo.h"

#include "runtime/Error.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace netc::runtime {
namespace {

std::string sysError(const std::string &what, const std::string &path) {
  return "cannot " + what + " '" + path + "': " + std::strerror(errno);
}

/// Closes the descriptor on every exit path.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0)
      ::close(fd);
  }
};

} // namespace

std::vector<unsigned char> readFileBytes(const std::string &path) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0)
    throw IoError(sysError("open", path));
  struct stat st;
  if (::fstat(f.fd, &st) != 0)
    throw IoError(sysError("stat", path));
  if (!S_ISREG(st.st_mode))
    throw IoError("cannot read '" + path + "': not a regular file");
  std::vector<unsigned char> bytes(size_t(st.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::read(f.fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      throw IoError(sysError("read", path));
    if (n == 0) // the file shrank while we read it
      throw IoError("cannot read '" + path + "': file changed while reading");
    done += size_t(n);
  }
  return bytes;
}

namespace {

void writeAll(int fd, const void *data, size_t size, const std::string &path) {
  auto *p = static_cast<const unsigned char *>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      throw IoError(sysError("write", path));
    p += n;
    size -= size_t(n);
  }
}

} // namespace

void writeFileAtomically(const std::string &path, const void *data, size_t size) {
  // Same directory as the target: rename() is only atomic within a filesystem.
  std::string tmp = path + ".tmp.XXXXXX";
  Fd f{::mkstemp(tmp.data())};
  if (f.fd < 0)
    throw IoError(sysError("create a temporary file for", path));
  try {
    ::fchmod(f.fd, 0644); // mkstemp makes 0600; outputs should be shareable
    writeAll(f.fd, data, size, tmp);
    // Without fsync a crash after rename can leave an empty file in place.
    if (::fsync(f.fd) != 0)
      throw IoError(sysError("flush", tmp));
    if (::rename(tmp.c_str(), path.c_str()) != 0)
      throw IoError(sysError("rename '" + tmp + "' to", path));
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

} // namespace netc::runtime
