#pragma once
// Runs the real `buergerbox serve` binary for integration tests: port 0, its own temp folder,
// environment overrides; waits for the "event=listening" line and reports the bound port.

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

namespace bb::test {

//! Work the server still has in hand: events not processed, messages queued, photos not checked.
//! One statement, so one snapshot: with three separate reads a photo's "ready" event could be
//! written between the first and the last read and the server look idle while it is not.
inline constexpr const char* kUnsettledSql =
    "SELECT (SELECT count(*) FROM inbound_events WHERE processed_at IS NULL) + "
    "(SELECT count(*) FROM outbox WHERE status = 'queued') + "
    "(SELECT count(*) FROM media WHERE status = 'pending')";

class ServerProcess {
public:
  ServerProcess() = default;
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  //! Starts `buergerbox serve --config <config>` with `env` added to the environment and the
  //! working directory set to the source tree. Returns false if it did not start listening.
  bool start(const std::string& config_path, const std::map<std::string, std::string>& env,
             std::chrono::seconds timeout = std::chrono::seconds(20));
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  //! Sends `signal` and waits; returns the exit code (or 128+signal) and stores the wait time.
  int stop(int signal, std::chrono::milliseconds* took = nullptr,
           std::chrono::seconds timeout = std::chrono::seconds(10));
  //! Everything the process wrote to stderr so far.
  std::string log();

private:
  //! Reads what is waiting on stderr into log_; false once the pipe is closed.
  bool drain(int timeout_ms);
  //! Once listening, stderr is read all the time: a server that logs more than the pipe holds
  //! (64 KiB) between two log() calls would otherwise block in its log writes and stop
  //! answering (a busy server fills it in a second).
  void startReader();
  void stopReader();
  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  int port_ = 0;
  std::mutex log_mutex_;
  std::string log_;
  std::thread reader_;
  std::atomic<bool> reader_stop_{false};
};

//! A fresh temporary directory, removed at destruction.
class TempDir {
public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

std::string readFile(const std::string& path);
void writeFile(const std::string& path, const std::string& content);

//! What a run of the binary printed and its exit code.
struct CliRun {
  int code = -1;
  std::string output;  //!< stdout
  std::string errors;  //!< stderr
  //! The last non-empty line of stdout (a key or password a command prints).
  std::string lastLine() const;
};
//! Runs `buergerbox <args> --config <config_path>` in the source tree with `env` added, `input`
//! on its stdin (a password for `staff add`); with `timeout_s` > 0 a run that takes longer is
//! killed (exit code 124).
CliRun runCli(const std::string& args, const std::string& config_path,
              const std::map<std::string, std::string>& env, const std::string& input = {},
              int timeout_s = 0);

//! A throw-away 64-hex key for tests.
std::string testKey(char fill);

}  // namespace bb::test
