#include "bench/ingest_common.hpp"

#include <iostream>

#include <fmt/format.h>

#include "bot/security/crypto.hpp"
#include "bot/security/provider_id.hpp"
#include "webhooks/listen_backlog.hpp"

namespace bb::bench {

FloorServer::FloorServer(int threads) {
  server.new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<std::size_t>(threads));
  };
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(100000);
}

void FloorServer::start() {
  port = server.bind_to_any_port("127.0.0.1");
  webhooks::widenListenBacklog(port, webhooks::kListenBacklog);  // as the real server does
  thread = std::thread([this] { server.listen_after_bind(); });
}

FloorServer::~FloorServer() {
  server.stop();
  if (thread.joinable()) { thread.join(); }
}

LoadResult closedLoop(int port, const Options& o, const WhatsAppTraffic& traffic,
                      const ResponseFn& on_answer) {
  LoadOptions lo;
  lo.port = port;
  lo.connections = o.connections;
  lo.seconds = o.seconds;
  return runLoad(lo, [&traffic](std::uint64_t seq) { return traffic.request(seq); }, on_answer);
}

void describe(const std::string& name, const LoadResult& r) {
  const auto p = percentiles(r.latency_us);
  std::cout << fmt::format("  {:<34} {:>9.0f}/s  ok={} errors={}  p50={:.2f} ms p99={:.2f} ms "
                           "p99.9={:.2f} ms max={:.1f} ms\n",
                           name, r.perSecond(), r.ok, r.errors, p.p50_ms, p.p99_ms, p.p999_ms,
                           p.max_ms)
            << std::flush;
}

LoadResult measureBareFloor(const Options& o) {
  WhatsAppTraffic traffic(kIngestAppSecret, o.senders, "fa");
  FloorServer fs(o.connections + 8);
  fs.server.Post("/webhooks/whatsapp", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"ok":true})", "application/json");
  });
  fs.start();
  LoadResult floor_a = closedLoop(fs.port, o, traffic);
  describe("floor (a) bare cpp-httplib", floor_a);
  return floor_a;
}

ResponseFn AckLog::recorder(const WhatsAppTraffic& traffic) {
  return [this, &traffic](std::uint64_t seq, int status, std::uint32_t) {
    if (status == 200) {
      std::lock_guard lock(mutex_);
      wamids_.push_back(traffic.wamid(seq));
    }
  };
}

std::vector<std::string> AckLog::wamids() const {
  std::lock_guard lock(mutex_);
  return wamids_;
}

std::size_t countMissing(const std::vector<std::string>& acked,
                         const std::unordered_set<std::string>& stored_external_ids) {
  const std::string key =
      *crypto::fromHex(serverEnv("", 0, "").at("BUERGERBOX_PRIVACY_PSEUDONYM_KEY"));
  std::size_t missing = 0;
  for (const auto& w : acked) {
    missing += stored_external_ids.count(crypto::providerIdHash(key, "whatsapp", w)) == 0 ? 1 : 0;
  }
  return missing;
}

}  // namespace bb::bench
