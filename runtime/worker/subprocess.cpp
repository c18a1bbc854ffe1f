#include "runtime/worker/subprocess.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace rxon::runtime {

namespace {

/// Owns a file descriptor.
struct fd_guard {
  int fd = -1;
  fd_guard() = default;
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  ~fd_guard() { reset(); }
  void reset() {
    if (fd >= 0)
      ::close(fd);
    fd = -1;
  }
};

struct pipe_pair {
  fd_guard read, write;
  bool open() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      return false;
    read.fd = fds[0];
    write.fd = fds[1];
    return true;
  }
};

/// Writes to a pipe without a SIGPIPE for the process when the child has
/// closed its end: SIGPIPE is blocked in this thread for the write, and a
/// signal it raised is consumed before unblocking.
ssize_t write_no_sigpipe(int fd, const char* data, std::size_t size) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  ssize_t w = ::write(fd, data, size);
  if (w < 0 && errno == EPIPE) {
    int saved = errno;
    timespec zero{0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
    }
    errno = saved;
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return w;
}

error sys_error(const char* what) {
  return error{errc::internal, std::string{what} + ": " + std::strerror(errno)};
}

/// Spawns the shell in a new process group with default signal handling
/// and an empty signal mask (the worker blocks SIGTERM in every thread).
result<pid_t> spawn_shell(const std::string& command, int in, int out,
                          int err) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&fa, in, 0);
  posix_spawn_file_actions_adddup2(&fa, out, 1);
  posix_spawn_file_actions_adddup2(&fa, err, 2);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGTERM, SIGINT, SIGHUP})
    sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK
                                      | POSIX_SPAWN_SETSIGDEF);
  std::string sh = "/bin/sh", dash_c = "-c", cmd = command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0)
    return error{errc::internal,
                 std::string{"cannot start /bin/sh: "} + std::strerror(rc)};
  return pid;
}

} // namespace

result<process_outcome> run_shell(const std::string& command,
                                  std::string_view input, cancel_token& cancel,
                                  const subprocess_limits& limits) {
  pipe_pair in, out, err;
  if (!in.open() || !out.open() || !err.open())
    return sys_error("pipe");
  auto pid = spawn_shell(command, in.read.fd, out.write.fd, err.write.fd);
  if (!pid)
    return pid.error();
  in.read.reset();
  out.write.reset();
  err.write.reset();
  cancel.attach(*pid);
  ::fcntl(in.write.fd, F_SETFL, ::fcntl(in.write.fd, F_GETFL) | O_NONBLOCK);
  if (input.empty())
    in.write.reset();

  process_outcome res;
  std::size_t written = 0;
  bool killed_for_size = false;
  using clock = std::chrono::steady_clock;
  std::optional<clock::time_point> give_up; // after a kill, stop waiting
  char buf[65536];
  while (out.read.fd >= 0 || err.read.fd >= 0) {
    pollfd fds[3];
    nfds_t n = 0;
    auto add = [&](int fd, short ev) {
      if (fd >= 0)
        fds[n++] = pollfd{fd, ev, 0};
    };
    add(in.write.fd, POLLOUT);
    add(out.read.fd, POLLIN);
    add(err.read.fd, POLLIN);
    int rc = ::poll(fds, n, 100);
    if (rc < 0 && errno != EINTR)
      break;
    if (cancel.cancelled() || killed_for_size) {
      // A grandchild that left the group could hold the pipes open.
      if (!give_up)
        give_up = clock::now() + std::chrono::seconds(2);
      else if (clock::now() > *give_up)
        break;
    }
    for (nfds_t i = 0; rc > 0 && i < n; ++i) {
      if (fds[i].revents == 0)
        continue;
      int fd = fds[i].fd;
      if (fd == in.write.fd) {
        ssize_t w = write_no_sigpipe(fd, input.data() + written,
                                     input.size() - written);
        if (w > 0)
          written += static_cast<std::size_t>(w);
        if ((w < 0 && errno != EAGAIN && errno != EINTR)
            || written == input.size())
          in.write.reset(); // done, or the child closed its stdin
        continue;
      }
      ssize_t r = ::read(fd, buf, sizeof buf);
      if (r < 0 && (errno == EAGAIN || errno == EINTR))
        continue;
      if (r <= 0) {
        (fd == out.read.fd ? out.read : err.read).reset();
        continue;
      }
      auto chunk = std::string_view{buf, static_cast<std::size_t>(r)};
      if (fd == out.read.fd) {
        if (res.out.size() + chunk.size() > limits.max_stdout) {
          res.out_truncated = true;
          if (!killed_for_size)
            ::killpg(*pid, SIGKILL);
          killed_for_size = true;
        } else {
          res.out.append(chunk);
        }
      } else if (res.err.size() < limits.max_stderr) {
        res.err.append(chunk.substr(
            0, std::min(chunk.size(), limits.max_stderr - res.err.size())));
      }
    }
  }
  in.write.reset();
  out.read.reset();
  err.read.reset();
  // Wait without reaping, detach, then reap: the group is never signalled
  // after its leader's pid could have been reused.
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(*pid), &info, WEXITED | WNOWAIT) != 0
         && errno == EINTR) {
  }
  cancel.detach();
  int wstatus = 0;
  while (::waitpid(*pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(wstatus))
    res.signal = WTERMSIG(wstatus);
  else if (WIFEXITED(wstatus))
    res.exit_code = WEXITSTATUS(wstatus);
  return res;
}

} // namespace rxon::runtime
