#pragma once
// Shared pieces of the benchmarks: the real server as a child process, resident-set readings,
// signed WhatsApp traffic, a fake Graph API, and the result table (figure, floor, ratio, target).

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <sys/types.h>

namespace httplib {
class Server;
}

namespace bb::bench {

//! A fresh directory under /tmp (or $TMPDIR), removed at destruction.
class TempDir {
public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

//! `buergerbox serve --config config/demo.json` with env overrides; stderr goes to a file
//! (a full pipe would stall the server under load).
class ServerChild {
public:
  ~ServerChild();
  bool start(const std::string& binary, const std::string& source_dir, const std::string& log_path,
             const std::map<std::string, std::string>& env,
             std::chrono::seconds timeout = std::chrono::seconds(60));
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  //! Milliseconds from fork to the "listening" line.
  double startupMs() const { return startup_ms_; }
  //! SIGTERM and wait; returns the exit status.
  int stop();
  //! The last `lines` lines the server logged (for failures).
  std::string logTail(int lines = 20) const;

private:
  pid_t pid_ = -1;
  int port_ = 0;
  double startup_ms_ = 0;
  std::string log_path_;
};

struct Memory {
  double rss_mib = 0;  //!< VmRSS
  double hwm_mib = 0;  //!< VmHWM (peak resident set)
};
Memory memoryOf(pid_t pid);

//! CPU time a process's threads have used so far, summed by thread name with any trailing
//! digits dropped ("bb-flow-3" counts as "bb-flow-"), in seconds (utime + stime).
using ThreadCpu = std::map<std::string, double>;
ThreadCpu threadCpuOf(pid_t pid);
//! "name µs" per event for the busiest thread groups between two samples, and the total.
std::string describeCpuPerEvent(const ThreadCpu& before, const ThreadCpu& after, double events);

//! Signed WhatsApp webhook traffic: request `seq` comes from sender seq % senders and is that
//! sender's step seq / senders of a defect-report conversation (70 % text, 20 % interactive,
//! 10 % location per ten steps).
class WhatsAppTraffic {
public:
  WhatsAppTraffic(std::string app_secret, int senders, std::string tag);
  std::string body(std::uint64_t seq) const;
  std::string request(std::uint64_t seq) const;  //!< full HTTP/1.1 POST
  std::string wamid(std::uint64_t seq) const;
  std::string sender(std::uint64_t seq) const;
  char kindOf(std::uint64_t seq) const;  //!< 't', 'i', 'l'

private:
  std::string secret_;
  int senders_;
  std::string tag_;
  std::int64_t epoch_;  //!< message timestamps start now (WhatsApp's 24 h reply window)
};

//! A local fake Graph API: answers every send with a wamid and records when the first message
//! for each recipient arrived.
class FakeGraph {
public:
  FakeGraph();
  ~FakeGraph();
  int port() const { return port_; }
  std::uint64_t sends() const;
  //! First arrival per recipient ("to"), steady clock.
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> firstArrivals() const;
  std::vector<std::chrono::steady_clock::time_point> arrivals() const;

private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::uint64_t sends_ = 0;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> first_;
  std::vector<std::chrono::steady_clock::time_point> arrivals_;
};

//! One row of the result table.
struct Row {
  std::string figure;
  double value = 0;
  std::string unit;
  std::string floor_name;  //!< empty: no floor for this row
  double floor = 0;
  std::string target;  //!< human text, e.g. ">= 10000/s"
  bool met = false;
};

//! Prints the table in Markdown (to paste into docs/performance.md) and returns false when a
//! target was missed (the exit code of the benchmark in full mode).
bool printTable(const std::string& title, const std::vector<Row>& rows);

//! Environment for the real server (WhatsApp on, fake Graph API, fixed test keys); a positive
//! `sync_delay_us` slows every sync of its database (storage.sync_delay_us).
std::map<std::string, std::string> serverEnv(const std::string& dir, int graph_port,
                                             const std::string& app_secret, int sync_delay_us = 0);

//! The disk's own sync latency in the folder the benchmark writes to: `count` times a 4 KiB
//! write and fdatasync of one file, plus the configured delay (what every commit waits for).
struct SyncFloor {
  double p50_us = 0;
  double p99_us = 0;
  double per_second = 0;  //!< syncs one after another
};
SyncFloor measureSyncFloor(const std::string& dir, int count, int sync_delay_us);
//! Prints the sync floor line every benchmark that writes shows first.
void describeSyncFloor(const SyncFloor& f, int sync_delay_us);

std::string binaryPath();
std::string sourceDir();
double nowSeconds();

}  // namespace bb::bench
