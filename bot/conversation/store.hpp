#pragma once
// The repository port the engine uses. storage/ implements it on SQLite and on PostgreSQL
// (storage/postgresql/pg_store.hpp), without flows or edge code knowing which. Personal fields
// arrive here already pseudonymized (pseudonym) or sealed (address_ct).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bot/privacy/data_export.hpp"
#include "bot/result.hpp"
#include "bot/types.hpp"

namespace bb {

//! The first ticket number a new installation gives out.
inline constexpr std::int64_t kFirstTicketNumber = 1001;

//! An inbound event ready to be stored: the payload is the serialized event (no user id).
struct NewInboundEvent {
  Channel channel = Channel::WebChat;
  std::string external_id;
  std::string pseudonym;
  std::int64_t shard_key = 0;
  SysTime received_at{};
  std::string payload;
  //! Delivery receipts are applied to the outbox during ingest and stored already processed.
  std::optional<DeliveryStatus> delivery;
};

struct IngestedEvent {
  std::int64_t id = 0;  //!< 0 for a duplicate
  bool duplicate = false;
  std::string pseudonym;
  std::int64_t shard_key = 0;
  std::string payload;
  bool needs_processing = false;
};

//! A stored event waiting for processing.
struct PendingEvent {
  std::int64_t id = 0;
  std::string pseudonym;
  std::int64_t shard_key = 0;
  std::string payload;
};

//! A citizen with parked events: the commit of the first kept failing, the later ones wait.
struct ParkedCitizen {
  std::string pseudonym;
  std::int64_t shard_key = 0;
  std::int64_t last_event_id = 0;  //!< the highest parked event id
  int events = 0;
};

struct CitizenRecord {
  std::string pseudonym;
  Channel channel = Channel::WebChat;
  std::string address_ct;
  std::string key_id;
  std::string lang = "de";
  int consent_version = 0;
  bool unreachable = false;
  std::optional<SysTime> last_inbound_at;
  std::optional<SysTime> consent_at;
  //! "stop" -> everything: since then no ticket news, staff replies or proposal notices go to
  //! the citizen (answers to their own messages still do); nullopt: notifications on.
  std::optional<SysTime> notifications_stopped_at;
};

struct ConversationRecord {
  std::string state;
  std::string data;  //!< JSON of the flow's Conversation (draft, lang, ...)
};

struct TicketRecord {
  std::int64_t id = 0;
  std::int64_t number = 0;
  std::string kind;  //!< defect | letter
  std::string category_id;
  std::string department;
  std::string district_id;
  std::string status;
  std::optional<double> lat;
  std::optional<double> lon;
  std::string address_text;
  std::string description;
  std::string extra_answer;
  Channel channel = Channel::WebChat;
  std::string reporter;  //!< pseudonym, empty once anonymized
  SysTime created_at{};
  SysTime updated_at{};
  std::optional<SysTime> closed_at;
  std::vector<std::string> photo_media_ids;
};

struct NearbyTicketRow {
  std::int64_t number = 0;
  std::string category_id;
  std::string status;
  double lat = 0;
  double lon = 0;
};

struct NewTicket {
  std::int64_t number = 0;
  std::string kind = "defect";
  std::string category_id;
  std::string department;
  std::string district_id;
  std::string status = "eingegangen";
  std::optional<double> lat;
  std::optional<double> lon;
  std::string address_text;
  std::string description;
  std::string extra_answer;
  Channel channel = Channel::WebChat;
  std::string reporter;
  std::vector<std::int64_t> photo_media_ids;  //!< media rows
  std::string follow_token_hash;  //!< SHA-256 of the secret "follow my report" link token
  //! Non-chat origin ("open311:<key name>"): stored as channel "api", no reporter, no follower.
  std::string source;
};

struct NewOutbound {
  Channel channel = Channel::WebChat;
  std::string pseudonym;
  std::string address_ct;
  std::string key_id;
  std::string payload;  //!< serialized OutboundMessage
  std::string kind = "reply";  //!< reply | status | staff | notice
  std::int64_t ticket_number = 0;  //!< 0: none; links the message to a ticket's thread
};

struct NewMedia {
  std::int64_t id = 0;     //!< the inbound event's id (one image per event)
  std::string source_ref;  //!< channel media reference, or "sha256:<id>" when already cleaned
  std::string content_id;  //!< set when already cleaned
  std::string mime_type;
};

//! A subscription change by chat; consent broadcastPurpose(topic) follows it.
struct SubscriptionChange {
  enum class Op { Subscribe, Unsubscribe, UnsubscribeAll };
  Op op = Op::Subscribe;
  std::string topic;       //!< empty for UnsubscribeAll
  int notice_version = 0;  //!< Subscribe: the privacy notice version consented to
};

//! The consent purpose of a topic's broadcasts: "broadcast:<topic id>".
inline std::string broadcastPurpose(const std::string& topic_id) { return "broadcast:" + topic_id; }
//! The consent purpose of the service itself (reports, letterbox, status): recorded when the
//! citizen accepts the privacy notice, and anew for each higher notice version.
inline constexpr const char* kServicePurpose = "service";
//! The consent purpose of the participatory budget: recorded once, at the citizen's first
//! proposal, support or comment, under the notice version they accepted.
inline constexpr const char* kParticipationPurpose = "participation";

//! A consent the citizen gave in this step: a new row in `consents`; a valid earlier one for the
//! same purpose is withdrawn at the same time (exactly one valid row per purpose).
struct NewConsent {
  std::string purpose;
  int notice_version = 0;
};

//! A ticket staff wrote to the citizen about: its reply window (Settings::reply_window).
struct ReplyWindowRecord {
  std::int64_t number = 0;
  SysTime opened_at{};  //!< the latest staff message to the citizen about it; epoch: never
  bool ticket_closed = false;
  std::optional<SysTime> last_message_at;  //!< the citizen's latest message to the ticket
  int messages_today = 0;  //!< citizen messages in the ticket's thread since `day_start`
};

//! A citizen's message into a ticket's thread ("citizen_message"); never public.
struct NewTicketMessage {
  std::int64_t number = 0;
  std::string body;
  std::vector<std::int64_t> media_ids;  //!< photos sent with it (media rows)
};

//! A message the citizen wrote into a ticket's thread (for their data export).
struct TicketMessageRecord {
  std::int64_t number = 0;
  std::string body;
  bool photo = false;
  SysTime at{};
};

//! Several instances on one database: the lease under which an instance processes a
//! conversation (bot/conversation/ownership.hpp). A step commits only while it still holds.
struct StepFence {
  std::string owner;  //!< the instance's id
  int partition = 0;
  std::int64_t token = 0;  //!< raised at every change of the partition's owner
};

//! The detail of the Conflict a commit under a lost lease fails with.
inline constexpr const char* kPartitionMoved = "partition_moved";

//! Everything one processed event changes, committed in one transaction.
struct StepCommit {
  std::int64_t event_id = 0;  //!< 0: no inbound event (a ticket created through the API)
  std::string pseudonym;
  SysTime now{};
  bool forget_citizen = false;  //!< declined consent: remove citizen and conversation
  //! "daten löschen": remove citizen, conversation, follows, messages and media rows; the
  //! citizen's tickets stay for the city's records, anonymized (no text, no photos, no reporter).
  bool erase_citizen = false;
  std::optional<CitizenRecord> citizen;  //!< upsert
  std::optional<ConversationRecord> conversation;  //!< upsert
  std::vector<NewTicket> tickets;
  std::vector<std::int64_t> follow_ticket_numbers;
  std::vector<NewOutbound> outbound;
  std::vector<std::string> counters;  //!< anonymous counters to increment
  std::vector<NewMedia> media;
  std::vector<SubscriptionChange> subscription_changes;  //!< applied after the citizen upsert
  //! Consents given in this step (the accepted privacy notice: kServicePurpose), each replacing
  //! a valid earlier row of its purpose.
  std::vector<NewConsent> consents;
  //! Citizen messages into ticket threads: the ticket is marked unread for staff.
  std::vector<NewTicketMessage> ticket_messages;
  std::optional<NewExportLink> export_link;  //!< "meine daten": the link to the export file
  //! "stop" -> everything (true: notifications_stopped_at is set, an earlier time kept) or
  //! "start" (false: cleared); nullopt: unchanged. Applied after the citizen upsert.
  std::optional<bool> stop_notifications;
  //! Set when instances share the store: the commit fails with Conflict "partition_moved" and
  //! changes nothing once the lease has passed to another instance (which processes the event).
  std::optional<StepFence> fence;
};

struct OutboxRow {
  std::int64_t id = 0;
  Channel channel = Channel::WebChat;
  std::string pseudonym;
  std::string address_ct;
  std::string key_id;
  std::string payload;
  std::string kind;
  std::string status;
  int tries = 0;
  std::int64_t ticket_id = 0;
  SysTime created_at{};
};

//! A media job: an image received through a channel API, to download, clean and store.
struct MediaJob {
  std::int64_t id = 0;  //!< media row id (= the inbound event id)
  std::string pseudonym;
  Channel channel = Channel::WebChat;
  std::string source_ref;  //!< the channel's media reference (WhatsApp media id)
  std::string mime_type;
  int tries = 0;
  SysTime created_at{};
};

struct StatusHistoryEntry {
  std::string status;
  std::string note;
  SysTime at{};
};

struct StatusChange {
  std::int64_t number = 0;
  std::string new_status;
  std::string note;  //!< public note to citizens (may be empty)
  std::string actor;  //!< "staff:<login>", "backoffice:<system>", "system"
  SysTime now{};
  std::vector<NewOutbound> notifications;  //!< one per follower, rendered by the engine
  //! Followers who stopped notifications and are not told; > 0: the thread notes it.
  int withheld = 0;
};

class Store {
public:
  virtual ~Store() = default;

  // ---- ingest ----
  //! Stores the batch durably (deduplicated by channel + external_id) and applies delivery
  //! receipts. `after_commit` runs once the batch is durable, in commit order, before return.
  virtual Result<std::vector<IngestedEvent>> ingest(
      const std::vector<NewInboundEvent>& events,
      const std::function<void(const std::vector<IngestedEvent>&)>& after_commit) = 0;

  // ---- processing ----
  virtual Result<std::vector<PendingEvent>> pendingEvents(std::int64_t after_id, int limit) = 0;
  virtual Result<std::optional<CitizenRecord>> citizen(const std::string& pseudonym) = 0;
  virtual Result<std::optional<ConversationRecord>> conversation(const std::string& pseudonym) = 0;
  virtual Result<std::vector<NearbyTicketRow>> openTicketsNear(const std::string& category_id,
                                                               double lat, double lon,
                                                               double radius_m) = 0;
  virtual Result<std::optional<TicketRecord>> ticketByNumber(std::int64_t number) = 0;
  //! Tickets the citizen reported or follows, newest first.
  virtual Result<std::vector<TicketRecord>> ticketsOf(const std::string& pseudonym, int limit) = 0;
  //! A ticket number nobody was given before, on any instance sharing this store: from
  //! kFirstTicketNumber on, rising; a number taken by a step that then failed stays unused.
  virtual Result<std::int64_t> reserveTicketNumber() = 0;
  //! Commits the step. Returns false (and changes nothing) if the event was already processed.
  virtual Result<bool> commitStep(const StepCommit& step) = 0;

  // ---- parked events (the delivery page retries or discards them) ----
  //! Sets an unprocessed event aside: no longer pending, listed for staff with `reason` (an
  //! error code, no content) and `tries`. False when it was processed meanwhile.
  virtual Result<bool> parkEvent(std::int64_t event_id, const std::string& reason, int tries,
                                 SysTime now) = 0;
  //! A write to the event's own row that changes nothing: succeeds when the store takes writes
  //! for this event at all (the engine then counts a failed commit against the event itself).
  virtual Result<void> probeEventWrite(std::int64_t event_id) = 0;
  //! Every citizen with parked events.
  virtual Result<std::vector<ParkedCitizen>> parkedCitizens() = 0;
  //! The citizen's events neither processed nor parked, ids up to `up_to_id`, oldest first.
  virtual Result<std::vector<PendingEvent>> pendingEventsOf(const std::string& pseudonym,
                                                            std::int64_t up_to_id) = 0;

  //! The citizen's reply windows, the most recently opened first (open and run out).
  //! messages_today counts from `day_start` (local midnight) on, for every record below.
  virtual Result<std::vector<ReplyWindowRecord>> replyWindows(const std::string& pseudonym,
                                                              int limit, SysTime day_start) = 0;
  //! The citizen's messages into ticket threads, oldest first.
  virtual Result<std::vector<TicketMessageRecord>> ticketMessagesOf(const std::string& pseudonym,
                                                                    int limit) = 0;
  //! The ticket of the message to `pseudonym` whose provider id hashes to `provider_id_hash`
  //! (outbox.provider_message_id), with the citizen's window on
  //! it (opened_at epoch when staff never wrote about it); nullopt: no such message of ours.
  virtual Result<std::optional<ReplyWindowRecord>> quotedTicket(
      const std::string& pseudonym, const std::string& provider_id_hash, SysTime day_start) = 0;
  //! Ticket `number` when `pseudonym` reported it, with the citizen's window on it (opened_at
  //! epoch when staff never wrote about it); nullopt: no such ticket, or someone else's.
  virtual Result<std::optional<ReplyWindowRecord>> ownTicket(const std::string& pseudonym,
                                                             std::int64_t number,
                                                             SysTime day_start) = 0;

  // ---- tickets ----
  virtual Result<std::vector<CitizenRecord>> followersOf(std::int64_t number) = 0;
  virtual Result<void> changeStatus(const StatusChange& change) = 0;
  virtual Result<std::optional<TicketRecord>> ticketByFollowToken(const std::string& token_hash) = 0;
  //! Public status history of a ticket: (status, public note, time), oldest first.
  virtual Result<std::vector<StatusHistoryEntry>> statusHistory(std::int64_t number) = 0;
  //! What staff wrote to the reporter in the ticket's thread (replies; note = the text),
  //! oldest first. Internal notes and citizen messages are not part of it.
  virtual Result<std::vector<StatusHistoryEntry>> staffReplies(std::int64_t number) = 0;

  // ---- outbox ----
  //! Queued rows of `channel` due at `now`, oldest first, at most one per recipient at a time
  //! (so order per recipient holds), up to `limit`.
  virtual Result<std::vector<OutboxRow>> dueOutbox(Channel channel, SysTime now, int limit) = 0;
  //! Takes the due row `id` for this instance's send until `until`: meanwhile no other instance
  //! finds it due (nor the recipient's later rows), and if this instance dies before the outcome
  //! is marked, the row is due again then. False when another instance took it first or it is
  //! no longer due.
  virtual Result<bool> claimOutbox(std::int64_t id, SysTime now, SysTime until) = 0;
  virtual Result<std::vector<OutboxRow>> outboxFor(const std::string& pseudonym, Channel channel,
                                                   std::int64_t after_id, int limit) = 0;
  virtual Result<void> markOutbox(std::int64_t id, const std::string& status,
                                  const std::string& provider_message_id, const std::string& error,
                                  int tries, SysTime next_attempt_at, SysTime now) = 0;
  //! markOutbox without waiting for the commit, so a send thread can take the next message
  //! while the outcome waits for the group commit: `done` gets the result once it is durable
  //! (on the store's writer thread: short work only, no writes). Default: marks, then `done`.
  virtual void markOutboxThen(std::int64_t id, const std::string& status,
                              const std::string& provider_message_id, const std::string& error,
                              int tries, SysTime next_attempt_at, SysTime now,
                              std::function<void(Result<void>)> done) {
    done(markOutbox(id, status, provider_message_id, error, tries, next_attempt_at, now));
  }
  virtual Result<std::int64_t> counter(const std::string& name) = 0;
  //! Content ids of the cleaned media files a citizen sent (for erasure of the files).
  virtual Result<std::vector<std::string>> mediaContentOf(const std::string& pseudonym) = 0;
  //! True while any media row still points at the content id (files are content-addressed).
  virtual Result<bool> mediaContentInUse(const std::string& content_id) = 0;
  //! The content id of media row `media_id` once it is cleaned and stored; nullopt otherwise.
  virtual Result<std::optional<std::string>> readyMediaContent(std::int64_t media_id) = 0;

  // ---- outbox: reply windows (WhatsApp 24 h) ----
  //! Rows of the recipient in status 'held' (waiting for the citizen to write again).
  virtual Result<int> heldOutboxCount(const std::string& pseudonym) = 0;
  //! The payloads of the recipient's held rows (which kinds of notice are waiting).
  virtual Result<std::vector<std::string>> heldOutboxPayloads(const std::string& pseudonym) = 0;
  //! In one transaction: the recipient's held rows become 'queued' and due at once (they keep
  //! their ids, so they go before anything queued later), and, when `inbound_at` is set, the
  //! citizen's last_inbound_at moves forward to it. Returns the number of rows released.
  virtual Result<int> releaseHeldOutbox(const std::string& pseudonym, SysTime inbound_at) = 0;
  //! The public number of the ticket with row id `ticket_id`; 0 when there is none.
  virtual Result<std::int64_t> ticketNumberById(std::int64_t ticket_id) = 0;
  //! A send said the citizen cannot be reached on their channel any more.
  virtual Result<void> markCitizenUnreachable(const std::string& pseudonym, SysTime now) = 0;

  // ---- media jobs ----
  //! Media rows of `channel` in status 'pending' that came from a channel API (not uploads
  //! cleaned at the edge) and are due at `now`, oldest first.
  virtual Result<std::vector<MediaJob>> dueMedia(Channel channel, SysTime now, int limit) = 0;
  //! Records a media job's outcome: status 'ready' (with content_id), 'rejected' (error code),
  //! or 'pending' again with a later next_attempt_at.
  virtual Result<void> markMedia(std::int64_t id, const std::string& status,
                                 const std::string& content_id, const std::string& error,
                                 int tries, SysTime next_attempt_at) = 0;
};

}  // namespace bb
