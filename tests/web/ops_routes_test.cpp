#include <doctest/doctest.h>

#include <cstdio>

#include "bot/runtime/metrics.hpp"
#include "storage/database.hpp"
#include "storage/open.hpp"
#include "storage/readiness.hpp"
#include "support/server_process.hpp"
#include "web/ops_routes.hpp"

namespace {

const bb::Route& find(const std::vector<bb::Route>& routes, const std::string& name) {
  for (const auto& r : routes) {
    if (r.name == name) { return r; }
  }
  FAIL("route missing: " << name);
  return routes.front();
}

}  // namespace

TEST_CASE("ops: healthz answers 200 while the database answers and 503 once it is closed") {
  bb::test::TempDir dir;
  bb::config::StorageConfig storage;
  storage.path = dir.path() + "/db.sqlite";
  auto db = bb::storage::openDatabase(storage);
  REQUIRE(db.has_value());
  bb::Metrics metrics;
  auto* raw = db->get();
  auto routes = bb::web::opsRoutes([raw] { return bb::storage::probeWrite(*raw); }, metrics);
  const auto& healthz = find(routes, "healthz");
  CHECK(healthz.handler(bb::HttpRequest{}).status == 200);
  (*db)->close();
  auto after = healthz.handler(bb::HttpRequest{});
  CHECK(after.status == 503);
}

TEST_CASE("ops: readyz turns 503 while the database is read-only and 200 again after, livez stays 200") {
  bb::test::TempDir dir;
  bb::config::StorageConfig storage;
  storage.path = dir.path() + "/db.sqlite";
  storage.fault_file = dir.path() + "/fault";
  auto db = bb::storage::openDatabase(storage);
  REQUIRE(db.has_value());
  bb::Metrics metrics;
  auto* raw = db->get();
  auto routes = bb::web::opsRoutes([raw] { return bb::storage::probeWrite(*raw); }, metrics);
  const auto& readyz = find(routes, "readyz");
  const auto& livez = find(routes, "livez");
  CHECK(readyz.handler(bb::HttpRequest{}).status == 200);

  bb::test::writeFile(storage.fault_file, "readonly\n");
  // A reader still answers SELECT 1: the old health check said ok here.
  CHECK(raw->healthy());
  const auto down = readyz.handler(bb::HttpRequest{});
  CHECK(down.status == 503);
  CHECK(down.body.find("not writable") != std::string::npos);
  CHECK(find(routes, "healthz").handler(bb::HttpRequest{}).status == 503);
  CHECK(livez.handler(bb::HttpRequest{}).status == 200);

  std::remove(storage.fault_file.c_str());
  CHECK(readyz.handler(bb::HttpRequest{}).status == 200);
  CHECK(find(routes, "healthz").handler(bb::HttpRequest{}).status == 200);
}

TEST_CASE("ops: metrics render request counters, the latency histogram and gauges") {
  bb::Metrics metrics;
  metrics.observeRequest("whatsapp_post", 200, 0.003);
  metrics.observeRequest("whatsapp_post", 401, 0.0001);
  metrics.gauge("buergerbox_outbox_queued", "queued", [] { return 7.0; });
  auto routes = bb::web::opsRoutes([] { return bb::Result<void>(); }, metrics);
  auto text = find(routes, "metrics").handler(bb::HttpRequest{}).body;
  CHECK(text.find("buergerbox_http_requests_total{route=\"whatsapp_post\",status=\"200\"} 1") !=
        std::string::npos);
  CHECK(text.find("buergerbox_http_requests_total{route=\"whatsapp_post\",status=\"401\"} 1") !=
        std::string::npos);
  CHECK(text.find("buergerbox_http_request_duration_seconds_bucket{route=\"whatsapp_post\",le=\"0.005\"} 2") !=
        std::string::npos);
  CHECK(text.find("buergerbox_outbox_queued 7") != std::string::npos);
}
