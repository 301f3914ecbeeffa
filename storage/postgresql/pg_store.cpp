#include "storage/postgresql/pg_store.hpp"

#include <algorithm>
#include <cmath>

#include "storage/millis.hpp"
#include "storage/postgresql/pg_notifier.hpp"
#include "storage/postgresql/pg_partition_leases.hpp"
#include "storage/postgresql/pg_step_parts.hpp"
#include "storage/rows.hpp"
#include "storage/ticket_rows.hpp"

namespace bb::storage::pg {
namespace {

Channel channelAt(const Rows& rows, int row, int column) {
  return channelFromString(rows.text(row, column)).value_or(Channel::WebChat);
}

//! Every row of `rows` through `read(rows, row)`.
template <class Read>
auto allOf(const Rows& rows, Read read) {
  std::vector<decltype(read(rows, 0))> out;
  out.reserve(static_cast<std::size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) { out.push_back(read(rows, i)); }
  return out;
}

//! The first row of `rows` through `read(rows, 0)`, if there is one.
template <class Read>
auto firstOf(const Rows& rows, Read read) {
  using Row = decltype(read(rows, 0));
  return rows.empty() ? std::optional<Row>() : std::optional<Row>(read(rows, 0));
}

constexpr const char* kOutboxColumns =
    "id, channel, pseudonym, address_ct, key_id, payload, kind, status, tries, ticket_id, "
    "created_at";

OutboxRow readOutbox(const Rows& q, int i) {
  OutboxRow r;
  r.id = q.int64(i, 0);
  r.channel = channelAt(q, i, 1);
  r.pseudonym = q.text(i, 2);
  r.address_ct = q.bytes(i, 3);
  r.key_id = q.text(i, 4);
  r.payload = q.text(i, 5);
  r.kind = q.text(i, 6);
  r.status = q.text(i, 7);
  r.tries = static_cast<int>(q.int64(i, 8));
  r.ticket_id = q.int64(i, 9);
  r.created_at = fromMillis(q.int64(i, 10));
  return r;
}

PendingEvent readPending(const Rows& q, int i) {
  return PendingEvent{q.int64(i, 0), q.text(i, 1), q.int64(i, 2), q.text(i, 3)};
}

ReplyWindowRecord readReplyWindow(const Rows& q, int i) {
  ReplyWindowRecord w;
  w.number = q.int64(i, 0);
  w.opened_at = fromMillis(q.int64(i, 1));
  w.ticket_closed = q.flag(i, 2);
  w.last_message_at = timeAt(q, i, 3);
  w.messages_today = static_cast<int>(q.int64(i, 4));
  return w;
}

std::string text0(const Rows& q, int i) { return q.text(i, 0); }

//! The fifth column of every reply window query: the ticket's citizen messages since $3.
constexpr const char* kMessagesToday =
    ", (SELECT count(*) FROM ticket_events e WHERE e.ticket_id = t.id "
    "AND e.kind = 'citizen_message' AND e.created_at >= $3) ";

std::string citizenSelect(const std::string& from) {
  return std::string("SELECT ") + kCitizenColumns + " FROM " + from;
}

std::string ticketSelect(const std::string& where) {
  return std::string("SELECT ") + kTicketColumns + " FROM tickets t WHERE " + where;
}

//! Marks the step's inbound event processed and drops its payload; false when it was processed
//! before (the step then changes nothing).
bool markProcessed(const PgStep& w, std::int64_t event_id) {
  return w.s
             .run("UPDATE inbound_events SET processed_at = $1, payload = NULL "
                  "WHERE id = $2 AND processed_at IS NULL",
                  w.now, event_id)
             .affected() != 0;
}

void countAnonymously(const PgStep& w, std::vector<std::string> counters) {
  // One order for every step: two steps never wait for each other's counter rows in a cycle.
  std::sort(counters.begin(), counters.end());
  for (const auto& name : counters) {
    w.s.run("INSERT INTO counters (name, value) VALUES ($1, 1) "
            "ON CONFLICT (name) DO UPDATE SET value = counters.value + 1",
            name);
  }
}

//! A delivery receipt moves the outbox row forward only: sent < delivered < read; failed is
//! final (storage/sqlite_store.cpp).
void applyReceipt(Session& s, const DeliveryStatus& d, std::int64_t at) {
  s.run("UPDATE outbox SET status = CASE "
        " WHEN status = 'held' THEN status "
        " WHEN $1 = 'failed' THEN 'failed' "
        " WHEN status IN ('failed') THEN status "
        " WHEN $1 = 'read' THEN 'read' "
        " WHEN $1 = 'delivered' AND status <> 'read' THEN 'delivered' "
        " ELSE status END, "
        "error = CASE WHEN $1 <> 'failed' THEN error "
        " WHEN status = 'held' THEN 'outside_window notice:' || $2::text "
        " ELSE $2::text END, updated_at = $3 "
        "WHERE provider_message_id = $4",
        d.status, d.error_code + (d.error_title.empty() ? "" : " " + d.error_title), at,
        d.provider_message_id);
}

IngestedEvent insertEvent(Session& s, const NewInboundEvent& e) {
  const bool receipt = e.delivery.has_value();
  const std::int64_t received = toMillis(e.received_at);
  Rows inserted = s.run(
      "INSERT INTO inbound_events (channel, external_id, pseudonym, shard_key, received_at, "
      "payload, processed_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
      "ON CONFLICT (channel, external_id) DO NOTHING RETURNING id",
      toString(e.channel), e.external_id, e.pseudonym, e.shard_key, received,
      receipt ? Param() : Param(e.payload),
      receipt ? param(received) : Param());
  IngestedEvent r;
  r.duplicate = inserted.empty();
  r.id = r.duplicate ? 0 : inserted.int64(0, 0);
  r.pseudonym = e.pseudonym;
  r.shard_key = e.shard_key;
  r.needs_processing = !r.duplicate && !receipt;
  if (r.needs_processing) { r.payload = e.payload; }
  if (receipt && !r.duplicate) { applyReceipt(s, *e.delivery, received); }
  return r;
}

}  // namespace

Result<std::vector<IngestedEvent>> PgStore::ingest(
    const std::vector<NewInboundEvent>& events,
    const std::function<void(const std::vector<IngestedEvent>&)>& after_commit) {
  std::unique_lock lock(ingest_mutex_, std::defer_lock);
  if (ingest_notice_.empty()) { lock.lock(); }  // one engine alone (see ingest_mutex_)
  auto stored = db_.transaction([&](Session& s) {
    std::vector<IngestedEvent> out;
    out.reserve(events.size());
    bool to_process = false;
    for (const auto& e : events) {
      out.push_back(insertEvent(s, e));
      to_process = to_process || out.back().needs_processing;
    }
    if (to_process && !ingest_notice_.empty()) { notify(s, kEventsTopic, ingest_notice_); }
    return out;
  });
  if (stored && after_commit) { after_commit(*stored); }
  return stored;
}

Result<std::vector<PendingEvent>> PgStore::pendingEvents(std::int64_t after_id, int limit) {
  return db_.withConnection([&](Session& s) {
    return allOf(s.run("SELECT id, pseudonym, shard_key, payload FROM inbound_events "
                       "WHERE processed_at IS NULL AND parked_at IS NULL AND id > $1 "
                       "ORDER BY id LIMIT $2",
                       after_id, limit),
                 readPending);
  });
}

Result<std::vector<PendingEvent>> PgStore::pendingEventsOf(const std::string& pseudonym,
                                                           std::int64_t up_to_id) {
  return db_.withConnection([&](Session& s) {
    return allOf(s.run("SELECT id, pseudonym, shard_key, payload FROM inbound_events "
                       "WHERE processed_at IS NULL AND parked_at IS NULL AND pseudonym = $1 "
                       "AND id <= $2 ORDER BY id",
                       pseudonym, up_to_id),
                 readPending);
  });
}

Result<bool> PgStore::parkEvent(std::int64_t event_id, const std::string& reason, int tries,
                                SysTime now) {
  return db_.withConnection([&](Session& s) {
    return s
               .run("UPDATE inbound_events SET parked_at = $1, park_reason = $2, park_tries = $3 "
                    "WHERE id = $4 AND processed_at IS NULL",
                    toMillis(now), reason, tries, event_id)
               .affected() == 1;
  });
}

Result<void> PgStore::probeEventWrite(std::int64_t event_id) {
  return db_.withConnection([&](Session& s) {
    s.run("UPDATE inbound_events SET park_tries = park_tries WHERE id = $1", event_id);
  });
}

Result<std::vector<ParkedCitizen>> PgStore::parkedCitizens() {
  return db_.withConnection([](Session& s) {
    return allOf(s.run("SELECT pseudonym, max(shard_key), max(id), count(*) FROM inbound_events "
                       "WHERE parked_at IS NOT NULL GROUP BY pseudonym"),
                 [](const Rows& q, int i) {
                   return ParkedCitizen{q.text(i, 0), q.int64(i, 1), q.int64(i, 2),
                                        static_cast<int>(q.int64(i, 3))};
                 });
  });
}

Result<std::optional<CitizenRecord>> PgStore::citizen(const std::string& pseudonym) {
  return db_.withConnection([&](Session& s) {
    return firstOf(s.run(citizenSelect("citizens c WHERE c.pseudonym = $1"), pseudonym),
                   readCitizen);
  });
}

Result<std::optional<ConversationRecord>> PgStore::conversation(const std::string& pseudonym) {
  return db_.withConnection([&](Session& s) {
    return firstOf(s.run("SELECT state, data FROM conversations WHERE pseudonym = $1", pseudonym),
                   [](const Rows& q, int i) { return ConversationRecord{q.text(i, 0), q.text(i, 1)}; });
  });
}

Result<std::vector<NearbyTicketRow>> PgStore::openTicketsNear(const std::string& category_id,
                                                              double lat, double lon,
                                                              double radius_m) {
  // A bounding box on the index, then the caller measures exact distances.
  const double dlat = radius_m / 111320.0;
  const double dlon = radius_m / (111320.0 * std::max(0.01, std::cos(lat * M_PI / 180.0)));
  return db_.withConnection([&](Session& s) {
    return allOf(s.run("SELECT number, category_id, status, lat, lon FROM tickets "
                       "WHERE closed_at IS NULL AND category_id = $1 AND lat BETWEEN $2 AND $3 "
                       "AND lon BETWEEN $4 AND $5 ORDER BY number DESC LIMIT 50",
                       category_id, lat - dlat, lat + dlat, lon - dlon, lon + dlon),
                 [](const Rows& q, int i) {
                   return NearbyTicketRow{q.int64(i, 0), q.text(i, 1), q.text(i, 2),
                                          q.real(i, 3), q.real(i, 4)};
                 });
  });
}

Result<std::optional<TicketRecord>> PgStore::ticketByNumber(std::int64_t number) {
  return db_.withConnection([&](Session& s) {
    Rows rows = s.run(ticketSelect("t.number = $1"), number);
    return rows.empty() ? std::optional<TicketRecord>() : readTicket(s, rows, 0);
  });
}

Result<std::optional<TicketRecord>> PgStore::ticketByFollowToken(const std::string& token_hash) {
  return db_.withConnection([&](Session& s) {
    Rows rows = s.run(ticketSelect("t.follow_token_hash = $1"), token_hash);
    return rows.empty() ? std::optional<TicketRecord>() : readTicket(s, rows, 0);
  });
}

Result<std::vector<TicketRecord>> PgStore::ticketsOf(const std::string& pseudonym, int limit) {
  return db_.withConnection([&](Session& s) {
    Rows rows = s.run(ticketSelect("t.id IN (SELECT ticket_id FROM ticket_followers WHERE "
                                   "pseudonym = $1) OR t.reporter = $1 "
                                   "ORDER BY t.number DESC LIMIT $2"),
                      pseudonym, limit);
    return allOf(rows, [&s](const Rows& q, int i) { return readTicket(s, q, i); });
  });
}

Result<std::int64_t> PgStore::reserveTicketNumber() {
  return db_.withConnection(
      [](Session& s) { return s.run("SELECT nextval('ticket_numbers')").int64(0, 0); });
}

Result<bool> PgStore::commitStep(const StepCommit& step) {
  const double grid = public_grid_m_;
  bool moved = false;
  auto committed = db_.transaction([&step, grid, &moved](Session& s) {
    // First, so that a takeover waits until this step's transaction ends (the lease row stays
    // locked) and a step under a lost lease writes nothing.
    if (step.fence && !PartitionLeases::fence(s, step.fence->owner,
                                              {step.fence->partition, step.fence->token})) {
      moved = true;
      return false;
    }
    const PgStep w{s, toMillis(step.now)};
    std::vector<std::string> recipients{step.pseudonym};
    for (const auto& o : step.outbound) { recipients.push_back(o.pseudonym); }
    lockRecipients(s, recipients);
    // Processed before (a re-run after a crash): nothing changes.
    if (step.event_id != 0 && !markProcessed(w, step.event_id)) { return false; }
    countAnonymously(w, step.counters);
    if (step.forget_citizen) { forgetCitizen(w, step.pseudonym); }
    if (step.erase_citizen) { eraseCitizen(w, step.pseudonym); }
    applySubscriptionChanges(s, step.pseudonym, step.subscription_changes, w.now);
    if (step.citizen) { upsertCitizen(w, *step.citizen); }
    for (const NewConsent& c : step.consents) {
      grantConsent(s, step.pseudonym, c.purpose, c.notice_version, w.now);
    }
    if (step.stop_notifications) {
      setNotificationsStopped(w, step.pseudonym, *step.stop_notifications);
    }
    if (step.conversation) { saveConversation(w, step.pseudonym, *step.conversation); }
    insertMedia(w, step.pseudonym, step.citizen ? step.citizen->channel : Channel::WebChat,
                step.media);
    insertTickets(w, step.tickets, grid);
    followTickets(w, step.pseudonym, step.follow_ticket_numbers);
    queueOutbound(w, step.outbound);
    postTicketMessages(w, step.pseudonym, step.ticket_messages, grid);
    if (step.export_link) { insertExportLink(w, step.pseudonym, *step.export_link); }
    return true;
  });
  if (committed && moved) { return fail(ErrorCode::Conflict, kPartitionMoved); }
  return committed;
}

Result<std::vector<ReplyWindowRecord>> PgStore::replyWindows(const std::string& pseudonym,
                                                             int limit, SysTime day_start) {
  return db_.withConnection([&](Session& s) {
    return allOf(
        s.run(std::string("SELECT t.number, w.opened_at, t.closed_at IS NOT NULL, "
                          "w.last_message_at") +
                  kMessagesToday +
                  "FROM reply_windows w JOIN tickets t ON t.id = w.ticket_id "
                  "WHERE w.pseudonym = $1 ORDER BY w.opened_at DESC, t.number DESC LIMIT $2",
              pseudonym, limit, toMillis(day_start)),
        readReplyWindow);
  });
}

Result<std::vector<TicketMessageRecord>> PgStore::ticketMessagesOf(const std::string& pseudonym,
                                                                   int limit) {
  return db_.withConnection([&](Session& s) {
    return allOf(s.run("SELECT t.number, e.body, e.media_id IS NOT NULL, e.created_at "
                       "FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
                       "WHERE e.author = $1 AND e.kind = 'citizen_message' ORDER BY e.id LIMIT $2",
                       pseudonym, limit),
                 [](const Rows& q, int i) {
                   return TicketMessageRecord{q.int64(i, 0), q.text(i, 1), q.flag(i, 2),
                                              fromMillis(q.int64(i, 3))};
                 });
  });
}

Result<std::optional<ReplyWindowRecord>> PgStore::quotedTicket(const std::string& pseudonym,
                                                               const std::string& provider_id_hash,
                                                               SysTime day_start) {
  if (provider_id_hash.empty()) { return std::optional<ReplyWindowRecord>(); }
  // Only the citizen's own messages count: a quoted id of someone else's chat finds nothing.
  return db_.withConnection([&](Session& s) {
    return firstOf(
        s.run(std::string("SELECT t.number, coalesce(w.opened_at, 0), t.closed_at IS NOT NULL, "
                          "w.last_message_at") +
                  kMessagesToday +
                  "FROM outbox o JOIN tickets t ON t.id = o.ticket_id "
                  "LEFT JOIN reply_windows w ON w.ticket_id = t.id AND w.pseudonym = o.pseudonym "
                  "WHERE o.provider_message_id = $1 AND o.pseudonym = $2 LIMIT 1",
              provider_id_hash, pseudonym, toMillis(day_start)),
        readReplyWindow);
  });
}

Result<std::optional<ReplyWindowRecord>> PgStore::ownTicket(const std::string& pseudonym,
                                                            std::int64_t number,
                                                            SysTime day_start) {
  return db_.withConnection([&](Session& s) {
    return firstOf(
        s.run(std::string("SELECT t.number, coalesce(w.opened_at, 0), t.closed_at IS NOT NULL, "
                          "w.last_message_at") +
                  kMessagesToday +
                  "FROM tickets t LEFT JOIN reply_windows w "
                  "ON w.ticket_id = t.id AND w.pseudonym = $1 "
                  "WHERE t.number = $2 AND t.reporter = $1 AND $1 <> '' LIMIT 1",
              pseudonym, number, toMillis(day_start)),
        readReplyWindow);
  });
}

Result<std::vector<CitizenRecord>> PgStore::followersOf(std::int64_t number) {
  return db_.withConnection([&](Session& s) {
    return allOf(s.run(citizenSelect("ticket_followers f JOIN tickets t ON t.id = f.ticket_id "
                                     "JOIN citizens c ON c.pseudonym = f.pseudonym "
                                     "WHERE t.number = $1 ORDER BY f.created_at"),
                       number),
                 readCitizen);
  });
}

Result<void> PgStore::changeStatus(const StatusChange& change) {
  return db_.transaction([&change, grid = public_grid_m_](Session& s) {
    const std::int64_t ticket_id = ticketIdOf(s, change.number);
    if (ticket_id == 0) { throw std::runtime_error("ticket not found"); }
    writeStatusChange(s, ticket_id, change, grid);
  });
}

Result<std::vector<StatusHistoryEntry>> PgStore::statusHistory(std::int64_t number) {
  return db_.withConnection([&](Session& s) {
    return allOf(s.run("SELECT e.status, e.body, e.created_at FROM ticket_events e "
                       "JOIN tickets t ON t.id = e.ticket_id WHERE t.number = $1 "
                       "AND e.kind IN ('created', 'status_changed') ORDER BY e.id",
                       number),
                 [](const Rows& q, int i) {
                   // The citizen's own description on "created" is not part of the history.
                   return StatusHistoryEntry{q.text(i, 0), i == 0 ? std::string() : q.text(i, 1),
                                             fromMillis(q.int64(i, 2))};
                 });
  });
}

Result<std::vector<StatusHistoryEntry>> PgStore::staffReplies(std::int64_t number) {
  return db_.withConnection([&](Session& s) {
    return allOf(s.run("SELECT e.body, e.created_at FROM ticket_events e "
                       "JOIN tickets t ON t.id = e.ticket_id WHERE t.number = $1 "
                       "AND e.kind = 'staff_reply' AND e.body <> '' ORDER BY e.id LIMIT 200",
                       number),
                 [](const Rows& q, int i) {
                   return StatusHistoryEntry{"", q.text(i, 0), fromMillis(q.int64(i, 1))};
                 });
  });
}

Result<std::vector<OutboxRow>> PgStore::dueOutbox(Channel channel, SysTime now, int limit) {
  // The oldest queued row per recipient, if it is due: later rows wait for it.
  return db_.withConnection([&](Session& s) {
    return allOf(
        s.run(std::string("SELECT ") + kOutboxColumns +
                  " FROM outbox o WHERE o.channel = $1 AND o.status = 'queued' "
                  "AND o.id = (SELECT min(id) FROM outbox i WHERE i.channel = o.channel "
                  "AND i.pseudonym = o.pseudonym AND i.status = 'queued') "
                  "AND o.next_attempt_at <= $2 ORDER BY o.next_attempt_at, o.id LIMIT $3",
              toString(channel), toMillis(now), limit),
        readOutbox);
  });
}

Result<bool> PgStore::claimOutbox(std::int64_t id, SysTime now, SysTime until) {
  // The lease is the row's next attempt: a claimed row is not due for anyone else, and the
  // recipient's later rows wait behind it as behind any queued row. SKIP LOCKED: an instance
  // claiming the same row at this moment wins, this one goes on without waiting.
  return db_.withConnection([&](Session& s) {
    return !s.run("UPDATE outbox SET next_attempt_at = $3 WHERE id = (SELECT id FROM outbox "
                  "WHERE id = $1 AND status = 'queued' AND next_attempt_at <= $2 "
                  "FOR UPDATE SKIP LOCKED) RETURNING id",
                  id, toMillis(now), toMillis(until))
                .empty();
  });
}

Result<std::vector<OutboxRow>> PgStore::outboxFor(const std::string& pseudonym, Channel channel,
                                                  std::int64_t after_id, int limit) {
  return db_.withConnection([&](Session& s) {
    return allOf(s.run(std::string("SELECT ") + kOutboxColumns +
                           " FROM outbox WHERE pseudonym = $1 AND channel = $2 AND id > $3 "
                           "ORDER BY id LIMIT $4",
                       pseudonym, toString(channel), after_id, limit),
                 readOutbox);
  });
}

Result<void> PgStore::markOutbox(std::int64_t id, const std::string& status,
                                 const std::string& provider_message_id, const std::string& error,
                                 int tries, SysTime next_attempt_at, SysTime now) {
  // Once a row is final its sealed address is no longer needed: it is wiped.
  return db_.withConnection([&](Session& s) {
    s.run("UPDATE outbox SET status = $1, provider_message_id = coalesce(nullif($2, ''), "
          "provider_message_id), error = nullif($3, ''), tries = $4, next_attempt_at = $5, "
          "updated_at = $6, address_ct = CASE WHEN $1 IN ('sent', 'delivered', 'read', "
          "'failed', 'dead') THEN '\\x'::bytea ELSE address_ct END WHERE id = $7",
          status, provider_message_id, error, tries, toMillis(next_attempt_at), toMillis(now), id);
  });
}

void PgStore::markOutboxThen(std::int64_t id, const std::string& status,
                             const std::string& provider_message_id, const std::string& error,
                             int tries, SysTime next_attempt_at, SysTime now,
                             std::function<void(Result<void>)> done) {
  auto r = markOutbox(id, status, provider_message_id, error, tries, next_attempt_at, now);
  if (done) { done(std::move(r)); }
}

Result<std::int64_t> PgStore::counter(const std::string& name) {
  return db_.withConnection([&](Session& s) -> std::int64_t {
    Rows rows = s.run("SELECT value FROM counters WHERE name = $1", name);
    return rows.empty() ? 0 : rows.int64(0, 0);
  });
}

Result<std::vector<std::string>> PgStore::mediaContentOf(const std::string& pseudonym) {
  return db_.withConnection([&](Session& s) {
    return allOf(s.run("SELECT DISTINCT content_id FROM media WHERE pseudonym = $1 "
                       "AND content_id IS NOT NULL",
                       pseudonym),
                 text0);
  });
}

Result<std::optional<std::string>> PgStore::readyMediaContent(std::int64_t media_id) {
  return db_.withConnection([&](Session& s) {
    return firstOf(s.run("SELECT content_id FROM media WHERE id = $1 AND status = 'ready' "
                         "AND content_id IS NOT NULL",
                         media_id),
                   text0);
  });
}

Result<bool> PgStore::mediaContentInUse(const std::string& content_id) {
  return db_.withConnection([&](Session& s) {
    return !s.run("SELECT 1 FROM media WHERE content_id = $1 LIMIT 1", content_id).empty();
  });
}

Result<int> PgStore::heldOutboxCount(const std::string& pseudonym) {
  return db_.withConnection([&](Session& s) {
    return static_cast<int>(
        s.run("SELECT count(*) FROM outbox WHERE pseudonym = $1 AND status = 'held'", pseudonym)
            .int64(0, 0));
  });
}

Result<std::vector<std::string>> PgStore::heldOutboxPayloads(const std::string& pseudonym) {
  return db_.withConnection([&](Session& s) {
    return allOf(s.run("SELECT payload FROM outbox WHERE pseudonym = $1 AND status = 'held' "
                       "ORDER BY id",
                       pseudonym),
                 text0);
  });
}

Result<int> PgStore::releaseHeldOutbox(const std::string& pseudonym, SysTime inbound_at) {
  return db_.transaction([&](Session& s) {
    const auto released = s.run("UPDATE outbox SET status = 'queued', next_attempt_at = 0 "
                                "WHERE pseudonym = $1 AND status = 'held'",
                                pseudonym)
                              .affected();
    if (inbound_at != SysTime{}) {
      s.run("UPDATE citizens SET last_inbound_at = $1 WHERE pseudonym = $2 AND "
            "(last_inbound_at IS NULL OR last_inbound_at < $1)",
            toMillis(inbound_at), pseudonym);
    }
    return static_cast<int>(released);
  });
}

Result<std::int64_t> PgStore::ticketNumberById(std::int64_t ticket_id) {
  return db_.withConnection([&](Session& s) -> std::int64_t {
    Rows rows = s.run("SELECT number FROM tickets WHERE id = $1", ticket_id);
    return rows.empty() ? 0 : rows.int64(0, 0);
  });
}

Result<void> PgStore::markCitizenUnreachable(const std::string& pseudonym, SysTime now) {
  (void)now;
  return db_.withConnection([&](Session& s) {
    s.run("UPDATE citizens SET unreachable = 1 WHERE pseudonym = $1", pseudonym);
  });
}

Result<std::vector<MediaJob>> PgStore::dueMedia(Channel channel, SysTime now, int limit) {
  return db_.withConnection([&](Session& s) {
    return allOf(s.run("SELECT id, pseudonym, channel, source_ref, coalesce(mime_type, ''), "
                       "tries, created_at FROM media WHERE channel = $1 AND status = 'pending' "
                       "AND source_ref <> 'upload' AND next_attempt_at <= $2 ORDER BY id LIMIT $3",
                       toString(channel), toMillis(now), limit),
                 [](const Rows& q, int i) {
                   MediaJob j;
                   j.id = q.int64(i, 0);
                   j.pseudonym = q.text(i, 1);
                   j.channel = channelAt(q, i, 2);
                   j.source_ref = q.text(i, 3);
                   j.mime_type = q.text(i, 4);
                   j.tries = static_cast<int>(q.int64(i, 5));
                   j.created_at = fromMillis(q.int64(i, 6));
                   return j;
                 });
  });
}

Result<void> PgStore::markMedia(std::int64_t id, const std::string& status,
                                const std::string& content_id, const std::string& error, int tries,
                                SysTime next_attempt_at) {
  return db_.withConnection([&](Session& s) {
    s.run("UPDATE media SET status = $1, content_id = coalesce(nullif($2, ''), content_id), "
          "error = nullif($3, ''), tries = $4, next_attempt_at = $5 "
          "WHERE id = $6 AND status = 'pending'",
          status, content_id, error, tries, toMillis(next_attempt_at), id);
  });
}

}  // namespace bb::storage::pg
