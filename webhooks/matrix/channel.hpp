#pragma once
// The Matrix channel wired to the engine: the application-service routes, the outbox sender and
// the media fetcher. The wire knowledge stays in matrix.hpp; these classes only call it and the
// ports.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "bot/channels/matrix_transactions.hpp"
#include "bot/conversation/ingest.hpp"
#include "bot/http/http.hpp"
#include "bot/media/media_jobs.hpp"
#include "bot/outbox/channel_sender.hpp"
#include "bot/ports.hpp"
#include "webhooks/matrix/matrix.hpp"

namespace bb::webhooks::matrix {

// ---- inbound ----

//! Stores a batch durably (Engine::ingest); injected so route tests can simulate outages.
using IngestFn = std::function<Result<IngestReport>(const std::vector<InboundEvent>&)>;

//! The application-service API (channels.md §3.2):
//! - PUT /_matrix/app/v1/transactions/{txnId} and the legacy PUT /transactions/{txnId}:
//!   hs_token first (none → 401 M_UNAUTHORIZED, wrong → 403 M_FORBIDDEN; nothing parsed or
//!   stored), body over `max_body_bytes` → 413, a txnId already processed → 200 {} at once,
//!   unparsable → 400 M_NOT_JSON; then the events are stored (storage down → 503, the HS
//!   retries), invites are joined and encrypted rooms are told to go unencrypted (a temporary
//!   failure → 503 so the HS retries; events are deduplicated by event_id), the txnId is recorded,
//!   and the answer is 200 {}.
//! - GET /_matrix/app/v1/users/{userId} and /rooms/{alias}: 404 M_NOT_FOUND (after the token).
//! - POST /_matrix/app/v1/ping: 200 {} (after the token).
//! - anything else under /_matrix/app/: 404 M_UNRECOGNIZED.
//! `transactions` keeps the processed txnIds; `http` sends the joins and notices. Both must
//! outlive the routes.
std::vector<Route> routes(const Settings& settings, IngestFn ingest,
                          MatrixTransactionLog& transactions, HttpClient& http,
                          std::size_t max_body_bytes);

// ---- outbound ----

//! Sends an outbox row as one m.notice into the citizen's room (the reply address) with the
//! txnId "bb-<outbox row id>", so a retry after a crash is deduplicated by the homeserver.
class Sender final : public outbox::ChannelSender {
public:
  Sender(Settings settings, HttpClient& http);
  outbox::SendResult send(const OutboxRow& row, const std::string& address,
                          const OutboundMessage& message) override;

private:
  Settings settings_;
  HttpClient& http_;
};

// ---- media ----

//! GET /_matrix/client/v1/media/download/{server}/{mediaId} (authenticated media) with the
//! as_token; the job's source_ref is the mxc:// URI.
class MediaFetcher final : public media::MediaFetcher {
public:
  MediaFetcher(Settings settings, HttpClient& http);
  media::FetchResult fetch(const MediaJob& job) override;

private:
  Settings settings_;
  HttpClient& http_;
};

}  // namespace bb::webhooks::matrix
