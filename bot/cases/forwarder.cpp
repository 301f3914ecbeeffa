#include "bot/cases/forwarder.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "bot/cases/case_payload.hpp"
#include "bot/security/crypto.hpp"
#include "bot/log.hpp"

namespace bb {

std::string pushSignature(const std::string& secret, const std::string& body) {
  return "sha256=" + crypto::toHex(crypto::hmacSha256(secret, body));
}

std::string pushBody(const CaseEntry& entry, SysTime sent_at) {
  nlohmann::json body = nlohmann::json::parse(entry.payload, nullptr, false);
  if (body.is_discarded() || !body.is_object()) { body = nlohmann::json::object(); }
  body["delivery_id"] = entry.id;
  body["sent_at"] = w3cTime(sent_at);
  return body.dump();
}

CaseForwarder::CaseForwarder(CaseStore& cases, HttpClient& http, const Clock& clock,
                             ForwarderOptions options, Metrics* metrics)
    : cases_(cases),
      http_(http),
      clock_(clock),
      options_(std::move(options)),
      metrics_(metrics),
      rng_(options_.jitter_seed != 0 ? options_.jitter_seed : std::random_device{}()) {}

CaseForwarder::~CaseForwarder() { stop(); }

std::string CaseForwarder::urlFor(const std::string& department) const {
  auto it = options_.department_urls.find(department);
  return it != options_.department_urls.end() ? it->second : options_.url;
}

std::chrono::milliseconds CaseForwarder::backoff(int tries) {
  // Exponential with "equal jitter": half fixed, half random.
  const int shift = std::clamp(tries - 1, 0, 20);
  const auto full = std::min(options_.retry_max, options_.retry_base * (std::int64_t{1} << shift));
  const std::int64_t half = std::max<std::int64_t>(full.count() / 2, 0);
  std::uniform_int_distribution<std::int64_t> jitter(0, half);
  return std::chrono::milliseconds(half + jitter(rng_));
}

ForwardPass CaseForwarder::runOnce() {
  ForwardPass pass;
  const SysTime now = clock_.now();
  auto due = cases_.dueCaseEntries(now, options_.batch);
  if (!due) {
    log::warn("forwarder_read_failed", {{"code", toString(due.error().code)}});
    return pass;
  }
  for (const auto& entry : *due) {
    const std::string url = urlFor(entry.department);
    if (url.empty()) {
      ++pass.unrouted;
      continue;
    }
    ++pass.attempted;
    const SysTime sent_at = clock_.now();
    HttpCall call;
    call.method = "POST";
    call.url = url;
    call.body = pushBody(entry, sent_at);
    call.timeout = options_.timeout;
    call.max_response_bytes = 64 * 1024;
    call.headers = {
        {"Content-Type", "application/json"},
        {kDeliveryHeader, std::to_string(entry.id)},
        {kTimestampHeader,
         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                            sent_at.time_since_epoch()).count())},
        {kEventHeader, entry.event_type},
        {kSignatureHeader, pushSignature(options_.secret, call.body)},
    };
    const auto started = clock_.monotonic();
    const HttpReply reply = http_.send(call);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        clock_.monotonic() - started);
    const int tries = entry.tries + 1;
    if (reply.status >= 200 && reply.status < 300) {
      auto marked = cases_.markCaseEntry(entry.id, "delivered", tries, now, reply.status, "",
                                         clock_.now());
      if (!marked) {
        log::error("forwarder_mark_failed", {{"delivery", std::to_string(entry.id)}});
        break;  // the entry stays pending; stop this pass rather than race ahead
      }
      ++pass.delivered;
      if (metrics_ != nullptr) {
        metrics_->increment("buergerbox_backoffice_deliveries_total", "result=\"delivered\"");
      }
      log::info("backoffice_delivered", {{"delivery", std::to_string(entry.id)},
                                         {"ticket", std::to_string(entry.ticket_number)},
                                         {"status", std::to_string(reply.status)},
                                         {"latency_ms", std::to_string(took.count())}});
      continue;
    }
    const std::string error = reply.status == 0 ? "transport: " + reply.transport_error
                                                : "http " + std::to_string(reply.status);
    const bool dead = tries >= options_.max_tries;
    const SysTime next = clock_.now() + backoff(tries);
    (void)cases_.markCaseEntry(entry.id, dead ? "dead" : "pending", tries, next, reply.status,
                               error.substr(0, 200), clock_.now());
    if (dead) {
      ++pass.dead;
      if (metrics_ != nullptr) {
        metrics_->increment("buergerbox_backoffice_deliveries_total", "result=\"dead\"");
      }
      log::error("backoffice_dead_letter", {{"delivery", std::to_string(entry.id)},
                                            {"ticket", std::to_string(entry.ticket_number)},
                                            {"status", std::to_string(reply.status)},
                                            {"tries", std::to_string(tries)}});
    } else {
      ++pass.retried;
      if (metrics_ != nullptr) {
        metrics_->increment("buergerbox_backoffice_deliveries_total", "result=\"retry\"");
      }
      log::warn("backoffice_retry", {{"delivery", std::to_string(entry.id)},
                                     {"status", std::to_string(reply.status)},
                                     {"tries", std::to_string(tries)}});
    }
  }
  return pass;
}

void CaseForwarder::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) { return; }
  stopping_ = false;
  thread_ = std::thread([this] {
    for (;;) {
      const ForwardPass pass = runOnce();
      std::unique_lock lock2(mutex_);
      if (stopping_) { return; }
      // A pass that delivered something may have unblocked the next entry of a ticket.
      if (pass.delivered > 0 && !woken_) { continue; }
      cv_.wait_for(lock2, options_.idle_poll, [this] { return stopping_ || woken_; });
      woken_ = false;
      if (stopping_) { return; }
    }
  });
}

void CaseForwarder::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) { thread_.join(); }
}

void CaseForwarder::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_all();
}

void registerCaseQueueMetrics(Metrics& metrics, CaseStore& cases) {
  metrics.gauge("buergerbox_backoffice_queue_pending", "Case queue entries not yet delivered.",
                [&cases] {
                  auto c = cases.caseQueueCounts();
                  return c ? static_cast<double>(c->pending) : -1.0;
                });
  metrics.gauge("buergerbox_backoffice_dead_letters",
                "Case queue entries given up after the maximum tries (see docs/open311.md).",
                [&cases] {
                  auto c = cases.caseQueueCounts();
                  return c ? static_cast<double>(c->dead) : -1.0;
                });
}

}  // namespace bb
