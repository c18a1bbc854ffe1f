#include "storage/file_lock.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <utility>

namespace rxon::storage {

result<file_lock> file_lock::acquire(const std::string& path) {
  // flock, not fcntl: SQLite's own locks are fcntl locks, which any close
  // of the file in this process would drop; flock locks are independent.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return error{errc::unavailable,
                 "lock '" + path + "': " + std::strerror(errno)};
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK)
      return error{errc::unavailable,
                   "'" + path
                       + "' is in use by another store (is another rxon "
                         "serve running on it?)"};
    return error{errc::unavailable,
                 "lock '" + path + "': " + std::strerror(err)};
  }
  return file_lock{fd};
}

file_lock::file_lock(file_lock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)) {}

file_lock& file_lock::operator=(file_lock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

file_lock::~file_lock() {
  if (fd_ >= 0)
    ::close(fd_); // releases the lock
}

} // namespace rxon::storage
