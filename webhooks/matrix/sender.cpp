// Outbound Matrix: the outbox's ChannelSender and the media fetcher, both on the HttpClient port.
#include "bot/log.hpp"
#include "webhooks/matrix/channel.hpp"

namespace bb::webhooks::matrix {
namespace {

using outbox::SendResult;
using ResultKind = outbox::SendResult::Kind;

}  // namespace

Sender::Sender(Settings settings, HttpClient& http) : settings_(std::move(settings)), http_(http) {}

SendResult Sender::send(const OutboxRow& row, const std::string& address,
                        const OutboundMessage& message) {
  const std::string txn_id = "bb-" + std::to_string(row.id);
  const CallOutcome outcome = classifyReply(
      http_.send(sendCall(address, txn_id, renderMessageContent(message), settings_)));
  switch (outcome.kind) {
    case CallOutcome::Kind::Ok:
      return SendResult::sent(outcome.event_id);
    case CallOutcome::Kind::Retry:
      return SendResult::failure(ResultKind::Retry, outcome.error_code);
    case CallOutcome::Kind::RateLimited:
      return SendResult::failure(ResultKind::RateLimited, outcome.error_code,
                                 outcome.retry_after);
    case CallOutcome::Kind::Forbidden:
      // Not in the room any more (the citizen left, the room is gone): nobody to reach there.
      return SendResult::failure(ResultKind::Unreachable, outcome.error_code);
    case CallOutcome::Kind::Permanent:
      break;
  }
  return SendResult::failure(ResultKind::Permanent, outcome.error_code);
}

MediaFetcher::MediaFetcher(Settings settings, HttpClient& http)
    : settings_(std::move(settings)), http_(http) {}

media::FetchResult MediaFetcher::fetch(const MediaJob& job) {
  using Kind = media::FetchResult::Kind;
  auto failure = [](Kind kind, std::string error) {
    media::FetchResult r;
    r.kind = kind;
    r.error = std::move(error);
    return r;
  };
  auto mxc = parseMxc(job.source_ref);
  if (!mxc) { return failure(Kind::Reject, "bad_mxc"); }
  HttpReply reply = http_.send(downloadCall(*mxc, settings_));
  if (reply.status == 0 && reply.transport_error == "response too large") {
    return failure(Kind::Reject, "too_large");
  }
  const CallOutcome outcome = classifyReply(reply);
  if (outcome.error_code == "M_TOO_LARGE") { return failure(Kind::Reject, "too_large"); }
  if (outcome.kind == CallOutcome::Kind::Retry || outcome.kind == CallOutcome::Kind::RateLimited) {
    return failure(Kind::Retry, outcome.error_code);  // includes 504 M_NOT_YET_UPLOADED
  }
  if (outcome.kind != CallOutcome::Kind::Ok || reply.status != 200) {
    return failure(Kind::Reject, outcome.error_code.empty() ? "http_" + std::to_string(reply.status)
                                                            : outcome.error_code);
  }
  if (reply.body.size() > kMaxImageBytes) { return failure(Kind::Reject, "too_large"); }
  media::FetchResult ok;
  ok.kind = Kind::Ok;
  ok.bytes = std::move(reply.body);
  return ok;
}

}  // namespace bb::webhooks::matrix
