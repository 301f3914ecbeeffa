#pragma once
// What the two ingest benchmarks share (`ingest` on SQLite, `ingest-pg` on PostgreSQL): the
// in-process floor servers, the closed loop both drive, the line each phase prints, and the
// check that every acknowledged event reached the database.

#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include <httplib.h>

#include "bench/bench.hpp"
#include "bench/bench_util.hpp"
#include "bench/load_client.hpp"

namespace bb::bench {

//! The WhatsApp app secret of the benchmarks' servers (also for `bench ingest --port`).
inline constexpr const char* kIngestAppSecret = "bench-app-secret";

//! A cpp-httplib server in this process (the floors), on its own thread, listening like the
//! real server (same backlog, TCP_NODELAY, long keep-alive).
struct FloorServer {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  explicit FloorServer(int threads);
  void start();
  ~FloorServer();
};

//! o.connections keep-alive connections for o.seconds, every idle one sending at once.
LoadResult closedLoop(int port, const Options& o, const WhatsAppTraffic& traffic,
                      const ResponseFn& on_answer = [](std::uint64_t, int, std::uint32_t) {});

//! One line per phase: rate, errors and latency percentiles.
void describe(const std::string& name, const LoadResult& r);

//! Floor (a): the same client against a cpp-httplib handler that only answers.
LoadResult measureBareFloor(const Options& o);

//! The wamids of the requests a server acknowledged (200), from any number of load threads.
class AckLog {
public:
  //! Records traffic.wamid(seq) of every 200; `traffic` must outlive the load.
  ResponseFn recorder(const WhatsAppTraffic& traffic);
  std::vector<std::string> wamids() const;

private:
  mutable std::mutex mutex_;
  std::vector<std::string> wamids_;
};

//! How many of the acknowledged wamids are not among `stored_external_ids` (the
//! inbound_events.external_id of channel 'whatsapp'). The server keeps a wamid only as its keyed
//! hash (bot/security/provider_id.hpp) under the pseudonym key serverEnv() gives it.
std::size_t countMissing(const std::vector<std::string>& acked,
                         const std::unordered_set<std::string>& stored_external_ids);

}  // namespace bb::bench
