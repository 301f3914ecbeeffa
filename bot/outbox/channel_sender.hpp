#pragma once
// The seam between the generic outbox worker and one channel: a ChannelSender turns one outbox
// row into API calls (through the HttpClient port) and says what happened, as a typed outcome.
// The worker owns everything else: rate limits, pacing, retries, backoff, dead letters.

#include <chrono>
#include <string>

#include "bot/conversation/store.hpp"
#include "bot/types.hpp"

namespace bb::outbox {

//! What one send attempt did. `error` holds codes only (Graph code, "http_503", "transport"),
//! never bodies, numbers or tokens: it is logged and shown to staff.
struct SendResult {
  enum class Kind {
    Sent,          //!< accepted by the channel; provider_message_id set when the channel gives one
    Retry,         //!< temporary failure (5xx, timeout, reset): back off, try again
    RateLimited,   //!< the channel asked us to slow down: back off and lower the sending rate
    Permanent,     //!< will never work: the row becomes 'failed', visible to staff
    Unreachable,   //!< the citizen cannot be reached on this channel any more: 'failed'
    NeedTemplate,  //!< outside the channel's reply window: hold the row until the citizen writes
  };
  //! Who a RateLimited outcome is about: the whole channel (sender number) or one recipient.
  enum class Scope { Channel, Recipient };

  Kind kind = Kind::Permanent;
  std::string provider_message_id;
  std::chrono::milliseconds retry_after{0};  //!< the channel's own hint; 0 when absent
  Scope scope = Scope::Channel;
  std::string error;
  //! A hold notice: the name of the template it sent or tried (for the per-template metric).
  std::string notice_template;

  static SendResult sent(std::string provider_message_id) {
    SendResult r;
    r.kind = Kind::Sent;
    r.provider_message_id = std::move(provider_message_id);
    return r;
  }
  static SendResult failure(Kind kind, std::string error,
                            std::chrono::milliseconds retry_after = std::chrono::milliseconds{0}) {
    SendResult r;
    r.kind = kind;
    r.error = std::move(error);
    r.retry_after = retry_after;
    return r;
  }
};

const char* toString(SendResult::Kind kind);

class ChannelSender {
public:
  virtual ~ChannelSender() = default;

  //! Sends `message` (decoded from row.payload) to `address` (the opened reply address).
  //! Must not throw; transport problems are a Retry outcome.
  virtual SendResult send(const OutboxRow& row, const std::string& address,
                          const OutboundMessage& message) = 0;

  //! Called when a row is held (NeedTemplate) and no other held row of the recipient is about
  //! the same kind of notice (message.notice_kind): tells the citizen that something waits for
  //! them (WhatsApp: the approved template of that kind, with the message's own parameters).
  //! Sent → the row is held (its provider id is the notice's, so the notice's receipts reach
  //! it); Retry/RateLimited → the row is retried later; anything else → held anyway, error kept.
  //! Channels without a reply window need not override it.
  virtual SendResult sendHoldNotice(const OutboxRow& row, const std::string& address,
                                    const OutboundMessage& message) {
    (void)row;
    (void)address;
    (void)message;
    return SendResult::sent({});
  }

  //! Asked right after a row was held: true when the window opened meanwhile (the citizen wrote
  //! while the row was being held), so the worker releases the held rows at once.
  virtual bool windowReopened(const OutboxRow& row) {
    (void)row;
    return false;
  }
};

}  // namespace bb::outbox
