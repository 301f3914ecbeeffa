#pragma once
// The Store port on PostgreSQL: the same rows and the same answers as SqliteStore
// (storage/sqlite_store.cpp), so the engine runs unchanged on either backend. Every write is one
// transaction that commits before the caller is answered; a step's parts live in
// storage/postgresql/pg_step_parts.cpp.

#include <mutex>

#include "bot/conversation/store.hpp"
#include "storage/postgresql/pg_database.hpp"

namespace bb::storage::pg {

//! The LISTEN/NOTIFY topic of newly stored events (payload: the storing instance's id).
inline constexpr const char* kEventsTopic = "bb_events";

class PgStore final : public Store {
public:
  explicit PgStore(PgDatabase& db) : db_(db) {}

  Result<std::vector<IngestedEvent>> ingest(
      const std::vector<NewInboundEvent>& events,
      const std::function<void(const std::vector<IngestedEvent>&)>& after_commit) override;
  Result<std::vector<PendingEvent>> pendingEvents(std::int64_t after_id, int limit) override;
  Result<std::optional<CitizenRecord>> citizen(const std::string& pseudonym) override;
  Result<std::optional<ConversationRecord>> conversation(const std::string& pseudonym) override;
  Result<std::vector<NearbyTicketRow>> openTicketsNear(const std::string& category_id, double lat,
                                                       double lon, double radius_m) override;
  Result<std::optional<TicketRecord>> ticketByNumber(std::int64_t number) override;
  Result<std::vector<TicketRecord>> ticketsOf(const std::string& pseudonym, int limit) override;
  //! From the sequence ticket_numbers, which every instance shares.
  Result<std::int64_t> reserveTicketNumber() override;
  Result<bool> commitStep(const StepCommit& step) override;
  Result<void> probeEventWrite(std::int64_t event_id) override;
  Result<bool> parkEvent(std::int64_t event_id, const std::string& reason, int tries,
                         SysTime now) override;
  Result<std::vector<ParkedCitizen>> parkedCitizens() override;
  Result<std::vector<PendingEvent>> pendingEventsOf(const std::string& pseudonym,
                                                    std::int64_t up_to_id) override;
  Result<std::vector<ReplyWindowRecord>> replyWindows(const std::string& pseudonym, int limit,
                                                      SysTime day_start) override;
  Result<std::vector<TicketMessageRecord>> ticketMessagesOf(const std::string& pseudonym,
                                                            int limit) override;
  Result<std::optional<ReplyWindowRecord>> quotedTicket(const std::string& pseudonym,
                                                        const std::string& provider_id_hash,
                                                        SysTime day_start) override;
  Result<std::optional<ReplyWindowRecord>> ownTicket(const std::string& pseudonym,
                                                     std::int64_t number,
                                                     SysTime day_start) override;
  Result<std::vector<CitizenRecord>> followersOf(std::int64_t number) override;
  Result<void> changeStatus(const StatusChange& change) override;
  Result<std::optional<TicketRecord>> ticketByFollowToken(const std::string& token_hash) override;
  Result<std::vector<StatusHistoryEntry>> statusHistory(std::int64_t number) override;
  Result<std::vector<StatusHistoryEntry>> staffReplies(std::int64_t number) override;
  Result<std::vector<OutboxRow>> dueOutbox(Channel channel, SysTime now, int limit) override;
  Result<bool> claimOutbox(std::int64_t id, SysTime now, SysTime until) override;
  Result<std::vector<OutboxRow>> outboxFor(const std::string& pseudonym, Channel channel,
                                           std::int64_t after_id, int limit) override;
  Result<void> markOutbox(std::int64_t id, const std::string& status,
                          const std::string& provider_message_id, const std::string& error,
                          int tries, SysTime next_attempt_at, SysTime now) override;
  //! Synchronous here (answered after the commit); `done` runs on the caller's thread.
  void markOutboxThen(std::int64_t id, const std::string& status,
                      const std::string& provider_message_id, const std::string& error, int tries,
                      SysTime next_attempt_at, SysTime now,
                      std::function<void(Result<void>)> done) override;
  Result<std::int64_t> counter(const std::string& name) override;
  Result<std::vector<std::string>> mediaContentOf(const std::string& pseudonym) override;
  Result<bool> mediaContentInUse(const std::string& content_id) override;
  Result<std::optional<std::string>> readyMediaContent(std::int64_t media_id) override;
  Result<int> heldOutboxCount(const std::string& pseudonym) override;
  Result<std::vector<std::string>> heldOutboxPayloads(const std::string& pseudonym) override;
  Result<int> releaseHeldOutbox(const std::string& pseudonym, SysTime inbound_at) override;
  Result<std::int64_t> ticketNumberById(std::int64_t ticket_id) override;
  Result<void> markCitizenUnreachable(const std::string& pseudonym, SysTime now) override;
  Result<std::vector<MediaJob>> dueMedia(Channel channel, SysTime now, int limit) override;
  Result<void> markMedia(std::int64_t id, const std::string& status, const std::string& content_id,
                         const std::string& error, int tries, SysTime next_attempt_at) override;

  //! Grid (metres) for coordinates in case queue payloads (open311.public_grid_m).
  void setPublicGridMeters(double meters) { public_grid_m_ = meters; }
  //! Several instances: each ingest that stores an event to process notifies the topic
  //! kEventsTopic with `instance_id` once it commits, so that the instance holding the
  //! conversation queues it (the others' listeners ignore their own id). Ingests then commit side
  //! by side (see ingest_mutex_).
  void notifyIngestAs(std::string instance_id) { ingest_notice_ = std::move(instance_id); }

private:
  PgDatabase& db_;
  double public_grid_m_ = 25.0;
  std::string ingest_notice_;  //!< empty: one instance, nobody to tell
  //! One engine alone on the database ingests one at a time, each with its after_commit (as
  //! SQLite's one writer does): event ids come from a sequence when inserted, so concurrent
  //! ingests could commit a lower id after a higher one, and that engine, which reads pending
  //! events with the last id as its cursor and queues a citizen's events in the order
  //! after_commit hands them over, would skip or reorder them. Several instances commit side by
  //! side anyway, so their engines read the database's own order (Engine::rescan from the start,
  //! an earlier pending event of the citizen first): there the lock would only keep this
  //! instance's webhooks from sharing PostgreSQL's WAL flushes.
  std::mutex ingest_mutex_;
};

}  // namespace bb::storage::pg
