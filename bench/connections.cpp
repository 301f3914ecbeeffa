// bench connections: N (default 1,000) concurrent keep-alive connections to the real server,
// every one of them sending requests (round robin, open loop): the longest wait must stay under
// 1 s. Floor in the same run: a bare cpp-httplib server with one thread per connection.
#include <iostream>

#include <fmt/format.h>
#include <httplib.h>

#include "bench/bench.hpp"
#include "bench/bench_util.hpp"
#include "bench/load_client.hpp"
#include "webhooks/listen_backlog.hpp"

namespace bb::bench {

int benchConnections(const Options& o) {
  const int n = o.smoke ? 20 : 1000;
  const double seconds = o.smoke ? 1 : 10;
  // Each connection sends about once a second (well inside the 5 s keep-alive timeout).
  LoadOptions lo;
  lo.connections = n;
  lo.seconds = seconds;
  lo.rate = n;
  const auto request = [](std::uint64_t) {
    return std::string("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  };
  const auto ignore = [](std::uint64_t, int, std::uint32_t) {};
  std::cout << fmt::format("bench connections: {} keep-alive connections, {} req/s for {} s\n", n,
                           lo.rate, seconds)
            << std::flush;

  LoadResult floor;
  {
    httplib::Server s;
    s.new_task_queue = [n] { return new httplib::ThreadPool(static_cast<std::size_t>(n + 8)); };
    s.set_tcp_nodelay(true);
    s.set_keep_alive_max_count(100000);
    s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok", "text/plain");
    });
    const int port = s.bind_to_any_port("127.0.0.1");
    webhooks::widenListenBacklog(port, webhooks::kListenBacklog);  // as the real server does
    std::thread t([&s] { s.listen_after_bind(); });
    lo.port = port;
    floor = runLoad(lo, request, ignore);
    s.stop();
    t.join();
  }
  const auto pf = percentiles(floor.latency_us);
  std::cout << fmt::format("  floor: ok={} errors={} p99={:.2f} ms max={:.1f} ms connect max={:.1f} ms\n",
                           floor.ok, floor.errors, pf.p99_ms, pf.max_ms, floor.connect_max_ms);

  TempDir dir;
  FakeGraph graph;
  ServerChild server;
  if (!server.start(binaryPath(), sourceDir(), dir.path() + "/server.log",
                    serverEnv(dir.path(), graph.port(), "bench-secret"))) {
    std::cerr << "server did not start\n";
    return 2;
  }
  lo.port = server.port();
  const LoadResult real = runLoad(lo, request, ignore);
  const Memory mem = memoryOf(server.pid());
  server.stop();
  const auto p = percentiles(real.latency_us);
  std::cout << fmt::format("  buergerbox: ok={} errors={} p99={:.2f} ms max={:.1f} ms connect max={:.1f} ms RSS {:.1f} MiB\n",
                           real.ok, real.errors, p.p99_ms, p.max_ms, real.connect_max_ms,
                           mem.rss_mib);
  const double worst = std::max(p.max_ms, real.connect_max_ms);
  std::vector<Row> rows = {
      {fmt::format("longest wait, {} connections (request or connect)", n), worst, "ms",
       "bare httplib, thread per connection", std::max(pf.max_ms, floor.connect_max_ms),
       "< 1000 ms", worst < 1000 && real.errors == 0},
      {"latency p99", p.p99_ms, "ms", "bare httplib", pf.p99_ms, "-", true},
      {"answered requests/s", real.perSecond(), "/s", "bare httplib", floor.perSecond(), "-", true},
      {"RSS with the connections open", mem.rss_mib, "MiB", "", 0, "-", true},
  };
  const bool met = printTable(fmt::format("connections ({})", n), rows);
  if (real.ok == 0) { return 1; }
  return o.smoke || met ? 0 : 3;
}

}  // namespace bb::bench
