#pragma once
// Operational routes: /healthz and /metrics.

#include <functional>
#include <vector>

#include "bot/http/http.hpp"
#include "bot/runtime/metrics.hpp"

namespace bb::web {

//! `/healthz` answers 200 only while `database_ok()` is true; `/metrics` renders Prometheus text.
std::vector<Route> opsRoutes(std::function<bool()> database_ok, const Metrics& metrics);

}  // namespace bb::web
