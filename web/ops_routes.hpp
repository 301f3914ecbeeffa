#pragma once
// Operational routes: /livez, /readyz (and /healthz, its alias) and /metrics.

#include <functional>
#include <vector>

#include "bot/http/http.hpp"
#include "bot/result.hpp"
#include "bot/runtime/metrics.hpp"

namespace bb::web {

//! `/livez` answers 200 while the process serves HTTP (a restart is the remedy when it does
//! not). `/readyz` and its alias `/healthz` answer 200 only while `writable()` succeeds: this
//! instance can store a webhook. Backlogs (outbox, back office) are alert metrics, never
//! readiness: an outage at a messenger or a back office must not take every instance out of
//! traffic and stop intake. `/metrics` renders Prometheus text.
std::vector<Route> opsRoutes(std::function<Result<void>()> writable, const Metrics& metrics);

}  // namespace bb::web
