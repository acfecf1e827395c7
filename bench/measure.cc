// bw_bench_measure: runs a command and reports what it cost, precisely: wall time from a monotonic
// clock, user and system CPU and peak RSS from wait4()'s rusage of that child alone (GNU time
// prints only centiseconds, too coarse for sub-second runs).
//
//   bw_bench_measure --json OUT.json [--stdout FILE] -- command args...
//
// OUT.json: {"wall_s", "user_s", "sys_s", "cpu_s", "max_rss_kib", "exit_code", "signal"}.
// Exits with the command's exit code (128+signal when it was killed).

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

double Seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

int Usage() {
  std::fprintf(stderr, "usage: bw_bench_measure --json OUT.json [--stdout FILE] -- command...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string json_path, stdout_path;
  int i = 1;
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (i + 1 >= argc) return Usage();
    if (arg == "--json") {
      json_path = argv[++i];
    } else if (arg == "--stdout") {
      stdout_path = argv[++i];
    } else {
      return Usage();
    }
  }
  if (json_path.empty() || i >= argc) return Usage();

  const auto started = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid < 0) {
    std::fprintf(stderr, "bw_bench_measure: fork: %s\n", std::strerror(errno));
    return 1;
  }
  if (pid == 0) {
    if (!stdout_path.empty()) {
      int fd = open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) _exit(127);
      close(fd);
    }
    execvp(argv[i], argv + i);
    std::fprintf(stderr, "bw_bench_measure: %s: %s\n", argv[i], std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  struct rusage usage {};
  while (wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      std::fprintf(stderr, "bw_bench_measure: wait4: %s\n", std::strerror(errno));
      return 1;
    }
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  const int signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  const double user = Seconds(usage.ru_utime), sys = Seconds(usage.ru_stime);
  FILE* out = std::fopen(json_path.c_str(), "w");
  if (!out) {
    std::fprintf(stderr, "bw_bench_measure: %s: %s\n", json_path.c_str(), std::strerror(errno));
    return 1;
  }
  std::fprintf(out,
               "{\"wall_s\": %.6f, \"user_s\": %.6f, \"sys_s\": %.6f, \"cpu_s\": %.6f, "
               "\"max_rss_kib\": %ld, \"exit_code\": %d, \"signal\": %d}\n",
               wall, user, sys, user + sys, usage.ru_maxrss, exit_code, signal);
  if (std::fclose(out) != 0) return 1;
  return exit_code;
}
