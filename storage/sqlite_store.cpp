#include "storage/sqlite_store.hpp"

#include "storage/ticket_rows.hpp"

#include <cmath>

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/sqlite_case_store.hpp"
#include "storage/sqlite_subscription_store.hpp"

namespace bb::storage {
namespace {

//! Thrown inside a write job to roll back its savepoint when the event was processed before.
struct AlreadyProcessed : std::exception {
  const char* what() const noexcept override { return "already processed"; }
};

std::string blob(const SQLite::Column& c) {
  if (c.isNull()) { return {}; }
  return std::string(static_cast<const char*>(c.getBlob()), static_cast<std::size_t>(c.getBytes()));
}

void bindBlob(SQLite::Statement& q, int index, const std::string& bytes) {
  q.bind(index, bytes.data(), static_cast<int>(bytes.size()));
}

Channel channelOf(const std::string& name) { return channelFromString(name).value_or(Channel::WebChat); }

CitizenRecord readCitizen(SQLite::Statement& q) {
  CitizenRecord c;
  c.pseudonym = q.getColumn(0).getString();
  c.channel = channelOf(q.getColumn(1).getString());
  c.address_ct = blob(q.getColumn(2));
  c.key_id = q.getColumn(3).getString();
  c.lang = q.getColumn(4).getString();
  c.consent_version = q.getColumn(5).getInt();
  c.unreachable = q.getColumn(6).getInt() != 0;
  if (!q.getColumn(7).isNull()) { c.last_inbound_at = fromMillis(q.getColumn(7).getInt64()); }
  if (!q.getColumn(8).isNull()) { c.consent_at = fromMillis(q.getColumn(8).getInt64()); }
  return c;
}

constexpr const char* kCitizenColumns =
    "c.pseudonym, c.channel, c.address_ct, c.key_id, c.lang, c.consent_version, c.unreachable, "
    "c.last_inbound_at, c.consent_at";

constexpr const char* kTicketColumns =
    "id, number, kind, category_id, department, district_id, status, lat, lon, address_text, "
    "description, extra_answer, channel, reporter, created_at, updated_at, closed_at";

TicketRecord readTicket(SQLite::Database& db, SQLite::Statement& q) {
  TicketRecord t;
  t.id = q.getColumn(0).getInt64();
  t.number = q.getColumn(1).getInt64();
  t.kind = q.getColumn(2).getString();
  t.category_id = q.getColumn(3).getString();
  t.department = q.getColumn(4).getString();
  t.district_id = q.getColumn(5).getString();
  t.status = q.getColumn(6).getString();
  if (!q.getColumn(7).isNull()) { t.lat = q.getColumn(7).getDouble(); }
  if (!q.getColumn(8).isNull()) { t.lon = q.getColumn(8).getDouble(); }
  t.address_text = q.getColumn(9).getString();
  t.description = q.getColumn(10).getString();
  t.extra_answer = q.getColumn(11).getString();
  t.channel = channelOf(q.getColumn(12).getString());
  t.reporter = q.getColumn(13).isNull() ? std::string() : q.getColumn(13).getString();
  t.created_at = fromMillis(q.getColumn(14).getInt64());
  t.updated_at = fromMillis(q.getColumn(15).getInt64());
  if (!q.getColumn(16).isNull()) { t.closed_at = fromMillis(q.getColumn(16).getInt64()); }
  SQLite::Statement p(db, "SELECT media_id FROM ticket_photos WHERE ticket_id = ? ORDER BY position");
  p.bind(1, t.id);
  while (p.executeStep()) { t.photo_media_ids.push_back(std::to_string(p.getColumn(0).getInt64())); }
  return t;
}

bool isClosedStatus(const std::string& s) {
  return s == "erledigt" || s == "nicht_zustaendig" || s == "duplikat" || s == "geschlossen";
}


OutboxRow readOutbox(SQLite::Statement& q) {
  OutboxRow r;
  r.id = q.getColumn(0).getInt64();
  r.channel = channelOf(q.getColumn(1).getString());
  r.pseudonym = q.getColumn(2).getString();
  r.address_ct = blob(q.getColumn(3));
  r.key_id = q.getColumn(4).getString();
  r.payload = q.getColumn(5).getString();
  r.kind = q.getColumn(6).getString();
  r.status = q.getColumn(7).getString();
  r.tries = q.getColumn(8).getInt();
  r.ticket_id = q.getColumn(9).isNull() ? 0 : q.getColumn(9).getInt64();
  r.created_at = fromMillis(q.getColumn(10).getInt64());
  return r;
}

constexpr const char* kOutboxColumns =
    "id, channel, pseudonym, address_ct, key_id, payload, kind, status, tries, ticket_id, created_at";

}  // namespace

std::int64_t toMillis(SysTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

SysTime fromMillis(std::int64_t ms) { return SysTime(std::chrono::milliseconds(ms)); }

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
                            " WHEN ? = 'failed' THEN 'failed' "
                            " WHEN status IN ('failed') THEN status "
                            " WHEN ? = 'read' THEN 'read' "
                            " WHEN ? = 'delivered' AND status <> 'read' THEN 'delivered' "
                            " ELSE status END, "
                            "error = CASE WHEN ? = 'failed' THEN ? ELSE error END, updated_at = ? "
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
  return db_.read([&](SQLite::Database& db) {
    std::vector<PendingEvent> out;
    SQLite::Statement q(db,
                        "SELECT id, pseudonym, shard_key, payload FROM inbound_events "
                        "WHERE processed_at IS NULL AND id > ? ORDER BY id LIMIT ?");
    q.bind(1, after_id);
    q.bind(2, limit);
    while (q.executeStep()) {
      out.push_back(PendingEvent{q.getColumn(0).getInt64(), q.getColumn(1).getString(),
                                 q.getColumn(2).getInt64(), q.getColumn(3).getString()});
    }
    return out;
  });
}

Result<std::optional<CitizenRecord>> SqliteStore::citizen(const std::string& pseudonym) {
  return db_.read([&](SQLite::Database& db) -> std::optional<CitizenRecord> {
    SQLite::Statement q(db, std::string("SELECT ") + kCitizenColumns +
                                " FROM citizens c WHERE c.pseudonym = ?");
    q.bind(1, pseudonym);
    if (!q.executeStep()) { return std::nullopt; }
    return readCitizen(q);
  });
}

Result<std::optional<ConversationRecord>> SqliteStore::conversation(const std::string& pseudonym) {
  return db_.read([&](SQLite::Database& db) -> std::optional<ConversationRecord> {
    SQLite::Statement q(db, "SELECT state, data FROM conversations WHERE pseudonym = ?");
    q.bind(1, pseudonym);
    if (!q.executeStep()) { return std::nullopt; }
    return ConversationRecord{q.getColumn(0).getString(), q.getColumn(1).getString()};
  });
}

Result<std::vector<NearbyTicketRow>> SqliteStore::openTicketsNear(const std::string& category_id,
                                                                  double lat, double lon,
                                                                  double radius_m) {
  return db_.read([&](SQLite::Database& db) {
    // A bounding box on the index, then the caller measures exact distances.
    const double dlat = radius_m / 111320.0;
    const double dlon = radius_m / (111320.0 * std::max(0.01, std::cos(lat * M_PI / 180.0)));
    std::vector<NearbyTicketRow> out;
    SQLite::Statement q(db,
                        "SELECT number, category_id, status, lat, lon FROM tickets "
                        "WHERE closed_at IS NULL AND category_id = ? AND lat BETWEEN ? AND ? "
                        "AND lon BETWEEN ? AND ? ORDER BY number DESC LIMIT 50");
    q.bind(1, category_id);
    q.bind(2, lat - dlat);
    q.bind(3, lat + dlat);
    q.bind(4, lon - dlon);
    q.bind(5, lon + dlon);
    while (q.executeStep()) {
      out.push_back(NearbyTicketRow{q.getColumn(0).getInt64(), q.getColumn(1).getString(),
                                    q.getColumn(2).getString(), q.getColumn(3).getDouble(),
                                    q.getColumn(4).getDouble()});
    }
    return out;
  });
}

Result<std::optional<TicketRecord>> SqliteStore::ticketByNumber(std::int64_t number) {
  return db_.read([&](SQLite::Database& db) -> std::optional<TicketRecord> {
    SQLite::Statement q(db, std::string("SELECT ") + kTicketColumns + " FROM tickets WHERE number = ?");
    q.bind(1, number);
    if (!q.executeStep()) { return std::nullopt; }
    return readTicket(db, q);
  });
}

Result<std::optional<TicketRecord>> SqliteStore::ticketByFollowToken(const std::string& token_hash) {
  return db_.read([&](SQLite::Database& db) -> std::optional<TicketRecord> {
    SQLite::Statement q(db, std::string("SELECT ") + kTicketColumns +
                                " FROM tickets WHERE follow_token_hash = ?");
    q.bind(1, token_hash);
    if (!q.executeStep()) { return std::nullopt; }
    return readTicket(db, q);
  });
}

Result<std::vector<TicketRecord>> SqliteStore::ticketsOf(const std::string& pseudonym, int limit) {
  return db_.read([&](SQLite::Database& db) {
    std::vector<TicketRecord> out;
    SQLite::Statement q(db, std::string("SELECT ") + kTicketColumns +
                                " FROM tickets WHERE id IN (SELECT ticket_id FROM ticket_followers "
                                "WHERE pseudonym = ?) OR reporter = ? ORDER BY number DESC LIMIT ?");
    q.bind(1, pseudonym);
    q.bind(2, pseudonym);
    q.bind(3, limit);
    while (q.executeStep()) { out.push_back(readTicket(db, q)); }
    return out;
  });
}

Result<std::int64_t> SqliteStore::maxTicketNumber() {
  return db_.read([](SQLite::Database& db) {
    return db.execAndGet("SELECT coalesce(max(number), 0) FROM tickets").getInt64();
  });
}

Result<bool> SqliteStore::commitStep(const StepCommit& step) {
  // The statements every step runs are kept compiled on the writer (db_.writerStatement):
  // compiling them was most of the writer's time under load (docs/performance.md).
  auto r = db_.write([this, &step, grid = public_grid_m_](SQLite::Database& db) {
    const std::int64_t now = toMillis(step.now);
    if (step.event_id != 0) {
      SQLite::Statement& done = db_.writerStatement(
          db, "UPDATE inbound_events SET processed_at = ?, payload = NULL "
              "WHERE id = ? AND processed_at IS NULL");
      done.bind(1, now);
      done.bind(2, step.event_id);
      if (done.exec() == 0) { throw AlreadyProcessed(); }
    }

    for (const auto& name : step.counters) {
      SQLite::Statement& c = db_.writerStatement(
          db, "INSERT INTO counters (name, value) VALUES (?, 1) "
              "ON CONFLICT (name) DO UPDATE SET value = value + 1");
      c.bind(1, name);
      c.exec();
    }
    if (step.forget_citizen) {
      for (const char* sql : {"DELETE FROM conversations WHERE pseudonym = ?",
                              "DELETE FROM citizens WHERE pseudonym = ?",
                              "DELETE FROM media WHERE pseudonym = ?"}) {
        SQLite::Statement d(db, sql);
        d.bind(1, step.pseudonym);
        d.exec();
      }
    }
    if (step.erase_citizen) {
      // Tickets stay for the city's records, without anything that points to the person.
      for (const char* sql : {
               "INSERT INTO ticket_events (ticket_id, kind, actor, body, created_at) "
               "SELECT id, 'erased', 'citizen', '', :now FROM tickets WHERE reporter = :p",
               "UPDATE ticket_events SET body = '' WHERE kind = 'created' AND ticket_id IN "
               "(SELECT id FROM tickets WHERE reporter = :p)",
               "DELETE FROM ticket_photos WHERE ticket_id IN (SELECT id FROM tickets WHERE reporter = :p)",
               "UPDATE tickets SET reporter = NULL, description = '', extra_answer = '', "
               "address_text = '', follow_token_hash = NULL, updated_at = :now WHERE reporter = :p",
               "DELETE FROM ticket_followers WHERE pseudonym = :p",
               // Participation (issue 11): supports go; what was published stays for the public
               // record without the link to the person; what never was public goes.
               "DELETE FROM proposal_supports WHERE pseudonym = :p",
               "DELETE FROM proposal_notices WHERE pseudonym = :p",
               "DELETE FROM proposal_comments WHERE author = :p AND status <> 'published'",
               "UPDATE proposal_comments SET author = NULL WHERE author = :p",
               "DELETE FROM proposal_notices WHERE proposal_id IN (SELECT id FROM proposals "
               "WHERE author = :p AND status IN ('pending', 'rejected'))",
               "DELETE FROM proposals WHERE author = :p AND status IN ('pending', 'rejected')",
               "UPDATE proposals SET author = NULL, photo_media_id = NULL, updated_at = :now "
               "WHERE author = :p",
               "DELETE FROM sub_subscriptions WHERE pseudonym = :p",
               "DELETE FROM consents WHERE pseudonym = :p",
               "DELETE FROM outbox WHERE pseudonym = :p",
               "DELETE FROM media WHERE pseudonym = :p",
               "DELETE FROM conversations WHERE pseudonym = :p",
               "DELETE FROM citizens WHERE pseudonym = :p",
               "UPDATE inbound_events SET payload = NULL, pseudonym = '' WHERE pseudonym = :p"}) {
        SQLite::Statement d(db, sql);
        if (d.getBindParameterCount() > 0) { d.bind(":p", step.pseudonym); }
        if (std::string(sql).find(":now") != std::string::npos) { d.bind(":now", now); }
        d.exec();
      }
    }
    applySubscriptionChanges(db, step.pseudonym, step.subscription_changes, now);
    if (step.citizen) {
      const auto& c = *step.citizen;
      SQLite::Statement& q = db_.writerStatement(db,
                          "INSERT INTO citizens (pseudonym, channel, address_ct, key_id, lang, "
                          "consent_version, consent_at, created_at, last_inbound_at, unreachable) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pseudonym) DO UPDATE SET "
                          "address_ct = excluded.address_ct, key_id = excluded.key_id, "
                          "lang = excluded.lang, "
                          "consent_at = CASE WHEN excluded.consent_version <> citizens.consent_version "
                          "  THEN excluded.consent_at ELSE citizens.consent_at END, "
                          "consent_version = excluded.consent_version, "
                          "last_inbound_at = excluded.last_inbound_at, unreachable = excluded.unreachable");
      q.bind(1, c.pseudonym);
      q.bind(2, toString(c.channel));
      bindBlob(q, 3, c.address_ct);
      q.bind(4, c.key_id);
      q.bind(5, c.lang);
      q.bind(6, c.consent_version);
      if (c.consent_version > 0) {
        q.bind(7, now);
      } else {
        q.bind(7);
      }
      q.bind(8, now);
      if (c.last_inbound_at) {
        q.bind(9, toMillis(*c.last_inbound_at));
      } else {
        q.bind(9);
      }
      q.bind(10, c.unreachable ? 1 : 0);
      q.exec();
    }
    if (step.conversation) {
      SQLite::Statement& q = db_.writerStatement(db,
                          "INSERT INTO conversations (pseudonym, state, data, updated_at) "
                          "VALUES (?, ?, ?, ?) ON CONFLICT (pseudonym) DO UPDATE SET "
                          "state = excluded.state, data = excluded.data, updated_at = excluded.updated_at");
      q.bind(1, step.pseudonym);
      q.bind(2, step.conversation->state);
      q.bind(3, step.conversation->data);
      q.bind(4, now);
      q.exec();
    }
    for (const auto& m : step.media) {
      SQLite::Statement q(db,
                          "INSERT OR IGNORE INTO media (id, pseudonym, channel, source_ref, status, "
                          "content_id, mime_type, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      q.bind(1, m.id);
      q.bind(2, step.pseudonym);
      q.bind(3, step.citizen ? toString(step.citizen->channel) : "webchat");
      q.bind(4, m.source_ref);
      q.bind(5, m.content_id.empty() ? "pending" : "ready");
      if (m.content_id.empty()) {
        q.bind(6);
      } else {
        q.bind(6, m.content_id);
      }
      q.bind(7, m.mime_type);
      q.bind(8, now);
      q.exec();
    }
    for (const auto& t : step.tickets) {
      SQLite::Statement q(db,
                          "INSERT INTO tickets (number, kind, category_id, department, district_id, "
                          "status, lat, lon, address_text, description, extra_answer, channel, "
                          "reporter, follow_token_hash, created_at, updated_at) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      q.bind(1, t.number);
      q.bind(2, t.kind);
      q.bind(3, t.category_id);
      q.bind(4, t.department);
      q.bind(5, t.district_id);
      q.bind(6, t.status);
      if (t.lat && t.lon) {
        q.bind(7, *t.lat);
        q.bind(8, *t.lon);
      } else {
        q.bind(7);
        q.bind(8);
      }
      q.bind(9, t.address_text);
      q.bind(10, t.description);
      q.bind(11, t.extra_answer);
      q.bind(12, t.source.empty() ? toString(t.channel) : "api");
      q.bind(13, t.reporter);
      if (t.follow_token_hash.empty()) {
        q.bind(14);
      } else {
        q.bind(14, t.follow_token_hash);
      }
      q.bind(15, now);
      q.bind(16, now);
      q.exec();
      const std::int64_t ticket_id = db.getLastInsertRowid();
      int position = 0;
      for (auto media_id : t.photo_media_ids) {
        SQLite::Statement p(db, "INSERT OR IGNORE INTO ticket_photos (ticket_id, media_id, position) VALUES (?, ?, ?)");
        p.bind(1, ticket_id);
        p.bind(2, media_id);
        p.bind(3, position++);
        p.exec();
      }
      if (!t.reporter.empty()) {
        SQLite::Statement f(db,
                            "INSERT OR IGNORE INTO ticket_followers (ticket_id, pseudonym, "
                            "created_at) VALUES (?, ?, ?)");
        f.bind(1, ticket_id);
        f.bind(2, t.reporter);
        f.bind(3, now);
        f.exec();
      }
      addTicketEvent(db, ticket_id, "created", t.source.empty() ? "citizen" : t.source, t.status,
                     t.description, 0, now);
      if (!t.source.empty()) { recordTicketSource(db, ticket_id, t.source); }
      appendCaseEntry(db, ticket_id, "created", "", now, grid);  // same transaction (issue 7)
    }
    for (auto number : step.follow_ticket_numbers) {
      const std::int64_t ticket_id = ticketIdOf(db, number);
      if (ticket_id == 0) { continue; }
      SQLite::Statement f(db,
                          "INSERT OR IGNORE INTO ticket_followers (ticket_id, pseudonym, created_at) "
                          "VALUES (?, ?, ?)");
      f.bind(1, ticket_id);
      f.bind(2, step.pseudonym);
      f.bind(3, now);
      f.exec();
      addTicketEvent(db, ticket_id, "follower_added", "citizen", "", "", 0, now);
    }
    OutboundInserter outbox_insert(db, db_.writerStatement(db, kInsertOutboundSql));
    for (const auto& o : step.outbound) {
      const std::int64_t ticket_id = o.ticket_number > 0 ? ticketIdOf(db, o.ticket_number) : 0;
      const std::int64_t outbox_id = outbox_insert.insert(o, ticket_id, now);
      if (ticket_id > 0) { addTicketEvent(db, ticket_id, "bot_message", "bot", "", "", outbox_id, now); }
    }
  });
  if (!r) {
    if (r.error().detail.find("already processed") != std::string::npos) { return false; }
    return fail(r.error().code, r.error().detail);
  }
  return true;
}

Result<std::vector<CitizenRecord>> SqliteStore::followersOf(std::int64_t number) {
  return db_.read([&](SQLite::Database& db) {
    std::vector<CitizenRecord> out;
    SQLite::Statement q(db, std::string("SELECT ") + kCitizenColumns +
                                " FROM ticket_followers f JOIN tickets t ON t.id = f.ticket_id "
                                "JOIN citizens c ON c.pseudonym = f.pseudonym WHERE t.number = ? "
                                "ORDER BY f.created_at");
    q.bind(1, number);
    while (q.executeStep()) { out.push_back(readCitizen(q)); }
    return out;
  });
}

Result<void> SqliteStore::changeStatus(const StatusChange& change) {
  return db_.write([&change, grid = public_grid_m_](SQLite::Database& db) {
    const std::int64_t now = toMillis(change.now);
    const std::int64_t ticket_id = ticketIdOf(db, change.number);
    if (ticket_id == 0) { throw std::runtime_error("ticket not found"); }
    SQLite::Statement u(db,
                        "UPDATE tickets SET status = ?, updated_at = ?, closed_at = "
                        "CASE WHEN ? THEN coalesce(closed_at, ?) ELSE NULL END WHERE id = ?");
    u.bind(1, change.new_status);
    u.bind(2, now);
    u.bind(3, isClosedStatus(change.new_status) ? 1 : 0);
    u.bind(4, now);
    u.bind(5, ticket_id);
    u.exec();
    addTicketEvent(db, ticket_id, "status_changed", change.actor, change.new_status, change.note, 0,
                   now);
    appendCaseEntry(db, ticket_id, "status_changed", change.note, now, grid);  // same transaction
    OutboundInserter outbox_insert(db);  // prepared once for every follower
    for (const auto& o : change.notifications) {
      const std::int64_t outbox_id = outbox_insert.insert(o, ticket_id, now);
      addTicketEvent(db, ticket_id, "bot_message", "bot", "", "", outbox_id, now);
    }
  });
}

Result<std::vector<StatusHistoryEntry>> SqliteStore::statusHistory(std::int64_t number) {
  return db_.read([&](SQLite::Database& db) {
    std::vector<StatusHistoryEntry> out;
    SQLite::Statement q(db,
                        "SELECT e.status, e.body, e.created_at FROM ticket_events e "
                        "JOIN tickets t ON t.id = e.ticket_id WHERE t.number = ? "
                        "AND e.kind IN ('created', 'status_changed') ORDER BY e.id");
    q.bind(1, number);
    while (q.executeStep()) {
      const bool created = out.empty();
      // The citizen's own description on "created" is not part of the public history.
      out.push_back(StatusHistoryEntry{q.getColumn(0).getString(),
                                       created ? std::string() : q.getColumn(1).getString(),
                                       fromMillis(q.getColumn(2).getInt64())});
    }
    return out;
  });
}

Result<std::vector<OutboxRow>> SqliteStore::dueOutbox(Channel channel, SysTime now, int limit) {
  return db_.read([&](SQLite::Database& db) {
    std::vector<OutboxRow> out;
    // The oldest queued row per recipient, if it is due: later rows wait for it (order per
    // recipient holds even across retries). Earliest due first, in the order of the partial
    // index outbox_due, so the scan stops after `limit` rows; ORDER BY id alone made SQLite sort
    // every queued row on each poll (211 ms at 20,000 queued, docs/performance.md).
    SQLite::Statement q(db, std::string("SELECT ") + kOutboxColumns +
                                " FROM outbox o WHERE o.channel = ? AND o.status = 'queued' "
                                "AND o.id = (SELECT min(id) FROM outbox i WHERE i.channel = o.channel "
                                "AND i.pseudonym = o.pseudonym AND i.status = 'queued') "
                                "AND o.next_attempt_at <= ? ORDER BY o.next_attempt_at, o.id LIMIT ?");
    q.bind(1, toString(channel));
    q.bind(2, toMillis(now));
    q.bind(3, limit);
    while (q.executeStep()) { out.push_back(readOutbox(q)); }
    return out;
  });
}

Result<std::vector<OutboxRow>> SqliteStore::outboxFor(const std::string& pseudonym, Channel channel,
                                                      std::int64_t after_id, int limit) {
  return db_.read([&](SQLite::Database& db) {
    std::vector<OutboxRow> out;
    SQLite::Statement q(db, std::string("SELECT ") + kOutboxColumns +
                                " FROM outbox WHERE pseudonym = ? AND channel = ? AND id > ? "
                                "ORDER BY id LIMIT ?");
    q.bind(1, pseudonym);
    q.bind(2, toString(channel));
    q.bind(3, after_id);
    q.bind(4, limit);
    while (q.executeStep()) { out.push_back(readOutbox(q)); }
    return out;
  });
}

Result<void> SqliteStore::markOutbox(std::int64_t id, const std::string& status,
                                     const std::string& provider_message_id,
                                     const std::string& error, int tries, SysTime next_attempt_at,
                                     SysTime now) {
  return db_.write([=, this](SQLite::Database& db) {
    // Once a row is final its sealed address is no longer needed: wipe it (data minimization;
    // receipts match by provider_message_id, not by address). Kept compiled: one per send.
    SQLite::Statement& q = db_.writerStatement(db,
                        "UPDATE outbox SET status = ?1, provider_message_id = coalesce(nullif(?2, ''), "
                        "provider_message_id), error = nullif(?3, ''), tries = ?4, next_attempt_at = ?5, "
                        "updated_at = ?6, address_ct = CASE WHEN ?1 IN ('sent', 'delivered', 'read', "
                        "'failed', 'dead') THEN X'' ELSE address_ct END WHERE id = ?7");
    q.bind(1, status);
    q.bind(2, provider_message_id);
    q.bind(3, error);
    q.bind(4, tries);
    q.bind(5, toMillis(next_attempt_at));
    q.bind(6, toMillis(now));
    q.bind(7, id);
    q.exec();
  });
}

Result<std::vector<std::string>> SqliteStore::mediaContentOf(const std::string& pseudonym) {
  return db_.read([&](SQLite::Database& db) {
    std::vector<std::string> out;
    SQLite::Statement q(db,
                        "SELECT DISTINCT content_id FROM media WHERE pseudonym = ? "
                        "AND content_id IS NOT NULL");
    q.bind(1, pseudonym);
    while (q.executeStep()) { out.push_back(q.getColumn(0).getString()); }
    return out;
  });
}

Result<bool> SqliteStore::mediaContentInUse(const std::string& content_id) {
  return db_.read([&](SQLite::Database& db) {
    SQLite::Statement q(db, "SELECT 1 FROM media WHERE content_id = ? LIMIT 1");
    q.bind(1, content_id);
    return q.executeStep();
  });
}

Result<std::int64_t> SqliteStore::counter(const std::string& name) {
  return db_.read([&](SQLite::Database& db) -> std::int64_t {
    SQLite::Statement q(db, "SELECT value FROM counters WHERE name = ?");
    q.bind(1, name);
    return q.executeStep() ? q.getColumn(0).getInt64() : 0;
  });
}

}  // namespace bb::storage

// ---- WhatsApp (issue 4): reply windows and media jobs ----
namespace bb::storage {

Result<int> SqliteStore::heldOutboxCount(const std::string& pseudonym) {
  return db_.read([&](SQLite::Database& db) {
    SQLite::Statement q(db, "SELECT count(*) FROM outbox WHERE pseudonym = ? AND status = 'held'");
    q.bind(1, pseudonym);
    return q.executeStep() ? q.getColumn(0).getInt() : 0;
  });
}

Result<int> SqliteStore::releaseHeldOutbox(const std::string& pseudonym, SysTime inbound_at) {
  auto released = std::make_shared<int>(0);
  auto r = db_.write([&pseudonym, inbound_at, released](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "UPDATE outbox SET status = 'queued', next_attempt_at = 0 "
                        "WHERE pseudonym = ? AND status = 'held'");
    q.bind(1, pseudonym);
    *released = q.exec();
    if (inbound_at != SysTime{}) {
      SQLite::Statement c(db,
                          "UPDATE citizens SET last_inbound_at = ? WHERE pseudonym = ? AND "
                          "(last_inbound_at IS NULL OR last_inbound_at < ?)");
      c.bind(1, toMillis(inbound_at));
      c.bind(2, pseudonym);
      c.bind(3, toMillis(inbound_at));
      c.exec();
    }
  });
  if (!r) { return fail(r.error().code, r.error().detail); }
  return *released;
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
  return db_.read([&](SQLite::Database& db) {
    std::vector<MediaJob> out;
    SQLite::Statement q(db,
                        "SELECT id, pseudonym, channel, source_ref, coalesce(mime_type, ''), tries, "
                        "created_at FROM media WHERE channel = ? AND status = 'pending' "
                        "AND source_ref <> 'upload' AND next_attempt_at <= ? ORDER BY id LIMIT ?");
    q.bind(1, toString(channel));
    q.bind(2, toMillis(now));
    q.bind(3, limit);
    while (q.executeStep()) {
      MediaJob j;
      j.id = q.getColumn(0).getInt64();
      j.pseudonym = q.getColumn(1).getString();
      j.channel = channelFromString(q.getColumn(2).getString()).value_or(channel);
      j.source_ref = q.getColumn(3).getString();
      j.mime_type = q.getColumn(4).getString();
      j.tries = q.getColumn(5).getInt();
      j.created_at = fromMillis(q.getColumn(6).getInt64());
      out.push_back(std::move(j));
    }
    return out;
  });
}

Result<void> SqliteStore::markMedia(std::int64_t id, const std::string& status,
                                    const std::string& content_id, const std::string& error,
                                    int tries, SysTime next_attempt_at) {
  return db_.write([=](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "UPDATE media SET status = ?, content_id = coalesce(nullif(?, ''), "
                        "content_id), error = nullif(?, ''), tries = ?, next_attempt_at = ? "
                        "WHERE id = ? AND status = 'pending'");
    q.bind(1, status);
    q.bind(2, content_id);
    q.bind(3, error);
    q.bind(4, tries);
    q.bind(5, toMillis(next_attempt_at));
    q.bind(6, id);
    q.exec();
  });
}

}  // namespace bb::storage

// ---- Matrix application service (issue 9): processed homeserver transactions ----
namespace bb::storage {

Result<bool> SqliteStore::matrixTxnSeen(const std::string& txn_id) {
  return db_.read([&](SQLite::Database& db) {
    SQLite::Statement q(db, "SELECT 1 FROM matrix_transactions WHERE txn_id = ?");
    q.bind(1, txn_id);
    return q.executeStep();
  });
}

Result<void> SqliteStore::recordMatrixTxn(const std::string& txn_id, SysTime now) {
  constexpr std::int64_t kKeepMillis = std::int64_t{30} * 24 * 60 * 60 * 1000;
  return db_.write([txn_id, now](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "INSERT INTO matrix_transactions (txn_id, processed_at) VALUES (?, ?) "
                        "ON CONFLICT (txn_id) DO NOTHING");
    q.bind(1, txn_id);
    q.bind(2, toMillis(now));
    q.exec();
    SQLite::Statement old(db, "DELETE FROM matrix_transactions WHERE processed_at < ?");
    old.bind(1, toMillis(now) - kKeepMillis);
    old.exec();
  });
}

}  // namespace bb::storage

// ---- Telegram (issue 8): the poller's offset ----
namespace bb::storage {

Result<void> SqliteStore::setCounter(const std::string& name, std::int64_t value) {
  return db_.write([name, value](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "INSERT INTO counters (name, value) VALUES (?, ?) "
                        "ON CONFLICT (name) DO UPDATE SET value = excluded.value");
    q.bind(1, name);
    q.bind(2, value);
    q.exec();
  });
}

}  // namespace bb::storage
