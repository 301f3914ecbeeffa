// bench e2e: a signed WhatsApp webhook in → the bot's reply arriving at a local fake Graph API,
// at a fixed offered rate (open loop). Every message is a new citizen's first "Hallo", answered
// with the privacy notice. Floor in the same run: a cpp-httplib handler that forwards each
// webhook to the same fake Graph API with a keep-alive client before answering (two HTTP hops,
// no storage, no processing).
#include <algorithm>
#include <iostream>
#include <mutex>

#include <fmt/format.h>
#include <httplib.h>
#include <SQLiteCpp/SQLiteCpp.h>

#include "bench/bench.hpp"
#include "bench/bench_util.hpp"
#include "bench/load_client.hpp"
#include "webhooks/listen_backlog.hpp"

namespace bb::bench {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

struct E2eResult {
  std::vector<std::uint32_t> latency_us;  //!< webhook scheduled → reply at the fake Graph API
  std::size_t acked = 0;
  std::size_t replied = 0;
  double replies_per_second = 0;
};

E2eResult measure(int port, FakeGraph& graph, const WhatsAppTraffic& traffic, double rate,
                  double seconds, int connections, double wait_seconds) {
  std::mutex mutex;
  std::vector<std::pair<std::string, SteadyTime>> sent;  // sender, time the request was due
  LoadOptions lo;
  lo.port = port;
  lo.connections = connections;
  lo.rate = rate;
  lo.seconds = seconds;
  const auto load = runLoad(
      lo, [&traffic](std::uint64_t seq) { return traffic.request(seq); },
      [&](std::uint64_t seq, int status, std::uint32_t latency_us) {
        if (status != 200) { return; }
        const auto due = std::chrono::steady_clock::now() - std::chrono::microseconds(latency_us);
        std::lock_guard lock(mutex);
        sent.emplace_back(traffic.sender(seq), due);
      });
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(wait_seconds));
  while (graph.firstArrivals().size() < sent.size() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto first = graph.firstArrivals();
  E2eResult r;
  r.acked = sent.size();
  SteadyTime begin = SteadyTime::max();
  SteadyTime end = SteadyTime::min();
  for (const auto& [who, due] : sent) {
    begin = std::min(begin, due);
    auto it = first.find(who);
    if (it == first.end()) {
      r.latency_us.push_back(UINT32_MAX);  // never arrived: worse than any figure
      continue;
    }
    ++r.replied;
    end = std::max(end, it->second);
    r.latency_us.push_back(static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(it->second - due).count()));
  }
  if (r.replied > 0) {
    r.replies_per_second =
        static_cast<double>(r.replied) / std::chrono::duration<double>(end - begin).count();
  }
  std::cout << fmt::format("  load: sent={} ok={} errors={}\n", load.sent, load.ok, load.errors);
  return r;
}

}  // namespace

//! Where a message spent its time inside the server, from the timestamps the server wrote
//! (milliseconds): stored → processed (the flow worker's queue and step, committed with the
//! reply) and processed → sent (the outbox's wait and the send). What the end-to-end latency has
//! beyond both is the edge (request and ingest commit) and the reply's way to the fake API.
struct Stages {
  Percentiles processing;
  Percentiles delivery;
  std::size_t messages = 0;
};

Stages serverStages(const std::string& db_path) {
  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  SQLite::Statement q(db,
                      "SELECT i.processed_at - i.received_at, o.updated_at - o.created_at "
                      "FROM inbound_events i JOIN outbox o ON o.id = (SELECT min(id) FROM outbox "
                      "WHERE pseudonym = i.pseudonym AND status = 'sent') "
                      "WHERE i.processed_at IS NOT NULL");
  std::vector<std::uint32_t> processing;
  std::vector<std::uint32_t> delivery;
  while (q.executeStep()) {
    processing.push_back(static_cast<std::uint32_t>(std::max<std::int64_t>(0, q.getColumn(0).getInt64()) * 1000));
    delivery.push_back(static_cast<std::uint32_t>(std::max<std::int64_t>(0, q.getColumn(1).getInt64()) * 1000));
  }
  Stages out;
  out.messages = processing.size();
  out.processing = percentiles(std::move(processing));
  out.delivery = percentiles(std::move(delivery));
  return out;
}

int benchE2e(const Options& o) {
  const double rate = o.smoke ? 20 : 1000;
  const double seconds = o.smoke ? 1 : o.rate_seconds;
  const int senders = 100000000;  // every message from a new citizen
  std::cout << fmt::format("bench e2e: offered {} msg/s for {} s\n", rate, seconds) << std::flush;

  E2eResult floor;
  {
    FakeGraph graph;
    httplib::Server s;
    s.new_task_queue = [] { return new httplib::ThreadPool(72); };
    s.set_tcp_nodelay(true);
    s.set_keep_alive_max_count(100000);
    const int graph_port = graph.port();
    s.Post("/webhooks/whatsapp", [graph_port](const httplib::Request& req, httplib::Response& res) {
      thread_local httplib::Client client("127.0.0.1", graph_port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      std::string from;
      if (auto p = req.body.find("\"from\":\""); p != std::string::npos) {
        from = req.body.substr(p + 8, req.body.find('"', p + 8) - p - 8);
      }
      client.Post("/v23.0/1/messages", "{\"to\":\"" + from + "\"}", "application/json");
      res.set_content(R"({"ok":true})", "application/json");
    });
    const int port = s.bind_to_any_port("127.0.0.1");
    webhooks::widenListenBacklog(port, webhooks::kListenBacklog);  // as the real server does
    std::thread t([&s] { s.listen_after_bind(); });
    WhatsAppTraffic traffic("bench-secret", senders, "ef");
    floor = measure(port, graph, traffic, rate, seconds, o.smoke ? 8 : 64, 5);
    s.stop();
    t.join();
  }

  TempDir dir;
  const SyncFloor sync_floor = measureSyncFloor(dir.path(), o.smoke ? 20 : 500, o.sync_delay_us);
  describeSyncFloor(sync_floor, o.sync_delay_us);
  FakeGraph graph;
  ServerChild server;
  auto env = serverEnv(dir.path(), graph.port(), "bench-secret", o.sync_delay_us);
  // The channel's configured rate above the offered rate (Meta's default throughput for a
  // business number is 80 msg/s; high-throughput numbers get up to 1,000).
  env["BUERGERBOX_WHATSAPP_RATE_PER_SECOND"] = std::to_string(static_cast<int>(rate * 1.5));
  env["BUERGERBOX_WHATSAPP_RECIPIENT_INTERVAL_MS"] = "0";
  if (!server.start(binaryPath(), sourceDir(), dir.path() + "/server.log", env)) {
    std::cerr << "server did not start\n";
    return 2;
  }
  WhatsAppTraffic traffic("bench-secret", senders, "e");
  const E2eResult real =
      measure(server.port(), graph, traffic, rate, seconds, o.smoke ? 8 : 64, o.smoke ? 10 : 30);
  if (real.replied == 0) { std::cerr << "no replies; server log:\n" << server.logTail(); }
  server.stop();
  const Stages stages = serverStages(dir.path() + "/db.sqlite");
  std::cout << fmt::format(
      "  stages of {} messages (server timestamps, ms resolution):\n"
      "    stored -> processed (flow queue + step + commit): p50={:.1f} p99={:.1f} ms\n"
      "    processed -> sent (outbox wait + send):          p50={:.1f} p99={:.1f} ms\n",
      stages.messages, stages.processing.p50_ms, stages.processing.p99_ms, stages.delivery.p50_ms,
      stages.delivery.p99_ms);

  const auto p = percentiles(real.latency_us);
  const auto pf = percentiles(floor.latency_us);
  std::cout << fmt::format("  floor: {} acked, {} replied, p50={:.2f} p99={:.2f} ms\n", floor.acked,
                           floor.replied, pf.p50_ms, pf.p99_ms);
  std::cout << fmt::format("  buergerbox: {} acked, {} replied, p50={:.2f} p99={:.2f} ms\n",
                           real.acked, real.replied, p.p50_ms, p.p99_ms);
  std::vector<Row> rows = {
      {fmt::format("disk sync p50 (fdatasync{})",
                   o.sync_delay_us > 0 ? fmt::format(" + {} us delay", o.sync_delay_us) : ""),
       sync_floor.p50_us / 1000.0, "ms", "", 0, "-", true},
      {fmt::format("webhook → reply p99 at offered {:.0f}/s", rate), p.p99_ms, "ms",
       "httplib forwarding handler", pf.p99_ms, "< 50 ms", p.p99_ms < 50},
      {"webhook → reply p50", p.p50_ms, "ms", "httplib forwarding handler", pf.p50_ms, "-", true},
      {"  stage stored → processed p99", stages.processing.p99_ms, "ms", "", 0, "-", true},
      {"  stage processed → sent p99", stages.delivery.p99_ms, "ms", "", 0, "-", true},
      {"replies delivered/s (throughput reached)", real.replies_per_second, "/s",
       "httplib forwarding handler", floor.replies_per_second, "-", true},
      {"messages acknowledged but never answered", static_cast<double>(real.acked - real.replied),
       "", "", 0, "0", real.acked == real.replied},
  };
  const bool met = printTable("e2e", rows);
  if (real.acked == 0 || real.replied == 0) { return 1; }
  return o.smoke || met ? 0 : 3;
}

}  // namespace bb::bench
