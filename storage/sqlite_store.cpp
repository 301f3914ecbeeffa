#include "storage/sqlite_store.hpp"

#include <cmath>

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/rows.hpp"
#include "storage/sqlite_case_store.hpp"
#include "storage/sqlite_subscription_store.hpp"
#include "storage/step_parts.hpp"
#include "storage/ticket_rows.hpp"

namespace bb::storage {
namespace {

//! The ticket row with its photos.
TicketRecord readTicket(SQLite::Database& db, SQLite::Statement& q) {
  TicketRecord t = readTicketRow(q);
  t.photo_media_ids = ticketPhotoIds(db, t.id);
  return t;
}

bool isClosedStatus(const std::string& s) {
  return s == "erledigt" || s == "nicht_zustaendig" || s == "duplikat" || s == "geschlossen";
}

constexpr const char* kOutboxColumns =
    "id, channel, pseudonym, address_ct, key_id, payload, kind, status, tries, ticket_id, created_at";

OutboxRow readOutbox(SQLite::Statement& q) {
  OutboxRow r;
  r.id = q.getColumn(0).getInt64();
  r.channel = channelOf(q.getColumn(1));
  r.pseudonym = q.getColumn(2).getString();
  r.address_ct = blob(q.getColumn(3));
  r.key_id = q.getColumn(4).getString();
  r.payload = q.getColumn(5).getString();
  r.kind = q.getColumn(6).getString();
  r.status = q.getColumn(7).getString();
  r.tries = q.getColumn(8).getInt();
  r.ticket_id = optionalId(q.getColumn(9));
  r.created_at = fromMillis(q.getColumn(10).getInt64());
  return r;
}

PendingEvent readPending(SQLite::Statement& q) {
  return PendingEvent{q.getColumn(0).getInt64(), q.getColumn(1).getString(),
                      q.getColumn(2).getInt64(), q.getColumn(3).getString()};
}

ConversationRecord readConversation(SQLite::Statement& q) {
  return ConversationRecord{q.getColumn(0).getString(), q.getColumn(1).getString()};
}

NearbyTicketRow readNearby(SQLite::Statement& q) {
  return NearbyTicketRow{q.getColumn(0).getInt64(), q.getColumn(1).getString(),
                         q.getColumn(2).getString(), q.getColumn(3).getDouble(),
                         q.getColumn(4).getDouble()};
}

MediaJob readMediaJob(SQLite::Statement& q) {
  MediaJob j;
  j.id = q.getColumn(0).getInt64();
  j.pseudonym = q.getColumn(1).getString();
  j.channel = channelOf(q.getColumn(2));
  j.source_ref = q.getColumn(3).getString();
  j.mime_type = q.getColumn(4).getString();
  j.tries = q.getColumn(5).getInt();
  j.created_at = fromMillis(q.getColumn(6).getInt64());
  return j;
}

//! Marks the step's inbound event processed and drops its payload; false when it was processed
//! before (the step then changes nothing).
bool markProcessed(const StepWriter& w, std::int64_t event_id) {
  SQLite::Statement& done = w.compiled(
      "UPDATE inbound_events SET processed_at = ?, payload = NULL "
      "WHERE id = ? AND processed_at IS NULL");
  bindAll(done, w.now, event_id);
  return done.exec() != 0;
}

void countAnonymously(const StepWriter& w, const std::vector<std::string>& counters) {
  for (const auto& name : counters) {
    SQLite::Statement& c = w.compiled(
        "INSERT INTO counters (name, value) VALUES (?, 1) "
        "ON CONFLICT (name) DO UPDATE SET value = value + 1");
    c.bind(1, name);
    c.exec();
  }
}

}  // namespace

Result<std::vector<IngestedEvent>> SqliteStore::ingest(
    const std::vector<NewInboundEvent>& events,
    const std::function<void(const std::vector<IngestedEvent>&)>& after_commit) {
  auto out = std::make_shared<std::vector<IngestedEvent>>();
  WriteJob job;
  job.run = [this, &events, out](SQLite::Database& db) {
    out->clear();
    SQLite::Statement& insert = db_.writerStatement(
        db,
        "INSERT INTO inbound_events (channel, external_id, pseudonym, shard_key, received_at, "
        "payload, processed_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (channel, external_id) DO NOTHING");
    for (const auto& e : events) {
      const bool receipt = e.delivery.has_value();
      insert.bind(1, toString(e.channel));
      insert.bind(2, e.external_id);
      insert.bind(3, e.pseudonym);
      insert.bind(4, e.shard_key);
      insert.bind(5, toMillis(e.received_at));
      if (receipt) {
        insert.bind(6);
        insert.bind(7, toMillis(e.received_at));
      } else {
        insert.bind(6, e.payload);
        insert.bind(7);
      }
      const int changed = insert.exec();
      insert.reset();
      IngestedEvent r;
      r.duplicate = changed == 0;
      r.id = r.duplicate ? 0 : db.getLastInsertRowid();
      r.pseudonym = e.pseudonym;
      r.shard_key = e.shard_key;
      r.needs_processing = !r.duplicate && !receipt;
      if (r.needs_processing) { r.payload = e.payload; }
      if (receipt && !r.duplicate) {
        // Receipts only move forward: sent < delivered < read; failed is final.
        SQLite::Statement u(db,
                            "UPDATE outbox SET status = CASE "
                            " WHEN status = 'held' THEN status "
                            " WHEN ? = 'failed' THEN 'failed' "
                            " WHEN status IN ('failed') THEN status "
                            " WHEN ? = 'read' THEN 'read' "
                            " WHEN ? = 'delivered' AND status <> 'read' THEN 'delivered' "
                            " ELSE status END, "
                            "error = CASE WHEN ? <> 'failed' THEN error "
                            " WHEN status = 'held' THEN 'outside_window notice:' || ?5 "
                            " ELSE ?5 END, updated_at = ? "
                            "WHERE provider_message_id = ?");
        const auto& d = *e.delivery;
        u.bind(1, d.status);
        u.bind(2, d.status);
        u.bind(3, d.status);
        u.bind(4, d.status);
        u.bind(5, d.error_code + (d.error_title.empty() ? "" : " " + d.error_title));
        u.bind(6, toMillis(e.received_at));
        u.bind(7, d.provider_message_id);
        u.exec();
      }
      out->push_back(std::move(r));
    }
  };
  job.after_commit = [out, &after_commit] {
    if (after_commit) { after_commit(*out); }
  };
  auto r = db_.write(std::move(job));
  if (!r) { return fail(r.error().code, r.error().detail); }
  return *out;
}

Result<std::vector<PendingEvent>> SqliteStore::pendingEvents(std::int64_t after_id, int limit) {
  return readAll(db_,
                 "SELECT id, pseudonym, shard_key, payload FROM inbound_events "
                 "WHERE processed_at IS NULL AND parked_at IS NULL AND id > ? ORDER BY id LIMIT ?",
                 readPending, after_id, limit);
}

Result<std::vector<PendingEvent>> SqliteStore::pendingEventsOf(const std::string& pseudonym,
                                                               std::int64_t up_to_id) {
  return readAll(db_,
                 "SELECT id, pseudonym, shard_key, payload FROM inbound_events "
                 "WHERE processed_at IS NULL AND parked_at IS NULL AND pseudonym = ? AND id <= ? "
                 "ORDER BY id",
                 readPending, pseudonym, up_to_id);
}

Result<bool> SqliteStore::parkEvent(std::int64_t event_id, const std::string& reason, int tries,
                                    SysTime now) {
  bool parked = false;
  auto r = db_.write([&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "UPDATE inbound_events SET parked_at = ?, park_reason = ?, park_tries = ? "
                        "WHERE id = ? AND processed_at IS NULL");
    bindAll(q, now, reason, tries, event_id);
    parked = q.exec() == 1;
  });
  if (!r) { return fail(r.error().code, r.error().detail); }
  return parked;
}

Result<void> SqliteStore::probeEventWrite(std::int64_t event_id) {
  auto r = db_.write([&](SQLite::Database& db) {
    SQLite::Statement q(db, "UPDATE inbound_events SET park_tries = park_tries WHERE id = ?");
    bindAll(q, event_id);
    q.exec();
  });
  if (!r) { return fail(r.error().code, r.error().detail); }
  return {};
}

Result<std::vector<ParkedCitizen>> SqliteStore::parkedCitizens() {
  return readAll(db_,
                 "SELECT pseudonym, max(shard_key), max(id), count(*) FROM inbound_events "
                 "WHERE parked_at IS NOT NULL GROUP BY pseudonym",
                 [](SQLite::Statement& q) {
                   return ParkedCitizen{q.getColumn(0).getString(), q.getColumn(1).getInt64(),
                                        q.getColumn(2).getInt64(), q.getColumn(3).getInt()};
                 });
}

Result<std::optional<CitizenRecord>> SqliteStore::citizen(const std::string& pseudonym) {
  return readFirst(db_, selectFrom(kCitizenColumns, "citizens c WHERE c.pseudonym = ?"),
                   readCitizen, pseudonym);
}

Result<std::optional<ConversationRecord>> SqliteStore::conversation(const std::string& pseudonym) {
  return readFirst(db_, "SELECT state, data FROM conversations WHERE pseudonym = ?",
                   readConversation, pseudonym);
}

Result<std::vector<NearbyTicketRow>> SqliteStore::openTicketsNear(const std::string& category_id,
                                                                  double lat, double lon,
                                                                  double radius_m) {
  // A bounding box on the index, then the caller measures exact distances.
  const double dlat = radius_m / 111320.0;
  const double dlon = radius_m / (111320.0 * std::max(0.01, std::cos(lat * M_PI / 180.0)));
  return readAll(db_,
                 "SELECT number, category_id, status, lat, lon FROM tickets "
                 "WHERE closed_at IS NULL AND category_id = ? AND lat BETWEEN ? AND ? "
                 "AND lon BETWEEN ? AND ? ORDER BY number DESC LIMIT 50",
                 readNearby, category_id, lat - dlat, lat + dlat, lon - dlon, lon + dlon);
}

Result<std::optional<TicketRecord>> SqliteStore::ticketByNumber(std::int64_t number) {
  return db_.read([&](SQLite::Database& db) {
    return firstRow(
        db, selectFrom(kTicketColumns, "tickets t WHERE t.number = ?"),
        [&db](SQLite::Statement& q) { return readTicket(db, q); }, number);
  });
}

Result<std::optional<TicketRecord>> SqliteStore::ticketByFollowToken(const std::string& token_hash) {
  return db_.read([&](SQLite::Database& db) {
    return firstRow(
        db, selectFrom(kTicketColumns, "tickets t WHERE t.follow_token_hash = ?"),
        [&db](SQLite::Statement& q) { return readTicket(db, q); }, token_hash);
  });
}

Result<std::vector<TicketRecord>> SqliteStore::ticketsOf(const std::string& pseudonym, int limit) {
  return db_.read([&](SQLite::Database& db) {
    return allRows(
        db,
        selectFrom(kTicketColumns,
                   "tickets t WHERE t.id IN (SELECT ticket_id FROM ticket_followers "
                   "WHERE pseudonym = ?) OR t.reporter = ? ORDER BY t.number DESC LIMIT ?"),
        [&db](SQLite::Statement& q) { return readTicket(db, q); }, pseudonym, pseudonym, limit);
  });
}

Result<std::int64_t> SqliteStore::reserveTicketNumber() {
  std::lock_guard lock(ticket_number_mutex_);
  if (next_ticket_number_ == 0) {
    auto highest = db_.read([](SQLite::Database& db) {
      return db.execAndGet("SELECT coalesce(max(number), 0) FROM tickets").getInt64();
    });
    if (!highest) { return fail(highest.error().code, highest.error().detail); }
    next_ticket_number_ = std::max(kFirstTicketNumber, *highest + 1);
  }
  return next_ticket_number_++;
}

Result<bool> SqliteStore::commitStep(const StepCommit& step) {
  // step.fence is not checked: one process owns a SQLite file, so no lease can pass elsewhere.
  bool already_processed = false;
  const double grid = public_grid_m_;
  auto r = db_.write([this, &step, &already_processed, grid](SQLite::Database& db) {
    const StepWriter w{db_, db, toMillis(step.now)};
    if (step.event_id != 0 && !markProcessed(w, step.event_id)) {
      // Processed before (a re-run after a crash): nothing changed, the savepoint ends empty.
      already_processed = true;
      return;
    }
    countAnonymously(w, step.counters);
    if (step.forget_citizen) { forgetCitizen(w, step.pseudonym); }
    if (step.erase_citizen) { eraseCitizen(w, step.pseudonym); }
    applySubscriptionChanges(db, step.pseudonym, step.subscription_changes, w.now);
    if (step.citizen) { upsertCitizen(w, *step.citizen); }
    for (const NewConsent& c : step.consents) {
      grantConsentIn(db, step.pseudonym, c.purpose, c.notice_version, w.now);
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
  });
  if (!r) { return fail(r.error().code, r.error().detail); }
  return !already_processed;
}

namespace {

ReplyWindowRecord readReplyWindow(SQLite::Statement& q) {
  ReplyWindowRecord w;
  w.number = q.getColumn(0).getInt64();
  w.opened_at = fromMillis(q.getColumn(1).getInt64());
  w.ticket_closed = q.getColumn(2).getInt() != 0;
  if (!q.getColumn(3).isNull()) { w.last_message_at = fromMillis(q.getColumn(3).getInt64()); }
  w.messages_today = q.getColumn(4).getInt();
  return w;
}

//! The fifth column of every reply window query: the ticket's citizen messages since ?3.
constexpr const char* kMessagesToday =
    ", (SELECT count(*) FROM ticket_events e WHERE e.ticket_id = t.id "
    "AND e.kind = 'citizen_message' AND e.created_at >= ?3) ";

}  // namespace

Result<std::vector<ReplyWindowRecord>> SqliteStore::replyWindows(const std::string& pseudonym,
                                                                 int limit, SysTime day_start) {
  return readAll(db_,
                 std::string("SELECT t.number, w.opened_at, t.closed_at IS NOT NULL, "
                             "w.last_message_at") +
                     kMessagesToday +
                     "FROM reply_windows w JOIN tickets t ON t.id = w.ticket_id "
                     "WHERE w.pseudonym = ?1 ORDER BY w.opened_at DESC, t.number DESC LIMIT ?2",
                 readReplyWindow, pseudonym, limit, day_start);
}

Result<std::vector<TicketMessageRecord>> SqliteStore::ticketMessagesOf(
    const std::string& pseudonym, int limit) {
  return readAll(db_,
                 "SELECT t.number, e.body, e.media_id IS NOT NULL, e.created_at "
                 "FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
                 "WHERE e.author = ?1 AND e.kind = 'citizen_message' ORDER BY e.id LIMIT ?2",
                 [](SQLite::Statement& q) {
                   return TicketMessageRecord{q.getColumn(0).getInt64(), q.getColumn(1).getString(),
                                              q.getColumn(2).getInt() != 0,
                                              fromMillis(q.getColumn(3).getInt64())};
                 },
                 pseudonym, limit);
}

Result<std::optional<ReplyWindowRecord>> SqliteStore::quotedTicket(
    const std::string& pseudonym, const std::string& provider_id_hash, SysTime day_start) {
  if (provider_id_hash.empty()) { return std::optional<ReplyWindowRecord>(); }
  // Only the citizen's own messages count: a quoted id of someone else's chat finds nothing.
  return readFirst(db_,
                   std::string("SELECT t.number, coalesce(w.opened_at, 0), t.closed_at IS NOT "
                               "NULL, w.last_message_at") +
                       kMessagesToday +
                       "FROM outbox o JOIN tickets t ON t.id = o.ticket_id "
                       "LEFT JOIN reply_windows w ON w.ticket_id = t.id AND w.pseudonym = "
                       "o.pseudonym WHERE o.provider_message_id = ?1 AND o.pseudonym = ?2 LIMIT 1",
                   readReplyWindow, provider_id_hash, pseudonym, day_start);
}

Result<std::optional<ReplyWindowRecord>> SqliteStore::ownTicket(const std::string& pseudonym,
                                                                 std::int64_t number,
                                                                 SysTime day_start) {
  return readFirst(db_,
                   std::string("SELECT t.number, coalesce(w.opened_at, 0), t.closed_at IS NOT "
                               "NULL, w.last_message_at") +
                       kMessagesToday +
                       "FROM tickets t LEFT JOIN reply_windows w "
                       "ON w.ticket_id = t.id AND w.pseudonym = ?1 "
                       "WHERE t.number = ?2 AND t.reporter = ?1 AND ?1 <> '' LIMIT 1",
                   readReplyWindow, pseudonym, number, day_start);
}

Result<std::vector<CitizenRecord>> SqliteStore::followersOf(std::int64_t number) {
  return readAll(db_,
                 selectFrom(kCitizenColumns,
                            "ticket_followers f JOIN tickets t ON t.id = f.ticket_id "
                            "JOIN citizens c ON c.pseudonym = f.pseudonym WHERE t.number = ? "
                            "ORDER BY f.created_at"),
                 readCitizen, number);
}

void writeStatusChange(SQLite::Database& db, std::int64_t ticket_id, const StatusChange& change,
                       double grid_m) {
  const std::int64_t now = toMillis(change.now);
  SQLite::Statement u(db,
                      "UPDATE tickets SET status = ?, updated_at = ?, closed_at = "
                      "CASE WHEN ? THEN coalesce(closed_at, ?) ELSE NULL END WHERE id = ?");
  bindAll(u, change.new_status, now, isClosedStatus(change.new_status), now, ticket_id);
  u.exec();
  addTicketEvent(db, ticket_id, "status_changed", change.actor, change.new_status, change.note, 0,
                 now);
  appendCaseEntry(db, ticket_id, "status_changed", change.note, now, grid_m);  // same transaction
  OutboundInserter outbox_insert(db);  // prepared once for every follower
  for (const auto& o : change.notifications) {
    const std::int64_t outbox_id = outbox_insert.insert(o, ticket_id, now);
    addTicketEvent(db, ticket_id, "bot_message", "bot", "", "", outbox_id, now);
    // A status change with text is the city writing to the citizen: they may answer.
    if (!change.note.empty()) { openReplyWindow(db, o.pseudonym, ticket_id, now); }
  }
  noteWithheld(db, ticket_id, change.withheld, now);
}

Result<void> SqliteStore::changeStatus(const StatusChange& change) {
  return db_.write([&change, grid = public_grid_m_](SQLite::Database& db) {
    const std::int64_t ticket_id = ticketIdOf(db, change.number);
    if (ticket_id == 0) { throw std::runtime_error("ticket not found"); }
    writeStatusChange(db, ticket_id, change, grid);
  });
}

Result<std::vector<StatusHistoryEntry>> SqliteStore::statusHistory(std::int64_t number) {
  bool first = true;
  return readAll(
      db_,
      "SELECT e.status, e.body, e.created_at FROM ticket_events e "
      "JOIN tickets t ON t.id = e.ticket_id WHERE t.number = ? "
      "AND e.kind IN ('created', 'status_changed') ORDER BY e.id",
      [&first](SQLite::Statement& q) {
        // The citizen's own description on "created" is not part of the public history.
        const bool created = first;
        first = false;
        return StatusHistoryEntry{q.getColumn(0).getString(),
                                  created ? std::string() : q.getColumn(1).getString(),
                                  fromMillis(q.getColumn(2).getInt64())};
      },
      number);
}

Result<std::vector<StatusHistoryEntry>> SqliteStore::staffReplies(std::int64_t number) {
  return readAll(db_,
                 "SELECT e.body, e.created_at FROM ticket_events e "
                 "JOIN tickets t ON t.id = e.ticket_id WHERE t.number = ? "
                 "AND e.kind = 'staff_reply' AND e.body <> '' ORDER BY e.id LIMIT 200",
                 [](SQLite::Statement& q) {
                   return StatusHistoryEntry{"", q.getColumn(0).getString(),
                                             fromMillis(q.getColumn(1).getInt64())};
                 },
                 number);
}

Result<std::vector<OutboxRow>> SqliteStore::dueOutbox(Channel channel, SysTime now, int limit) {
  // The oldest queued row per recipient, if it is due: later rows wait for it (order per
  // recipient holds even across retries). Earliest due first, in the order of the partial
  // index outbox_due, so the scan stops after `limit` rows; ORDER BY id alone made SQLite sort
  // every queued row on each poll (211 ms at 20,000 queued, docs/performance.md).
  return readAll(db_,
                 selectFrom(kOutboxColumns,
                            "outbox o WHERE o.channel = ? AND o.status = 'queued' "
                            "AND o.id = (SELECT min(id) FROM outbox i WHERE i.channel = "
                            "o.channel AND i.pseudonym = o.pseudonym AND i.status = 'queued') "
                            "AND o.next_attempt_at <= ? ORDER BY o.next_attempt_at, o.id LIMIT ?"),
                 readOutbox, toString(channel), now, limit);
}

Result<std::vector<OutboxRow>> SqliteStore::outboxFor(const std::string& pseudonym, Channel channel,
                                                      std::int64_t after_id, int limit) {
  return readAll(db_,
                 selectFrom(kOutboxColumns,
                            "outbox WHERE pseudonym = ? AND channel = ? AND id > ? "
                            "ORDER BY id LIMIT ?"),
                 readOutbox, pseudonym, toString(channel), after_id, limit);
}

namespace {

//! The write of an outbox outcome. Once a row is final its sealed address is no longer needed:
//! wipe it (data minimization; receipts match by provider_message_id, not by address). Kept
//! compiled: one per send.
std::function<void(SQLite::Database&)> outboxMark(Database& database, std::int64_t id,
                                                  std::string status, std::string provider_id,
                                                  std::string error, int tries,
                                                  SysTime next_attempt_at, SysTime now) {
  return [&database, id, status = std::move(status), provider_id = std::move(provider_id),
          error = std::move(error), tries, next_attempt_at, now](SQLite::Database& db) {
    SQLite::Statement& q = database.writerStatement(
        db,
        "UPDATE outbox SET status = ?1, provider_message_id = coalesce(nullif(?2, ''), "
        "provider_message_id), error = nullif(?3, ''), tries = ?4, next_attempt_at = ?5, "
        "updated_at = ?6, address_ct = CASE WHEN ?1 IN ('sent', 'delivered', 'read', "
        "'failed', 'dead') THEN X'' ELSE address_ct END WHERE id = ?7");
    bindAll(q, status, provider_id, error, tries, next_attempt_at, now, id);
    q.exec();
  };
}

}  // namespace

Result<void> SqliteStore::markOutbox(std::int64_t id, const std::string& status,
                                     const std::string& provider_message_id,
                                     const std::string& error, int tries, SysTime next_attempt_at,
                                     SysTime now) {
  return db_.write(
      outboxMark(db_, id, status, provider_message_id, error, tries, next_attempt_at, now));
}

void SqliteStore::markOutboxThen(std::int64_t id, const std::string& status,
                                 const std::string& provider_message_id, const std::string& error,
                                 int tries, SysTime next_attempt_at, SysTime now,
                                 std::function<void(Result<void>)> done) {
  db_.submit(WriteJob{outboxMark(db_, id, status, provider_message_id, error, tries,
                                 next_attempt_at, now),
                      nullptr},
             std::move(done));
}

Result<std::vector<std::string>> SqliteStore::mediaContentOf(const std::string& pseudonym) {
  return readAll(
      db_, "SELECT DISTINCT content_id FROM media WHERE pseudonym = ? AND content_id IS NOT NULL",
      textColumn, pseudonym);
}

Result<std::optional<std::string>> SqliteStore::readyMediaContent(std::int64_t media_id) {
  return readFirst(db_,
                   "SELECT content_id FROM media WHERE id = ? AND status = 'ready' "
                   "AND content_id IS NOT NULL",
                   [](SQLite::Statement& q) { return q.getColumn(0).getString(); }, media_id);
}

Result<bool> SqliteStore::mediaContentInUse(const std::string& content_id) {
  return readExists(db_, "SELECT 1 FROM media WHERE content_id = ? LIMIT 1", content_id);
}

Result<std::int64_t> SqliteStore::counter(const std::string& name) {
  return db_.read([&](SQLite::Database& db) -> std::int64_t {
    SQLite::Statement q(db, "SELECT value FROM counters WHERE name = ?");
    q.bind(1, name);
    return q.executeStep() ? q.getColumn(0).getInt64() : 0;
  });
}

// ---- reply windows (WhatsApp 24 h) and media jobs ----

Result<int> SqliteStore::heldOutboxCount(const std::string& pseudonym) {
  // Read for every processed event: with the reader's kept statement, not compiled each time
  // (it was a quarter of the flow workers' CPU under ingest load, docs/performance.md).
  auto held = readFirst(db_, "SELECT count(*) FROM outbox WHERE pseudonym = ? AND status = 'held'",
                        [](SQLite::Statement& q) { return q.getColumn(0).getInt(); }, pseudonym);
  if (!held) { return fail(held.error().code, held.error().detail); }
  return held->value_or(0);
}

Result<std::vector<std::string>> SqliteStore::heldOutboxPayloads(const std::string& pseudonym) {
  return readAll(db_, "SELECT payload FROM outbox WHERE pseudonym = ? AND status = 'held'",
                 textColumn, pseudonym);
}

Result<int> SqliteStore::releaseHeldOutbox(const std::string& pseudonym, SysTime inbound_at) {
  int released = 0;
  auto r = db_.write([&pseudonym, inbound_at, &released](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "UPDATE outbox SET status = 'queued', next_attempt_at = 0 "
                        "WHERE pseudonym = ? AND status = 'held'");
    q.bind(1, pseudonym);
    released = q.exec();
    if (inbound_at != SysTime{}) {
      SQLite::Statement c(db,
                          "UPDATE citizens SET last_inbound_at = ?1 WHERE pseudonym = ?2 AND "
                          "(last_inbound_at IS NULL OR last_inbound_at < ?1)");
      bindAll(c, inbound_at, pseudonym);
      c.exec();
    }
  });
  if (!r) { return fail(r.error().code, r.error().detail); }
  return released;
}

Result<std::int64_t> SqliteStore::ticketNumberById(std::int64_t ticket_id) {
  return db_.read([&](SQLite::Database& db) -> std::int64_t {
    SQLite::Statement q(db, "SELECT number FROM tickets WHERE id = ?");
    q.bind(1, ticket_id);
    return q.executeStep() ? q.getColumn(0).getInt64() : 0;
  });
}

Result<void> SqliteStore::markCitizenUnreachable(const std::string& pseudonym, SysTime now) {
  (void)now;
  return db_.write([pseudonym](SQLite::Database& db) {
    SQLite::Statement q(db, "UPDATE citizens SET unreachable = 1 WHERE pseudonym = ?");
    q.bind(1, pseudonym);
    q.exec();
  });
}

Result<std::vector<MediaJob>> SqliteStore::dueMedia(Channel channel, SysTime now, int limit) {
  // The query asks for `channel` only, so its name always reads back as a known channel.
  return readAll(db_,
                 "SELECT id, pseudonym, channel, source_ref, coalesce(mime_type, ''), tries, "
                 "created_at FROM media WHERE channel = ? AND status = 'pending' "
                 "AND source_ref <> 'upload' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
                 readMediaJob, toString(channel), now, limit);
}

Result<void> SqliteStore::markMedia(std::int64_t id, const std::string& status,
                                    const std::string& content_id, const std::string& error,
                                    int tries, SysTime next_attempt_at) {
  return db_.write([=](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "UPDATE media SET status = ?, content_id = coalesce(nullif(?, ''), "
                        "content_id), error = nullif(?, ''), tries = ?, next_attempt_at = ? "
                        "WHERE id = ? AND status = 'pending'");
    bindAll(q, status, content_id, error, tries, next_attempt_at, id);
    q.exec();
  });
}

}  // namespace bb::storage
