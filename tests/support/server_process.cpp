#include "support/server_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bb::test {

ServerProcess::~ServerProcess() {
  if (pid_ > 0) { stop(SIGKILL); }
  stopReader();
  if (stderr_fd_ >= 0) { ::close(stderr_fd_); }
}

bool ServerProcess::start(const std::string& config_path,
                          const std::map<std::string, std::string>& env,
                          std::chrono::seconds timeout) {
  stopReader();
  if (stderr_fd_ >= 0) {
    ::close(stderr_fd_);
    stderr_fd_ = -1;
  }
  int fds[2];
  if (pipe(fds) != 0) { return false; }
  pid_ = fork();
  if (pid_ == 0) {
    dup2(fds[1], STDERR_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    if (chdir(BB_SOURCE_DIR) != 0) { _exit(126); }
    for (const auto& [k, v] : env) { setenv(k.c_str(), v.c_str(), 1); }
    execl(BB_BINARY, BB_BINARY, "serve", "--config", config_path.c_str(), nullptr);
    _exit(127);
  }
  ::close(fds[1]);
  stderr_fd_ = fds[0];
  fcntl(stderr_fd_, F_SETFL, O_NONBLOCK);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  static const std::regex kListening("event=listening host=\\S+ port=(\\d+)");
  // The log of an earlier start stays in front: only this process's "listening" counts (with
  // port 0 a restart listens on another port).
  const std::size_t this_run = log_.size();
  while (std::chrono::steady_clock::now() < deadline) {
    drain(50);
    std::smatch m;
    const std::string since = log_.substr(this_run);
    if (std::regex_search(since, m, kListening)) {
      port_ = std::stoi(m[1]);
      startReader();
      return true;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
  }
  return false;
}

bool ServerProcess::drain(int timeout_ms) {
  if (stderr_fd_ < 0) { return false; }
  pollfd p{stderr_fd_, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) { return true; }
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(stderr_fd_, buf, sizeof buf);
    if (n == 0) { return false; }  // the server and everything it started closed stderr
    if (n < 0) { return errno == EAGAIN || errno == EINTR; }
    std::lock_guard lock(log_mutex_);
    log_.append(buf, static_cast<std::size_t>(n));
  }
}

void ServerProcess::startReader() {
  reader_stop_.store(false);
  reader_ = std::thread([this] {
    while (!reader_stop_.load() && drain(50)) {}
  });
}

void ServerProcess::stopReader() {
  if (!reader_.joinable()) { return; }
  reader_stop_.store(true);
  reader_.join();
}

std::string ServerProcess::log() {
  if (!reader_.joinable()) { drain(0); }
  std::lock_guard lock(log_mutex_);
  return log_;
}

int ServerProcess::stop(int signal, std::chrono::milliseconds* took, std::chrono::seconds timeout) {
  if (pid_ <= 0) { return -1; }
  const auto start = std::chrono::steady_clock::now();
  kill(pid_, signal);
  int status = 0;
  const auto deadline = start + timeout;
  int code = -1;
  while (std::chrono::steady_clock::now() < deadline) {
    if (reader_.joinable()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } else {
      drain(10);
    }
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
  }
  if (code == -1) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
  }
  if (took != nullptr) {
    *took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start);
  }
  stopReader();
  drain(0);
  pid_ = -1;
  return code;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "bbtest-XXXXXX").string();
  char* p = mkdtemp(tmpl.data());
  path_ = p != nullptr ? std::string(p) : std::string();
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) { std::filesystem::remove_all(path_, ec); }
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

std::string testKey(char fill) { return std::string(64, fill); }

CliRun runCli(const std::string& args, const std::string& config_path,
              const std::map<std::string, std::string>& env, const std::string& input,
              int timeout_s) {
  TempDir dir;
  const std::string in_path = dir.path() + "/stdin";
  const std::string out_path = dir.path() + "/output";
  const std::string err_path = dir.path() + "/errors";
  writeFile(in_path, input);
  std::string command = std::string("cd '") + BB_SOURCE_DIR + "' && env";
  for (const auto& [k, v] : env) { command += " " + k + "='" + v + "'"; }
  if (timeout_s > 0) { command += " timeout " + std::to_string(timeout_s); }
  command += std::string(" '") + BB_BINARY + "' " + args + " --config '" + config_path + "' <'" +
             in_path + "' >'" + out_path + "' 2>'" + err_path + "'";
  const int status = std::system(command.c_str());  // NOLINT(cert-env33-c): a test running our binary
  CliRun run;
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.output = readFile(out_path);
  run.errors = readFile(err_path);
  return run;
}

std::string CliRun::lastLine() const {
  std::istringstream in(output);
  std::string line;
  std::string last;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) { line.pop_back(); }
    if (!line.empty()) { last = line; }
  }
  return last;
}

}  // namespace bb::test
