#include "web/ops_routes.hpp"

namespace bb::web {

std::vector<Route> opsRoutes(std::function<Result<void>()> writable, const Metrics& metrics) {
  std::vector<Route> routes;
  routes.push_back(Route{"GET", "/livez", "livez", [](const HttpRequest&) {
                           return HttpResponse::json(200, R"({"status":"alive"})");
                         }});
  auto ready = [writable](const HttpRequest&) {
    if (writable()) { return HttpResponse::json(200, R"({"status":"ok"})"); }
    return HttpResponse::json(503, R"({"status":"database not writable"})");
  };
  routes.push_back(Route{"GET", "/readyz", "readyz", ready});
  routes.push_back(Route{"GET", "/healthz", "healthz", ready});
  routes.push_back(Route{"GET", "/metrics", "metrics", [&metrics](const HttpRequest&) {
                           HttpResponse r = HttpResponse::text(200, metrics.render());
                           r.content_type = "text/plain; version=0.0.4; charset=utf-8";
                           return r;
                         }});
  return routes;
}

}  // namespace bb::web
