#pragma once
// Broadcasts to subscribers: drafts (from an editor or the OParl poller), schedule,
// send, cancel, corrections, live progress. Sending is a fan-out into the per-channel outboxes
// (bot/outbox/): one row per opted-in, reachable subscriber, due at staggered times so that the
// rows of a broadcast become due at no more than the channel's broadcast rate; the channel's
// OutboxWorker then sends them with its own token bucket, AIMD on 429 and retries.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bot/conversation/citizen_message.hpp"
#include "bot/conversation/store.hpp"
#include "bot/ports.hpp"
#include "bot/result.hpp"
#include "bot/subscriptions/subscriptions.hpp"
#include "bot/types.hpp"
#include "flows/flow_types.hpp"
#include "flows/subscriptions.hpp"

namespace bb {

//! draft → (scheduled →) sent; draft/scheduled → cancelled; sent → cancelled stops queued rows.
enum class BroadcastStatus { Draft, Scheduled, Sent, Cancelled };
const char* toString(BroadcastStatus status);
std::optional<BroadcastStatus> broadcastStatusFromString(const std::string& s);

struct NewBroadcast {
  std::string topic;
  std::string title;  //!< short, shown in the inbox and named in a correction
  std::string body;   //!< the message text
  std::string link;   //!< e.g. the OParl object's `web` page; may be empty
  std::string source = "staff";  //!< "staff:<login>" | "oparl"
  std::int64_t corrects_id = 0;  //!< a correction of this broadcast
};

struct BroadcastRecord {
  std::int64_t id = 0;
  std::string topic;
  std::string title;
  std::string body;
  std::string link;
  std::string source;
  BroadcastStatus status = BroadcastStatus::Draft;
  std::optional<SysTime> scheduled_at;
  std::int64_t corrects_id = 0;
  SysTime created_at{};
  std::optional<SysTime> sent_at;
  int recipients = 0;
};

//! Live progress from the outbox rows of a broadcast.
struct BroadcastProgress {
  int queued = 0;     //!< waiting (queued or held)
  int sent = 0;       //!< accepted by the channel
  int delivered = 0;  //!< delivered or read
  int failed = 0;     //!< failed, dead or cancelled
};

//! Counts `n` outbox rows of a fan-out in `outbox_status` into `progress`.
void addToProgress(BroadcastProgress& progress, const std::string& outbox_status, int n);

//! The broadcast rows of a channel still queued: how many, and the latest due time among them.
//! The latest due time alone overstates the backlog: a row waiting for a retry, or one an
//! instance has claimed for sending (its lease is its next attempt, Store::claimOutbox), is due
//! later than the rate would send it.
struct BroadcastBacklog {
  std::int64_t queued = 0;
  SysTime last_due{};
};

//! One outbox row of a fan-out, due at `due`.
struct FanoutRow {
  NewOutbound outbound;
  SysTime due{};
};

class BroadcastStore {
public:
  virtual ~BroadcastStore() = default;
  virtual Result<std::int64_t> createBroadcast(const NewBroadcast& b, SysTime now) = 0;
  //! Edits a draft or scheduled broadcast (Conflict otherwise).
  virtual Result<void> updateBroadcast(std::int64_t id, const NewBroadcast& b, SysTime now) = 0;
  virtual Result<std::optional<BroadcastRecord>> broadcast(std::int64_t id) = 0;
  virtual Result<std::vector<BroadcastRecord>> recentBroadcasts(int limit) = 0;
  //! draft → scheduled at `at` (Conflict unless draft or scheduled).
  virtual Result<void> scheduleBroadcast(std::int64_t id, SysTime at, SysTime now) = 0;
  //! draft/scheduled → cancelled; sent → cancelled and its queued rows become 'cancelled'.
  virtual Result<void> cancelBroadcast(std::int64_t id, SysTime now) = 0;
  virtual Result<std::vector<std::int64_t>> dueBroadcasts(SysTime now) = 0;
  //! The queued broadcast rows of `channel` (none: 0 and the epoch).
  virtual Result<BroadcastBacklog> backlog(Channel channel) = 0;
  //! In one transaction: checks the broadcast is draft or scheduled (Conflict otherwise: it is
  //! never sent twice), queues every row at its due time, records them, marks it sent.
  virtual Result<void> commitFanout(std::int64_t id, const std::vector<FanoutRow>& rows,
                                    SysTime now) = 0;
  virtual Result<BroadcastProgress> progress(std::int64_t id) = 0;

  // ---- OParl sync state (bot/oparl/) ----
  virtual Result<std::optional<std::string>> oparlState(const std::string& key) = 0;
  virtual Result<void> setOparlState(const std::string& key, const std::string& value) = 0;
  //! True when the event `key` was recorded before.
  virtual Result<bool> oparlEventSeen(const std::string& key) = 0;
  virtual Result<void> recordOparlEvent(const std::string& key, const std::string& object_id,
                                        std::int64_t broadcast_id, SysTime now) = 0;
  //! Broadcast ids of events about `object_id` and about its parts ("<object_id>#<part id>").
  virtual Result<std::vector<std::int64_t>> oparlBroadcastsOf(const std::string& object_id) = 0;
};

//! Per-channel message limits shown by the composer.
struct ChannelLimit {
  Channel channel;
  std::size_t max_chars;  //!< code points of the rendered message (WhatsApp: template parameter)
};
const std::vector<ChannelLimit>& broadcastChannelLimits();

struct BroadcastOptions {
  //! Broadcast rows per second and channel; the composition root uses each channel's
  //! rate_per_second times broadcasts.rate_share.
  std::map<Channel, double> rate_per_second{
      {Channel::WhatsApp, 64}, {Channel::Telegram, 24}, {Channel::Matrix, 8}};
  //! The topics, for the label a WhatsApp template names (catalogue kind "broadcast").
  std::vector<flows::Topic> topics;
  //! Wakes a channel's outbox worker after rows were queued.
  std::function<void(Channel)> wake;
};

//! The broadcast as the subscriber `to` gets it, in their language: text + link + how to
//! unsubscribe, marked as a broadcast notice on its topic (WhatsApp announces it with the topic's
//! template when the citizen has not written for 24 h). Returns `to`.
CitizenMessage& renderBroadcast(const BroadcastRecord& b, const flows::TextCatalog& texts,
                                const BroadcastOptions& options, CitizenMessage& to);

class BroadcastService {
public:
  BroadcastService(BroadcastStore& broadcasts, SubscriptionStore& subscriptions,
                   const flows::TextCatalog& texts, const Clock& clock, BroadcastOptions options);

  Result<std::int64_t> createDraft(const NewBroadcast& b);
  //! Fans out now; returns the number of outbox rows queued.
  Result<int> send(std::int64_t id);
  Result<void> schedule(std::int64_t id, SysTime at);
  Result<void> cancel(std::int64_t id);
  //! Sends every scheduled broadcast that is due (the scheduler calls this).
  int runDue();
  //! A correction for broadcast `id` (its object was withdrawn): a sent broadcast gets a
  //! correction that goes out at once; a draft or scheduled one is cancelled instead.
  //! Returns the correction's id, or 0 when only a cancel was needed.
  Result<std::int64_t> correct(std::int64_t id);

private:
  //! When the first row of a fan-out on `channel` is due (rows follow `step` apart).
  SysTime fanoutStart(Channel channel, SysTime now, std::chrono::duration<double> step);

  BroadcastStore& broadcasts_;
  SubscriptionStore& subscriptions_;
  const flows::TextCatalog& texts_;
  const Clock& clock_;
  BroadcastOptions options_;
};

}  // namespace bb
