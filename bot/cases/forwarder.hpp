#pragma once
// The back-office push forwarder: drains the case queue and POSTs each entry as JSON to
// the back office, signed with HMAC-SHA256 over the exact body. See docs/api/backoffice-push.md.
//   2xx → 'delivered' (never sent again) · anything else (status 0 = transport error, 4xx, 5xx)
//   → retried with exponential backoff and jitter, capped at retry_max, until the entry is
//   give_up_after old (default 24 hours; max_tries > 0 caps the count too) → 'dead' (metrics,
//   the delivery page, `buergerbox deliveries`).
// One queue per department: each department is drained by its own lane, in parallel with the
// others, so a slow, hanging or failing department URL delays only its own department. Entries of
// a department without a URL are never picked (they wait, counted in
// buergerbox_backoffice_unrouted) and cannot crowd out the others.
// Order per ticket: the store offers only the oldest undelivered entry of each ticket, so entry
// n+1 of a ticket never leaves before entry n was acknowledged; a dead entry holds the later ones
// back until staff retry or discard it.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bot/cases/case_store.hpp"
#include "bot/cases/photo_urls.hpp"
#include "bot/runtime/metrics.hpp"
#include "bot/ports.hpp"
#include "bot/runtime/leadership.hpp"

namespace bb {

struct ForwarderOptions {
  std::string url;                                   //!< backoffice.url (default target)
  std::map<std::string, std::string> department_urls;  //!< backoffice.department_urls
  std::string secret;                                //!< backoffice.secret (HMAC key)
  int max_tries = 0;  //!< 0: no count limit, only give_up_after
  std::chrono::milliseconds give_up_after{24 * 60 * 60 * 1000};  //!< age of an entry → dead
  std::chrono::milliseconds retry_base{2000};  //!< first backoff; doubles per try
  std::chrono::milliseconds retry_max{15 * 60 * 1000};
  std::chrono::milliseconds timeout{10000};  //!< per request
  int batch = 50;     //!< entries one lane sends before it looks at the queue again
  int parallel = 4;   //!< departments delivered at the same time
  std::chrono::milliseconds idle_poll{1000};
  std::uint32_t jitter_seed = 0;  //!< 0: seeded from the random device
  //! Signs the photo links of the `report`; null: the report lists no photos.
  std::shared_ptr<const PhotoUrlSigner> photo_links;
};

struct ForwardPass {
  int attempted = 0;
  int delivered = 0;
  int retried = 0;
  int dead = 0;
  int unrouted = 0;  //!< departments with due entries but no URL (their entries wait)
};

inline constexpr const char* kSignatureHeader = "X-Buergerbox-Signature";
inline constexpr const char* kDeliveryHeader = "X-Buergerbox-Delivery";
inline constexpr const char* kTimestampHeader = "X-Buergerbox-Timestamp";
inline constexpr const char* kEventHeader = "X-Buergerbox-Event";

//! "sha256=" + hex HMAC-SHA256(secret, body).
std::string pushSignature(const std::string& secret, const std::string& body);
//! The exact body of one delivery (payload version 2): the entry's stored payload plus
//! payload_version, delivery_id, sent_at and the citizen's `report` (null when the ticket is
//! gone), its photo links signed by `photos` at `sent_at`.
//! A citizen_message entry also gets the message's text and photo links from `message` (read
//! at `sent_at` as well; null text when it is gone).
std::string pushBody(const CaseEntry& entry, SysTime sent_at, const CaseReport* report,
                     const PhotoUrlSigner* photos, const CitizenThreadMessage* message = nullptr);
//! Without a report (null).
std::string pushBody(const CaseEntry& entry, SysTime sent_at);

class CaseForwarder {
public:
  CaseForwarder(CaseStore& cases, HttpClient& http, const Clock& clock, ForwarderOptions options,
                Metrics* metrics = nullptr);
  ~CaseForwarder();
  CaseForwarder(const CaseForwarder&) = delete;
  CaseForwarder& operator=(const CaseForwarder&) = delete;

  //! One pass over every department with due entries at clock.now(), one department after the
  //! other (tests and tools; the running service uses start()). Call from one thread only.
  ForwardPass runOnce();
  //! Sends the due entries of one department, oldest first, until one fails (the department's
  //! target is then given its backoff) or `batch` were sent.
  ForwardPass drainDepartment(const std::string& department);
  //! The URL entries of `department` go to ("" when none is configured).
  std::string urlFor(const std::string& department) const;

  //! Pushes only while `leadership` leads (several instances on one database: one pushes, so
  //! no entry goes out twice); call before start(). Without it: always (one instance).
  void runOnlyWhileLeading(Leadership& leadership) { leadership_ = &leadership; }
  //! Starts the dispatcher and `parallel` lanes; each lane drains one department at a time.
  void start();
  void stop();
  void wake();

private:
  std::chrono::milliseconds backoff(int tries);
  //! Sends one entry and records the outcome; true when it was delivered.
  bool deliver(const CaseEntry& entry, const std::string& url, ForwardPass& pass);
  std::vector<std::string> routedDueDepartments(ForwardPass& pass);
  void dispatchLoop();
  void laneLoop();
  bool stopping();

  CaseStore& cases_;
  HttpClient& http_;
  const Clock& clock_;
  ForwarderOptions options_;
  Metrics* metrics_;
  Leadership* leadership_ = nullptr;
  std::mutex rng_mutex_;
  std::mt19937 rng_;

  std::mutex mutex_;
  std::condition_variable cv_;       //!< dispatcher: wake or stop
  std::condition_variable lane_cv_;  //!< lanes: work or stop
  std::deque<std::string> ready_;    //!< departments waiting for a lane
  std::set<std::string> busy_;       //!< departments queued or being drained
  bool stopping_ = false;
  bool woken_ = false;
  std::thread dispatcher_;
  std::vector<std::thread> lanes_;
};

//! Gauges for /metrics: pending and dead case queue entries (read at scrape time).
void registerCaseQueueMetrics(Metrics& metrics, CaseStore& cases);
//! Gauge: pending entries of departments that have no push URL (parked until one is configured).
void registerUnroutedMetric(Metrics& metrics, CaseStore& cases, const ForwarderOptions& options);

}  // namespace bb
