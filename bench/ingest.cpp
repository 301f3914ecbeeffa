// bench ingest: signed WhatsApp webhooks against the real server, beside two floors measured
// with the same client in the same run: (a) a bare cpp-httplib handler, (b) the same handler
// doing one SQLite INSERT per request at synchronous=FULL.
#include <atomic>
#include <iostream>
#include <mutex>
#include <unordered_set>

#include <unistd.h>

#include <fmt/format.h>
#include <SQLiteCpp/SQLiteCpp.h>

#include "bench/bench.hpp"
#include "bench/bench_util.hpp"
#include "bench/ingest_common.hpp"
#include "bench/load_client.hpp"
#include "storage/sync_delay_vfs.hpp"

namespace bb::bench {

int benchIngest(const Options& o) {
  if (o.port > 0) {  // profiling aid: load a server started by hand (app secret bench-app-secret)
    WhatsAppTraffic traffic(kIngestAppSecret, o.senders, std::to_string(::getpid()));
    describe("server on --port (closed loop)", closedLoop(o.port, o, traffic));
    return 0;
  }
  TempDir dir;
  std::cout << fmt::format("bench ingest: {} connections, {} s per phase, open loop {} /s for {} s\n",
                           o.connections, o.seconds, o.rate, o.rate_seconds);
  const SyncFloor sync_floor = measureSyncFloor(dir.path(), o.smoke ? 20 : 500, o.sync_delay_us);
  describeSyncFloor(sync_floor, o.sync_delay_us);
  const auto vfs = storage::syncDelayVfs(std::chrono::microseconds(o.sync_delay_us));
  if (!vfs) {
    std::cerr << vfs.error().detail << "\n";
    return 2;
  }
  const LoadResult floor_a = measureBareFloor(o);  // floor (a): bare handler
  // Floor (b): one INSERT per request, WAL, synchronous=FULL, autocommit.
  LoadResult floor_b;
  {
    WhatsAppTraffic traffic(kIngestAppSecret, o.senders, "fb");
    SQLite::Database db(dir.path() + "/floor.sqlite", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE,
                        0, *vfs);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    db.exec("CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
    SQLite::Statement insert(db, "INSERT INTO events (body) VALUES (?)");
    std::mutex mutex;
    FloorServer fs(o.connections + 8);
    fs.server.Post("/webhooks/whatsapp", [&](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mutex);
        insert.bind(1, req.body);
        insert.exec();
        insert.reset();
      }
      res.set_content(R"({"ok":true})", "application/json");
    });
    fs.start();
    floor_b = closedLoop(fs.port, o, traffic);
    describe("floor (b) httplib + 1 INSERT (FULL)", floor_b);
  }

  // The real server.
  FakeGraph graph;
  ServerChild server;
  auto env = serverEnv(dir.path(), graph.port(), kIngestAppSecret, o.sync_delay_us);
  if (!server.start(binaryPath(), sourceDir(), dir.path() + "/server.log", env)) {
    std::cerr << "server did not start; log: " << dir.path() << "/server.log\n";
    return 2;
  }
  ::usleep(500 * 1000);
  const Memory idle = memoryOf(server.pid());
  std::cout << fmt::format("  server idle RSS {:.1f} MiB (startup {:.0f} ms)\n", idle.rss_mib,
                           server.startupMs());

  AckLog acked;
  WhatsAppTraffic traffic(kIngestAppSecret, o.senders, "x");
  Memory peak_sampled;
  std::atomic<bool> sampling{true};
  std::thread sampler([&] {
    while (sampling.load()) {
      const Memory m = memoryOf(server.pid());
      peak_sampled.rss_mib = std::max(peak_sampled.rss_mib, m.rss_mib);
      ::usleep(200 * 1000);
    }
  });
  const ThreadCpu cpu_start = threadCpuOf(server.pid());
  const LoadResult real = closedLoop(server.port(), o, traffic, acked.recorder(traffic));
  const ThreadCpu cpu_closed = threadCpuOf(server.pid());
  describe("buergerbox (closed loop)", real);
  // Where the server's CPU went, per acknowledged event: on two cores shared with the load
  // generator, an acknowledgement waits for a CPU as soon as this exceeds the cores' time.
  std::cout << "    server CPU per acknowledged event: "
            << describeCpuPerEvent(cpu_start, cpu_closed, static_cast<double>(real.ok)) << "\n";

  // Open loop at a fixed offered rate (new sequence numbers: distinct wamids).
  WhatsAppTraffic traffic2(kIngestAppSecret, o.senders, "y");
  LoadOptions lo;
  lo.port = server.port();
  lo.connections = o.connections;
  lo.seconds = o.rate_seconds;
  lo.rate = o.rate;
  const LoadResult open = runLoad(
      lo, [&traffic2](std::uint64_t seq) { return traffic2.request(seq); },
      acked.recorder(traffic2));
  describe(fmt::format("buergerbox (open loop {:.0f}/s)", o.rate), open);
  std::cout << "    server CPU per acknowledged event: "
            << describeCpuPerEvent(cpu_closed, threadCpuOf(server.pid()),
                                   static_cast<double>(open.ok))
            << "\n";
  sampling.store(false);
  sampler.join();
  const Memory after = memoryOf(server.pid());
  const double peak = std::max(after.hwm_mib, peak_sampled.rss_mib);
  std::cout << fmt::format("  server RSS under load: peak {:.1f} MiB\n", peak);
  const int exit_code = server.stop();

  // Every acknowledged event must be in the database.
  std::unordered_set<std::string> stored;
  {
    SQLite::Database db(dir.path() + "/db.sqlite", SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "SELECT external_id FROM inbound_events WHERE channel = 'whatsapp'");
    while (q.executeStep()) { stored.insert(q.getColumn(0).getString()); }
  }
  const std::vector<std::string> acked_wamids = acked.wamids();
  const std::size_t missing = countMissing(acked_wamids, stored);
  std::cout << fmt::format("  verified: {} acknowledged, {} in the database, {} missing (exit {})\n",
                           acked_wamids.size(), acked_wamids.size() - missing, missing,
                           exit_code);

  const auto p = percentiles(real.latency_us);
  const auto po = percentiles(open.latency_us);
  const double ack = real.perSecond();
  std::vector<Row> rows = {
      {fmt::format("disk sync p50 (fdatasync{})",
                   o.sync_delay_us > 0 ? fmt::format(" + {} us delay", o.sync_delay_us) : ""),
       sync_floor.p50_us / 1000.0, "ms", "", 0, "-", true},
      {"acknowledged events/s (synchronous=FULL)", ack, "/s", "", 0, ">= 10000/s", ack >= 10000},
      {"  vs floor (b) httplib + INSERT", ack, "/s", "b", floor_b.perSecond(), ">= 3x",
       ack >= 3 * floor_b.perSecond()},
      {"  vs floor (a) bare httplib", ack, "/s", "a", floor_a.perSecond(), ">= 0.4x",
       ack >= 0.4 * floor_a.perSecond()},
      {"ack latency p50 (closed loop)", p.p50_ms, "ms", "", 0, "-", true},
      {"ack latency p99 (closed loop)", p.p99_ms, "ms", "a", percentiles(floor_a.latency_us).p99_ms,
       "-", true},
      {"ack latency p99.9 (closed loop)", p.p999_ms, "ms", "", 0, "-", true},
      {fmt::format("ack latency p99 at offered {:.0f}/s", o.rate), po.p99_ms, "ms", "", 0,
       "< 25 ms", po.p99_ms < 25 && open.errors == 0},
      {fmt::format("achieved at offered {:.0f}/s", o.rate), open.perSecond(), "/s", "", 0, "-",
       true},
      {"acknowledged events missing from the database", static_cast<double>(missing), "", "", 0,
       "0", missing == 0 && !acked_wamids.empty()},
      {"RSS idle", idle.rss_mib, "MiB", "", 0, "< 64 MiB", idle.rss_mib < 64},
      {"RSS peak under ingest", peak, "MiB", "", 0, "< 256 MiB", peak < 256},
  };
  const bool met = printTable("ingest", rows);
  if (missing != 0 || acked_wamids.empty()) { return 1; }  // correctness fails even a smoke run
  return o.smoke || met ? 0 : 3;
}

}  // namespace bb::bench
