#pragma once
// The back-office push forwarder: drains the case queue and POSTs each entry as JSON to
// the back office, signed with HMAC-SHA256 over the exact body. See docs/api/backoffice-push.md.
//   2xx → 'delivered' (never sent again) · anything else (status 0 = transport error, 4xx, 5xx)
//   → retried with exponential backoff and jitter · after max_tries → 'dead' (metrics, staff).
// Order per ticket: the store offers only the oldest undelivered entry of each ticket, so entry
// n+1 of a ticket never leaves before entry n was acknowledged; a dead entry holds the later ones
// back until staff requeue it.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "bot/cases/case_store.hpp"
#include "bot/runtime/metrics.hpp"
#include "bot/ports.hpp"

namespace bb {

struct ForwarderOptions {
  std::string url;                                   //!< backoffice.url (default target)
  std::map<std::string, std::string> department_urls;  //!< backoffice.department_urls
  std::string secret;                                //!< backoffice.secret (HMAC key)
  int max_tries = 10;
  std::chrono::milliseconds retry_base{2000};  //!< first backoff; doubles per try
  std::chrono::milliseconds retry_max{15 * 60 * 1000};
  std::chrono::milliseconds timeout{10000};  //!< per request
  int batch = 50;
  std::chrono::milliseconds idle_poll{1000};
  std::uint32_t jitter_seed = 0;  //!< 0: seeded from the random device
};

struct ForwardPass {
  int attempted = 0;
  int delivered = 0;
  int retried = 0;
  int dead = 0;
  int unrouted = 0;  //!< entries whose department has no URL (they wait)
};

inline constexpr const char* kSignatureHeader = "X-Buergerbox-Signature";
inline constexpr const char* kDeliveryHeader = "X-Buergerbox-Delivery";
inline constexpr const char* kTimestampHeader = "X-Buergerbox-Timestamp";
inline constexpr const char* kEventHeader = "X-Buergerbox-Event";

//! "sha256=" + hex HMAC-SHA256(secret, body).
std::string pushSignature(const std::string& secret, const std::string& body);
//! The exact body of one delivery: the entry's payload plus delivery_id and sent_at.
std::string pushBody(const CaseEntry& entry, SysTime sent_at);

class CaseForwarder {
public:
  CaseForwarder(CaseStore& cases, HttpClient& http, const Clock& clock, ForwarderOptions options,
                Metrics* metrics = nullptr);
  ~CaseForwarder();
  CaseForwarder(const CaseForwarder&) = delete;
  CaseForwarder& operator=(const CaseForwarder&) = delete;

  //! One pass over the due entries at clock.now(); call from one thread only.
  ForwardPass runOnce();
  //! The URL entries of `department` go to ("" when none is configured).
  std::string urlFor(const std::string& department) const;

  void start();
  void stop();
  void wake();

private:
  std::chrono::milliseconds backoff(int tries);

  CaseStore& cases_;
  HttpClient& http_;
  const Clock& clock_;
  ForwarderOptions options_;
  Metrics* metrics_;
  std::mt19937 rng_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
};

//! Gauges for /metrics: pending and dead case queue entries (read at scrape time).
void registerCaseQueueMetrics(Metrics& metrics, CaseStore& cases);

}  // namespace bb
