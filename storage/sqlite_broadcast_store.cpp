#include "storage/sqlite_broadcast_store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/rows.hpp"

namespace bb::storage {

namespace {

constexpr const char* kColumns =
    "id, topic, title, body, link, source, status, scheduled_at, corrects_id, created_at, "
    "sent_at, recipients";

BroadcastRecord readBroadcast(SQLite::Statement& q) {
  BroadcastRecord b;
  b.id = q.getColumn(0).getInt64();
  b.topic = q.getColumn(1).getString();
  b.title = q.getColumn(2).getString();
  b.body = q.getColumn(3).getString();
  b.link = q.getColumn(4).getString();
  b.source = q.getColumn(5).getString();
  b.status = broadcastStatusFromString(q.getColumn(6).getString()).value_or(BroadcastStatus::Draft);
  b.scheduled_at = optionalTime(q.getColumn(7));
  b.corrects_id = optionalId(q.getColumn(8));
  b.created_at = fromMillis(q.getColumn(9).getInt64());
  b.sent_at = optionalTime(q.getColumn(10));
  b.recipients = q.getColumn(11).getInt();
  return b;
}

//! Runs `change` as one write job; when it answers false (the broadcast is not in a state for
//! it, nothing changed) the answer is Conflict.
Result<void> changeInState(Database& db, const std::function<bool(SQLite::Database&)>& change) {
  return changeOrRefuse(db, ErrorCode::Conflict, "broadcast is not in a state for this", change);
}

}  // namespace

Result<std::int64_t> SqliteBroadcastStore::createBroadcast(const NewBroadcast& b, SysTime now) {
  std::int64_t id = 0;
  auto r = db_.write([&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "INSERT INTO bc_broadcasts (topic, title, body, link, source, status, "
                        "corrects_id, created_by, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?)");
    q.bind(1, b.topic);
    q.bind(2, b.title);
    q.bind(3, b.body);
    q.bind(4, b.link);
    q.bind(5, b.source);
    if (b.corrects_id > 0) {
      q.bind(6, b.corrects_id);
    } else {
      q.bind(6);
    }
    q.bind(7, b.source);
    q.bind(8, toMillis(now));
    q.bind(9, toMillis(now));
    q.exec();
    id = db.getLastInsertRowid();
  });
  if (!r) { return fail(r.error().code, r.error().detail); }
  return id;
}

Result<void> SqliteBroadcastStore::updateBroadcast(std::int64_t id, const NewBroadcast& b,
                                                   SysTime now) {
  return changeInState(db_, [&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "UPDATE bc_broadcasts SET topic = ?, title = ?, body = ?, link = ?, "
                        "updated_at = ? WHERE id = ? AND status IN ('draft', 'scheduled')");
    bindAll(q, b.topic, b.title, b.body, b.link, now, id);
    return q.exec() != 0;
  });
}

Result<std::optional<BroadcastRecord>> SqliteBroadcastStore::broadcast(std::int64_t id) {
  return readFirst(db_, selectFrom(kColumns, "bc_broadcasts WHERE id = ?"), readBroadcast, id);
}

Result<std::vector<BroadcastRecord>> SqliteBroadcastStore::recentBroadcasts(int limit) {
  return readAll(db_, selectFrom(kColumns, "bc_broadcasts ORDER BY id DESC LIMIT ?"),
                 readBroadcast, limit);
}

Result<void> SqliteBroadcastStore::scheduleBroadcast(std::int64_t id, SysTime at, SysTime now) {
  return changeInState(db_, [&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "UPDATE bc_broadcasts SET status = 'scheduled', scheduled_at = ?, "
                        "updated_at = ? WHERE id = ? AND status IN ('draft', 'scheduled')");
    bindAll(q, at, now, id);
    return q.exec() != 0;
  });
}

Result<void> SqliteBroadcastStore::cancelBroadcast(std::int64_t id, SysTime now) {
  return changeInState(db_, [&](SQLite::Database& db) {
    const auto status =
        firstRow(db, "SELECT status FROM bc_broadcasts WHERE id = ?", textColumn, id);
    if (!status || *status == "cancelled") { return false; }
    SQLite::Statement q(db,
                        "UPDATE bc_broadcasts SET status = 'cancelled', updated_at = ? WHERE id = ?");
    bindAll(q, now, id);
    q.exec();
    // Rows not sent yet stop; what the channels accepted cannot be called back.
    SQLite::Statement rows(db,
                           "UPDATE outbox SET status = 'cancelled', updated_at = ? WHERE id IN "
                           "(SELECT outbox_id FROM bc_deliveries WHERE broadcast_id = ?) AND "
                           "status IN ('queued', 'held')");
    bindAll(rows, now, id);
    rows.exec();
    return true;
  });
}

Result<std::vector<std::int64_t>> SqliteBroadcastStore::dueBroadcasts(SysTime now) {
  return readAll(
      db_,
      "SELECT id FROM bc_broadcasts WHERE status = 'scheduled' AND scheduled_at <= ? "
      "ORDER BY scheduled_at, id",
      int64Column, now);
}

Result<BroadcastBacklog> SqliteBroadcastStore::backlog(Channel channel) {
  return db_.read([&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "SELECT count(*), COALESCE(MAX(next_attempt_at), 0) FROM outbox WHERE "
                        "channel = ? AND kind = 'broadcast' AND status = 'queued'");
    q.bind(1, toString(channel));
    q.executeStep();
    return BroadcastBacklog{q.getColumn(0).getInt64(), fromMillis(q.getColumn(1).getInt64())};
  });
}

Result<void> SqliteBroadcastStore::commitFanout(std::int64_t id, const std::vector<FanoutRow>& rows,
                                                SysTime now) {
  return changeInState(db_, [&](SQLite::Database& db) {
    const std::int64_t ms = toMillis(now);
    SQLite::Statement mark(db,
                           "UPDATE bc_broadcasts SET status = 'sent', sent_at = ?, updated_at = ?, "
                           "recipients = ? WHERE id = ? AND status IN ('draft', 'scheduled')");
    bindAll(mark, ms, ms, static_cast<std::int64_t>(rows.size()), id);
    if (mark.exec() == 0) { return false; }
    SQLite::Statement insert(db,
                             "INSERT INTO outbox (channel, pseudonym, address_ct, key_id, payload, "
                             "kind, status, next_attempt_at, created_at, updated_at) "
                             "VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)");
    SQLite::Statement link(db,
                           "INSERT INTO bc_deliveries (broadcast_id, outbox_id, channel) "
                           "VALUES (?, ?, ?)");
    for (const FanoutRow& row : rows) {
      const NewOutbound& o = row.outbound;
      insert.reset();
      insert.bind(1, toString(o.channel));
      insert.bind(2, o.pseudonym);
      insert.bind(3, o.address_ct.data(), static_cast<int>(o.address_ct.size()));
      insert.bind(4, o.key_id);
      insert.bind(5, o.payload);
      insert.bind(6, o.kind);
      insert.bind(7, toMillis(row.due));
      insert.bind(8, ms);
      insert.bind(9, ms);
      insert.exec();
      link.reset();
      link.bind(1, id);
      link.bind(2, db.getLastInsertRowid());
      link.bind(3, toString(o.channel));
      link.exec();
    }
    return true;
  });
}

Result<BroadcastProgress> SqliteBroadcastStore::progress(std::int64_t id) {
  return db_.read([&](SQLite::Database& db) {
    BroadcastProgress p;
    SQLite::Statement q(db,
                        "SELECT o.status, COUNT(*) FROM bc_deliveries d JOIN outbox o ON "
                        "o.id = d.outbox_id WHERE d.broadcast_id = ? GROUP BY o.status");
    q.bind(1, id);
    while (q.executeStep()) {
      addToProgress(p, q.getColumn(0).getString(), q.getColumn(1).getInt());
    }
    return p;
  });
}

Result<std::optional<std::string>> SqliteBroadcastStore::oparlState(const std::string& key) {
  return db_.read([&](SQLite::Database& db) -> std::optional<std::string> {
    SQLite::Statement q(db, "SELECT value FROM oparl_state WHERE key = ?");
    q.bind(1, key);
    if (!q.executeStep()) { return std::nullopt; }
    return q.getColumn(0).getString();
  });
}

Result<void> SqliteBroadcastStore::setOparlState(const std::string& key, const std::string& value) {
  return db_.write([&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "INSERT INTO oparl_state (key, value) VALUES (?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    q.bind(1, key);
    q.bind(2, value);
    q.exec();
  });
}

Result<bool> SqliteBroadcastStore::oparlEventSeen(const std::string& key) {
  return readExists(db_, "SELECT 1 FROM oparl_events WHERE key = ?", key);
}

Result<void> SqliteBroadcastStore::recordOparlEvent(const std::string& key,
                                                    const std::string& object_id,
                                                    std::int64_t broadcast_id, SysTime now) {
  return db_.write([&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "INSERT INTO oparl_events (key, object_id, broadcast_id, created_at) "
                        "VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING");
    q.bind(1, key);
    q.bind(2, object_id);
    if (broadcast_id > 0) {
      q.bind(3, broadcast_id);
    } else {
      q.bind(3);
    }
    q.bind(4, toMillis(now));
    q.exec();
  });
}

Result<std::vector<std::int64_t>> SqliteBroadcastStore::oparlBroadcastsOf(
    const std::string& object_id) {
  return readAll(
      db_,
      "SELECT broadcast_id FROM oparl_events WHERE (object_id = ?1 OR "
      "substr(object_id, 1, length(?1) + 1) = ?1 || '#') AND "
      "broadcast_id IS NOT NULL ORDER BY broadcast_id",
      int64Column, object_id);
}

}  // namespace bb::storage
