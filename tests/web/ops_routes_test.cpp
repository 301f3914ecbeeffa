#include <doctest/doctest.h>

#include "bot/runtime/metrics.hpp"
#include "storage/database.hpp"
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
  bb::storage::DatabaseOptions o;
  o.path = dir.path() + "/db.sqlite";
  auto db = bb::storage::Database::open(o);
  REQUIRE(db.has_value());
  bb::Metrics metrics;
  auto* raw = db->get();
  auto routes = bb::web::opsRoutes([raw] { return raw->healthy(); }, metrics);
  const auto& healthz = find(routes, "healthz");
  CHECK(healthz.handler(bb::HttpRequest{}).status == 200);
  (*db)->close();
  auto after = healthz.handler(bb::HttpRequest{});
  CHECK(after.status == 503);
}

TEST_CASE("ops: metrics render request counters, the latency histogram and gauges") {
  bb::Metrics metrics;
  metrics.observeRequest("whatsapp_post", 200, 0.003);
  metrics.observeRequest("whatsapp_post", 401, 0.0001);
  metrics.gauge("buergerbox_outbox_queued", "queued", [] { return 7.0; });
  auto routes = bb::web::opsRoutes([] { return true; }, metrics);
  auto text = find(routes, "metrics").handler(bb::HttpRequest{}).body;
  CHECK(text.find("buergerbox_http_requests_total{route=\"whatsapp_post\",status=\"200\"} 1") !=
        std::string::npos);
  CHECK(text.find("buergerbox_http_requests_total{route=\"whatsapp_post\",status=\"401\"} 1") !=
        std::string::npos);
  CHECK(text.find("buergerbox_http_request_duration_seconds_bucket{route=\"whatsapp_post\",le=\"0.005\"} 2") !=
        std::string::npos);
  CHECK(text.find("buergerbox_outbox_queued 7") != std::string::npos);
}
