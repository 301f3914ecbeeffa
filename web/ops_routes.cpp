#include "web/ops_routes.hpp"

namespace bb::web {

std::vector<Route> opsRoutes(std::function<bool()> database_ok, const Metrics& metrics) {
  std::vector<Route> routes;
  routes.push_back(Route{"GET", "/healthz", "healthz", [database_ok](const HttpRequest&) {
                           if (database_ok()) {
                             return HttpResponse::json(200, R"({"status":"ok"})");
                           }
                           return HttpResponse::json(503, R"({"status":"database unavailable"})");
                         }});
  routes.push_back(Route{"GET", "/metrics", "metrics", [&metrics](const HttpRequest&) {
                           HttpResponse r = HttpResponse::text(200, metrics.render());
                           r.content_type = "text/plain; version=0.0.4; charset=utf-8";
                           return r;
                         }});
  return routes;
}

}  // namespace bb::web
