#pragma once
// The WhatsApp channel wired to the engine: the webhook routes, the outbox sender and the media
// fetcher. The wire knowledge stays in whatsapp.hpp; these classes only call it and the ports.

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "bot/conversation/ingest.hpp"
#include "bot/http/http.hpp"
#include "bot/media/media_jobs.hpp"
#include "bot/outbox/channel_sender.hpp"
#include "bot/ports.hpp"
#include "bot/conversation/store.hpp"
#include "webhooks/whatsapp/whatsapp.hpp"

namespace bb::webhooks::whatsapp {

//! Meta's customer-service window: free-form messages only within 24 h of the citizen's last
//! message; afterwards only templates.
inline constexpr std::chrono::hours kServiceWindow{24};
//! Sends stop this much before the window closes (the message may wait in the queue a little).
inline constexpr std::chrono::minutes kWindowMargin{5};

// ---- inbound ----

//! Stores a batch durably (Engine::ingest); injected so route tests can simulate outages.
using IngestFn = std::function<Result<IngestReport>(const std::vector<InboundEvent>&)>;

//! GET /webhooks/whatsapp (verification handshake: 200 + challenge, else 403) and
//! POST /webhooks/whatsapp: signature on the raw body first (401, nothing parsed or stored),
//! body over `max_body_bytes` → 413, unparsable → 400, storage down → 503 (Meta retries),
//! otherwise 200 once the batch is durable (duplicates too).
std::vector<Route> routes(const Settings& settings, IngestFn ingest, std::size_t max_body_bytes);

// ---- outbound ----

//! Renders an outbox row with renderMessage and sends every call through the HttpClient port.
//! Outside the citizen's 24 h window (citizens.last_inbound_at) or after Graph error 131047 it
//! answers NeedTemplate; sendHoldNotice then sends the approved template of the message's kind.
class Sender final : public outbox::ChannelSender {
public:
  Sender(Settings settings, HttpClient& http, Store& store, const Clock& clock);

  outbox::SendResult send(const OutboxRow& row, const std::string& address,
                          const OutboundMessage& message) override;
  outbox::SendResult sendHoldNotice(const OutboxRow& row, const std::string& address,
                                    const OutboundMessage& message) override;
  bool windowReopened(const OutboxRow& row) override;

private:
  //! nullopt: unknown (no citizen row) → let Meta decide.
  std::optional<bool> windowOpen(const std::string& pseudonym);
  outbox::SendResult toResult(const SendOutcome& outcome, const std::string& pseudonym);
  //! The template that announces `message`: the catalogue's for its kind, else the older single
  //! template with a ticket number; nullopt when there is nothing to announce it with.
  std::optional<TemplateNotice> noticeFor(const OutboxRow& row, const OutboundMessage& message);
  std::int64_t ticketNumberOf(const OutboxRow& row);

  Settings settings_;
  HttpClient& http_;
  Store& store_;
  const Clock& clock_;
  std::mutex mutex_;
  //! Calls of a multi-call row already accepted, so a retry does not repeat them.
  std::map<std::int64_t, std::size_t> progress_;
  //! Citizens for whom Meta answered 131047 since their last successful send: their held rows
  //! wait for the engine's release (their next message), never for our own window check.
  std::set<std::string> closed_by_meta_;
};

// ---- media ----

//! GET /{media-id} → url → GET url with the bearer token, at most kMaxImageBytes.
class MediaFetcher final : public media::MediaFetcher {
public:
  MediaFetcher(Settings settings, HttpClient& http);
  media::FetchResult fetch(const MediaJob& job) override;

private:
  Settings settings_;
  HttpClient& http_;
};

}  // namespace bb::webhooks::whatsapp
