#include "storage/postgresql/pg_broadcast_store.hpp"

#include <algorithm>

#include "bot/log.hpp"
#include "storage/millis.hpp"
#include "storage/postgresql/pg_step_parts.hpp"

namespace bb::storage::pg {
namespace {

constexpr const char* kColumns =
    "id, topic, title, body, link, source, status, scheduled_at, corrects_id, created_at, "
    "sent_at, recipients";

//! Outbox rows per INSERT of a fan-out (9 parameters each, far below PostgreSQL's 65,535).
constexpr std::size_t kFanoutBatch = 500;
//! A fan-out of at least this many rows refreshes the outbox's statistics.
constexpr std::size_t kAnalyzeFrom = 1000;

BroadcastRecord readBroadcast(const Rows& rows, int i) {
  BroadcastRecord b;
  b.id = rows.int64(i, 0);
  b.topic = rows.text(i, 1);
  b.title = rows.text(i, 2);
  b.body = rows.text(i, 3);
  b.link = rows.text(i, 4);
  b.source = rows.text(i, 5);
  b.status = broadcastStatusFromString(rows.text(i, 6)).value_or(BroadcastStatus::Draft);
  b.scheduled_at = timeAt(rows, i, 7);
  if (!rows.isNull(i, 8)) { b.corrects_id = rows.int64(i, 8); }
  b.created_at = fromMillis(rows.int64(i, 9));
  b.sent_at = timeAt(rows, i, 10);
  b.recipients = static_cast<int>(rows.int64(i, 11));
  return b;
}

std::vector<std::int64_t> ids(const Rows& rows) {
  std::vector<std::int64_t> out;
  for (int i = 0; i < rows.size(); ++i) { out.push_back(rows.int64(i, 0)); }
  return out;
}

//! Runs `change` in one transaction; when it answers false (the broadcast is not in a state for
//! it, nothing changed) the answer is Conflict.
template <class F>
Result<void> changeInState(PgDatabase& db, F&& change) {
  auto changed = db.transaction(std::forward<F>(change));
  if (!changed) { return fail(changed.error().code, changed.error().detail); }
  if (!*changed) { return fail(ErrorCode::Conflict, "broadcast is not in a state for this"); }
  return {};
}

//! One multi-row INSERT of `rows[from, to)` into the outbox, each linked to broadcast `id`.
void insertFanoutBatch(Session& s, std::int64_t id, const std::vector<FanoutRow>& rows,
                       std::size_t from, std::size_t to, std::int64_t now_ms) {
  std::string sql =
      "WITH rows AS (INSERT INTO outbox (channel, pseudonym, address_ct, key_id, payload, kind, "
      "status, next_attempt_at, created_at, updated_at) VALUES ";
  std::vector<Param> params{param(id), param(now_ms)};
  for (std::size_t i = from; i < to; ++i) {
    const NewOutbound& o = rows[i].outbound;
    const std::size_t n = params.size();
    sql += i == from ? "(" : ", (";
    for (std::size_t k = 1; k <= 6; ++k) { sql += "$" + std::to_string(n + k) + ", "; }
    sql += "'queued', $" + std::to_string(n + 7) + ", $2, $2)";
    params.push_back(param(std::string(toString(o.channel))));
    params.push_back(param(o.pseudonym));
    params.push_back(param(Bytes{o.address_ct}));
    params.push_back(param(o.key_id));
    params.push_back(param(o.payload));
    params.push_back(param(o.kind));
    params.push_back(param(toMillis(rows[i].due)));
  }
  sql += " RETURNING id, channel) INSERT INTO bc_deliveries (broadcast_id, outbox_id, channel) "
         "SELECT $1, id, channel FROM rows";
  s.exec(sql, params);
}

}  // namespace

Result<std::int64_t> PgBroadcastStore::createBroadcast(const NewBroadcast& b, SysTime now) {
  return db_.withConnection([&](Session& s) {
    return s
        .run("INSERT INTO bc_broadcasts (topic, title, body, link, source, status, corrects_id, "
             "created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'draft', $6, $5, "
             "$7, $7) RETURNING id",
             b.topic, b.title, b.body, b.link, b.source,
             b.corrects_id > 0 ? param(b.corrects_id) : Param{}, toMillis(now))
        .int64(0, 0);
  });
}

Result<void> PgBroadcastStore::updateBroadcast(std::int64_t id, const NewBroadcast& b,
                                               SysTime now) {
  return changeInState(db_, [&](Session& s) {
    return s.run("UPDATE bc_broadcasts SET topic = $1, title = $2, body = $3, link = $4, "
                 "updated_at = $5 WHERE id = $6 AND status IN ('draft', 'scheduled')",
                 b.topic, b.title, b.body, b.link, toMillis(now), id)
               .affected() != 0;
  });
}

Result<std::optional<BroadcastRecord>> PgBroadcastStore::broadcast(std::int64_t id) {
  return db_.withConnection([&](Session& s) -> std::optional<BroadcastRecord> {
    Rows rows = s.run(std::string("SELECT ") + kColumns + " FROM bc_broadcasts WHERE id = $1", id);
    if (rows.empty()) { return std::nullopt; }
    return readBroadcast(rows, 0);
  });
}

Result<std::vector<BroadcastRecord>> PgBroadcastStore::recentBroadcasts(int limit) {
  return db_.withConnection([&](Session& s) {
    Rows rows = s.run(
        std::string("SELECT ") + kColumns + " FROM bc_broadcasts ORDER BY id DESC LIMIT $1", limit);
    std::vector<BroadcastRecord> out;
    for (int i = 0; i < rows.size(); ++i) { out.push_back(readBroadcast(rows, i)); }
    return out;
  });
}

Result<void> PgBroadcastStore::scheduleBroadcast(std::int64_t id, SysTime at, SysTime now) {
  return changeInState(db_, [&](Session& s) {
    return s.run("UPDATE bc_broadcasts SET status = 'scheduled', scheduled_at = $1, "
                 "updated_at = $2 WHERE id = $3 AND status IN ('draft', 'scheduled')",
                 toMillis(at), toMillis(now), id)
               .affected() != 0;
  });
}

Result<void> PgBroadcastStore::cancelBroadcast(std::int64_t id, SysTime now) {
  return changeInState(db_, [&](Session& s) {
    Rows status = s.run("SELECT status FROM bc_broadcasts WHERE id = $1 FOR UPDATE", id);
    if (status.empty() || status.text(0, 0) == "cancelled") { return false; }
    s.run("UPDATE bc_broadcasts SET status = 'cancelled', updated_at = $1 WHERE id = $2",
          toMillis(now), id);
    // Rows not sent yet stop; what the channels accepted cannot be called back.
    s.run("UPDATE outbox SET status = 'cancelled', updated_at = $1 WHERE id IN "
          "(SELECT outbox_id FROM bc_deliveries WHERE broadcast_id = $2) AND "
          "status IN ('queued', 'held')",
          toMillis(now), id);
    return true;
  });
}

Result<std::vector<std::int64_t>> PgBroadcastStore::dueBroadcasts(SysTime now) {
  return db_.withConnection([&](Session& s) {
    return ids(s.run("SELECT id FROM bc_broadcasts WHERE status = 'scheduled' AND "
                     "scheduled_at <= $1 ORDER BY scheduled_at, id",
                     toMillis(now)));
  });
}

Result<BroadcastBacklog> PgBroadcastStore::backlog(Channel channel) {
  return db_.withConnection([&](Session& s) {
    Rows r = s.run("SELECT count(*), COALESCE(MAX(next_attempt_at), 0) FROM outbox WHERE "
                   "channel = $1 AND kind = 'broadcast' AND status = 'queued'",
                   std::string(toString(channel)));
    return BroadcastBacklog{r.int64(0, 0), fromMillis(r.int64(0, 1))};
  });
}

Result<void> PgBroadcastStore::commitFanout(std::int64_t id, const std::vector<FanoutRow>& rows,
                                            SysTime now) {
  const std::int64_t ms = toMillis(now);
  auto done = changeInState(db_, [&](Session& s) {
    if (s.run("UPDATE bc_broadcasts SET status = 'sent', sent_at = $1, updated_at = $1, "
              "recipients = $2 WHERE id = $3 AND status IN ('draft', 'scheduled')",
              ms, static_cast<std::int64_t>(rows.size()), id)
            .affected() == 0) {
      return false;
    }
    for (std::size_t from = 0; from < rows.size(); from += kFanoutBatch) {
      insertFanoutBatch(s, id, rows, from, std::min(rows.size(), from + kFanoutBatch), ms);
    }
    return true;
  });
  if (done && rows.size() >= kAnalyzeFrom) {
    // Not part of the fan-out: without it the rows still go out, once autovacuum analyzes.
    auto analyzed = db_.withConnection([](Session& s) { s.run("ANALYZE outbox"); });
    if (!analyzed) {
      log::warn("broadcast_analyze_failed", {{"code", toString(analyzed.error().code)}});
    }
  }
  return done;
}

Result<BroadcastProgress> PgBroadcastStore::progress(std::int64_t id) {
  return db_.withConnection([&](Session& s) {
    Rows rows = s.run("SELECT o.status, COUNT(*) FROM bc_deliveries d JOIN outbox o ON "
                      "o.id = d.outbox_id WHERE d.broadcast_id = $1 GROUP BY o.status",
                      id);
    BroadcastProgress p;
    for (int i = 0; i < rows.size(); ++i) {
      addToProgress(p, rows.text(i, 0), static_cast<int>(rows.int64(i, 1)));
    }
    return p;
  });
}

Result<std::optional<std::string>> PgBroadcastStore::oparlState(const std::string& key) {
  return db_.withConnection([&](Session& s) -> std::optional<std::string> {
    Rows rows = s.run("SELECT value FROM oparl_state WHERE key = $1", key);
    if (rows.empty()) { return std::nullopt; }
    return rows.text(0, 0);
  });
}

Result<void> PgBroadcastStore::setOparlState(const std::string& key, const std::string& value) {
  return db_.withConnection([&](Session& s) {
    s.run("INSERT INTO oparl_state (key, value) VALUES ($1, $2) "
          "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
          key, value);
  });
}

Result<bool> PgBroadcastStore::oparlEventSeen(const std::string& key) {
  return db_.withConnection([&](Session& s) {
    return !s.run("SELECT 1 FROM oparl_events WHERE key = $1", key).empty();
  });
}

Result<void> PgBroadcastStore::recordOparlEvent(const std::string& key,
                                                const std::string& object_id,
                                                std::int64_t broadcast_id, SysTime now) {
  return db_.withConnection([&](Session& s) {
    s.run("INSERT INTO oparl_events (key, object_id, broadcast_id, created_at) "
          "VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING",
          key, object_id, broadcast_id > 0 ? param(broadcast_id) : Param{}, toMillis(now));
  });
}

Result<std::vector<std::int64_t>> PgBroadcastStore::oparlBroadcastsOf(
    const std::string& object_id) {
  return db_.withConnection([&](Session& s) {
    return ids(s.run("SELECT broadcast_id FROM oparl_events WHERE (object_id = $1 OR "
                     "left(object_id, length($1) + 1) = $1 || '#') AND "
                     "broadcast_id IS NOT NULL ORDER BY broadcast_id",
                     object_id));
  });
}

}  // namespace bb::storage::pg
