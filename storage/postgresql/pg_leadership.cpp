#include "storage/postgresql/pg_leadership.hpp"

#include <libpq-fe.h>

#include "bot/log.hpp"

namespace bb::storage::pg {

PgLeadership::~PgLeadership() {
  std::lock_guard lock(mutex_);
  drop();  // closing the session releases the lock for the next instance at once
}

void PgLeadership::drop() {
  if (holding_) { log::info("leadership_released", {}); }
  PQfinish(conn_);
  conn_ = nullptr;
  holding_ = false;
}

bool PgLeadership::leads() {
  std::lock_guard lock(mutex_);
  if (conn_ != nullptr && PQstatus(conn_) != CONNECTION_OK) { drop(); }
  if (conn_ == nullptr) {
    auto conn = connectSession(options_, "buergerbox-leadership");
    if (!conn) {
      log::warn("leadership_unavailable", {{"detail", conn.error().detail}});
      return false;
    }
    conn_ = *conn;
  }
  try {
    Session session(conn_);
    if (holding_) {
      // The lock is this session's as long as the session lives: one round trip proves it.
      session.exec("SELECT 1");
      return true;
    }
    holding_ = session.run("SELECT pg_try_advisory_lock($1)", lock_key_).text(0, 0) == "t";
    if (holding_) { log::info("leadership_taken", {}); }
    return holding_;
  } catch (const PgError& e) {
    log::warn("leadership_lost", {{"sqlstate", e.sqlstate()}});
    drop();
    return false;
  }
}

}  // namespace bb::storage::pg
