#include "bot/cases/forwarder.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "bot/cases/case_payload.hpp"
#include "bot/security/crypto.hpp"
#include "bot/log.hpp"
#include "bot/runtime/threads.hpp"

namespace bb {

std::string pushSignature(const std::string& secret, const std::string& body) {
  return "sha256=" + crypto::toHex(crypto::hmacSha256(secret, body));
}

std::string pushBody(const CaseEntry& entry, SysTime sent_at) {
  return pushBody(entry, sent_at, nullptr, nullptr);
}

std::string pushBody(const CaseEntry& entry, SysTime sent_at, const CaseReport* report,
                     const PhotoUrlSigner* photos, const CitizenThreadMessage* message) {
  nlohmann::json body = nlohmann::json::parse(entry.payload, nullptr, false);
  if (body.is_discarded() || !body.is_object()) { body = nlohmann::json::object(); }
  body["payload_version"] = kCasePayloadVersion;
  body["delivery_id"] = entry.id;
  body["sent_at"] = w3cTime(sent_at);
  // Entries queued before version 2 lack these; a receiver can rely on every key.
  for (const char* key : {"change", "merge", "message"}) {
    if (!body.contains(key)) { body[key] = nullptr; }
  }
  body["report"] = report != nullptr
                       ? caseReportJson(*report, entry.ticket_number, photos, sent_at)
                       : nlohmann::json(nullptr);
  if (entry.event_type == "citizen_message") {
    body["message"] = citizenMessageJson(message, entry.ticket_number, photos, sent_at);
  }
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
  std::lock_guard lock(rng_mutex_);
  return std::chrono::milliseconds(half + jitter(rng_));
}

bool CaseForwarder::deliver(const CaseEntry& entry, const std::string& url, ForwardPass& pass) {
  const SysTime sent_at = clock_.now();
  HttpCall call;
  call.method = "POST";
  call.url = url;
  // The report is read now, not when the entry was queued: an erased ticket sends none of it.
  auto report = cases_.caseReport(entry.ticket_number);
  if (!report) {
    log::warn("forwarder_report_unreadable", {{"delivery", std::to_string(entry.id)}});
    return false;  // the entry stays due; the next pass tries again
  }
  const CaseReport* found = *report ? &**report : nullptr;
  // A citizen's message is read now too: erased meanwhile, its text is not sent.
  std::optional<CitizenThreadMessage> message;
  if (entry.event_type == "citizen_message") {
    auto read = cases_.citizenMessage(entry.ticket_number, entry.thread_first, entry.thread_last);
    if (!read) {
      log::warn("forwarder_message_unreadable", {{"delivery", std::to_string(entry.id)}});
      return false;
    }
    message = std::move(*read);
  }
  call.body = pushBody(entry, sent_at, found, options_.photo_links.get(),
                       message ? &*message : nullptr);
  ++pass.attempted;
  call.timeout = options_.timeout;
  call.max_response_bytes = 64 * 1024;
  call.headers = {
      {"Content-Type", "application/json"},
      {kDeliveryHeader, std::to_string(entry.id)},
      {kTimestampHeader, std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                            sent_at.time_since_epoch()).count())},
      {kEventHeader, entry.event_type},
      {kSignatureHeader, pushSignature(options_.secret, call.body)},
  };
  const auto started = clock_.monotonic();
  const HttpReply reply = http_.send(call);
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.monotonic() - started);
  const int tries = entry.tries + 1;
  const SysTime now = clock_.now();
  if (reply.status >= 200 && reply.status < 300) {
    if (!cases_.markCaseEntry(entry.id, "delivered", tries, now, reply.status, "", now)) {
      log::error("forwarder_mark_failed", {{"delivery", std::to_string(entry.id)}});
      return false;  // the entry stays pending; stop this department rather than race ahead
    }
    ++pass.delivered;
    if (metrics_ != nullptr) {
      metrics_->increment("buergerbox_backoffice_deliveries_total", "result=\"delivered\"");
    }
    log::info("backoffice_delivered", {{"delivery", std::to_string(entry.id)},
                                       {"ticket", std::to_string(entry.ticket_number)},
                                       {"status", std::to_string(reply.status)},
                                       {"latency_ms", std::to_string(took.count())}});
    return true;
  }
  const std::string error = reply.status == 0 ? "transport: " + reply.transport_error
                                              : "http " + std::to_string(reply.status);
  const bool too_old = now - entry.created_at >= options_.give_up_after;
  const bool too_many = options_.max_tries > 0 && tries >= options_.max_tries;
  const bool dead = too_old || too_many;
  const SysTime next = now + backoff(tries);
  (void)cases_.markCaseEntry(entry.id, dead ? "dead" : "pending", tries, next, reply.status,
                             error.substr(0, 200), now);
  const char* result = dead ? "dead" : "retry";
  if (dead) {
    ++pass.dead;
  } else {
    ++pass.retried;
  }
  if (metrics_ != nullptr) {
    metrics_->increment("buergerbox_backoffice_deliveries_total",
                        std::string("result=\"") + result + "\"");
  }
  if (dead) {
    log::error("backoffice_dead_letter", {{"delivery", std::to_string(entry.id)},
                                          {"ticket", std::to_string(entry.ticket_number)},
                                          {"status", std::to_string(reply.status)},
                                          {"tries", std::to_string(tries)}});
  } else {
    log::warn("backoffice_retry", {{"delivery", std::to_string(entry.id)},
                                   {"status", std::to_string(reply.status)},
                                   {"tries", std::to_string(tries)}});
  }
  return false;
}

ForwardPass CaseForwarder::drainDepartment(const std::string& department) {
  ForwardPass pass;
  const std::string url = urlFor(department);
  if (url.empty()) {
    ++pass.unrouted;
    return pass;
  }
  auto due = cases_.dueCaseEntries(department, clock_.now(), options_.batch);
  if (!due) {
    log::warn("forwarder_read_failed", {{"code", toString(due.error().code)}});
    return pass;
  }
  for (const auto& entry : *due) {
    // After a failure the department's target is likely down (or hanging): its other entries
    // wait for their own backoff instead of meeting the same timeout one after the other.
    if (!deliver(entry, url, pass)) { break; }
  }
  return pass;
}

std::vector<std::string> CaseForwarder::routedDueDepartments(ForwardPass& pass) {
  std::vector<std::string> out;
  auto departments = cases_.dueCaseDepartments(clock_.now());
  if (!departments) {
    log::warn("forwarder_read_failed", {{"code", toString(departments.error().code)}});
    return out;
  }
  for (const auto& d : *departments) {
    if (urlFor(d).empty()) {
      ++pass.unrouted;
    } else {
      out.push_back(d);
    }
  }
  return out;
}

ForwardPass CaseForwarder::runOnce() {
  ForwardPass pass;
  for (const auto& department : routedDueDepartments(pass)) {
    // As a lane does: while the department makes progress, the next entry of each ticket is due.
    ForwardPass one;
    do {
      one = drainDepartment(department);
      pass.attempted += one.attempted;
      pass.delivered += one.delivered;
      pass.retried += one.retried;
      pass.dead += one.dead;
    } while (one.delivered > 0 && one.attempted == one.delivered);
  }
  return pass;
}

void CaseForwarder::dispatchLoop() {
  setThreadName("bb-bo-dispatch");
  for (;;) {
    ForwardPass ignored;
    const bool leads = leadership_ == nullptr || leadership_->leads();
    const auto departments = leads ? routedDueDepartments(ignored) : std::vector<std::string>{};
    std::unique_lock lock(mutex_);
    if (stopping_) { return; }
    bool queued = false;
    for (const auto& d : departments) {
      if (busy_.insert(d).second) {
        ready_.push_back(d);
        queued = true;
      }
    }
    if (queued) { lane_cv_.notify_all(); }
    cv_.wait_for(lock, options_.idle_poll, [this] { return stopping_ || woken_; });
    woken_ = false;
    if (stopping_) { return; }
  }
}

void CaseForwarder::laneLoop() {
  setThreadName("bb-bo-lane");
  for (;;) {
    std::string department;
    {
      std::unique_lock lock(mutex_);
      lane_cv_.wait(lock, [this] { return stopping_ || !ready_.empty(); });
      if (stopping_) { return; }
      department = ready_.front();
      ready_.pop_front();
    }
    // A delivered batch may leave more due entries (the next of each ticket): keep going while
    // the department makes progress, then give the lane back.
    ForwardPass pass;
    do {
      pass = drainDepartment(department);
    } while (pass.delivered > 0 && pass.attempted == pass.delivered && !stopping());
    {
      std::lock_guard lock(mutex_);
      busy_.erase(department);
      if (pass.delivered > 0) { woken_ = true; }
    }
    cv_.notify_all();
  }
}

bool CaseForwarder::stopping() {
  std::lock_guard lock(mutex_);
  return stopping_;
}

void CaseForwarder::start() {
  std::lock_guard lock(mutex_);
  if (dispatcher_.joinable()) { return; }
  stopping_ = false;
  for (int i = 0; i < std::max(1, options_.parallel); ++i) {
    lanes_.emplace_back([this] { laneLoop(); });
  }
  dispatcher_ = std::thread([this] { dispatchLoop(); });
}

void CaseForwarder::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  lane_cv_.notify_all();
  if (dispatcher_.joinable()) { dispatcher_.join(); }
  for (auto& lane : lanes_) {
    if (lane.joinable()) { lane.join(); }
  }
  lanes_.clear();
  std::lock_guard lock(mutex_);
  ready_.clear();
  busy_.clear();
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

void registerUnroutedMetric(Metrics& metrics, CaseStore& cases, const ForwarderOptions& options) {
  const auto urls = options.department_urls;
  const bool default_url = !options.url.empty();
  metrics.gauge("buergerbox_backoffice_unrouted",
                "Pending case queue entries of departments without a push URL (they wait).",
                [&cases, urls, default_url] {
                  if (default_url) { return 0.0; }
                  auto by = cases.pendingByDepartment();
                  if (!by) { return -1.0; }
                  double n = 0;
                  for (const auto& [department, count] : *by) {
                    if (urls.count(department) == 0) { n += static_cast<double>(count); }
                  }
                  return n;
                });
}

}  // namespace bb
