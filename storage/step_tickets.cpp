// The tickets a step creates, and the tickets a citizen starts to follow.

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/rows.hpp"
#include "storage/sqlite_case_store.hpp"
#include "storage/step_parts.hpp"
#include "storage/ticket_rows.hpp"

namespace bb::storage {
namespace {

std::optional<std::string> nullIfEmpty(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

//! The ticket row; returns its row id.
std::int64_t insertTicketRow(const StepWriter& w, const NewTicket& t) {
  SQLite::Statement q(w.db,
                      "INSERT INTO tickets (number, kind, category_id, department, district_id, "
                      "status, lat, lon, address_text, description, extra_answer, channel, "
                      "reporter, follow_token_hash, created_at, updated_at) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  // A position is both coordinates or none.
  const bool located = t.lat && t.lon;
  bindAll(q, t.number, t.kind, t.category_id, t.department, t.district_id, t.status,
          located ? t.lat : std::nullopt, located ? t.lon : std::nullopt, t.address_text,
          t.description, t.extra_answer, t.source.empty() ? toString(t.channel) : "api",
          t.reporter, nullIfEmpty(t.follow_token_hash), w.now, w.now);
  q.exec();
  return w.db.getLastInsertRowid();
}

void attachPhotos(const StepWriter& w, std::int64_t ticket_id,
                  const std::vector<std::int64_t>& media_ids) {
  int position = 0;
  for (auto media_id : media_ids) {
    SQLite::Statement p(w.db,
                        "INSERT OR IGNORE INTO ticket_photos (ticket_id, media_id, position) "
                        "VALUES (?, ?, ?)");
    bindAll(p, ticket_id, media_id, position++);
    p.exec();
  }
}

void addFollower(const StepWriter& w, std::int64_t ticket_id, const std::string& pseudonym) {
  SQLite::Statement f(w.db,
                      "INSERT OR IGNORE INTO ticket_followers (ticket_id, pseudonym, created_at) "
                      "VALUES (?, ?, ?)");
  bindAll(f, ticket_id, pseudonym, w.now);
  f.exec();
}

}  // namespace

void insertTickets(const StepWriter& w, const std::vector<NewTicket>& tickets, double grid_m) {
  for (const auto& t : tickets) {
    const std::int64_t ticket_id = insertTicketRow(w, t);
    attachPhotos(w, ticket_id, t.photo_media_ids);
    if (!t.reporter.empty()) { addFollower(w, ticket_id, t.reporter); }
    addTicketEvent(w.db, ticket_id, "created", t.source.empty() ? "citizen" : t.source, t.status,
                   t.description, 0, w.now);
    if (!t.source.empty()) { recordTicketSource(w.db, ticket_id, t.source); }
    appendCaseEntry(w.db, ticket_id, "created", "", w.now, grid_m);  // same transaction
  }
}

void followTickets(const StepWriter& w, const std::string& pseudonym,
                   const std::vector<std::int64_t>& numbers) {
  for (auto number : numbers) {
    const std::int64_t ticket_id = ticketIdOf(w.db, number);
    if (ticket_id == 0) { continue; }
    addFollower(w, ticket_id, pseudonym);
    addTicketEvent(w.db, ticket_id, "follower_added", "citizen", "", "", 0, w.now);
  }
}

void postTicketMessages(const StepWriter& w, const std::string& pseudonym,
                        const std::vector<NewTicketMessage>& messages, double grid_m) {
  for (const auto& m : messages) {
    const std::int64_t ticket_id = ticketIdOf(w.db, m.number);
    if (ticket_id == 0) { continue; }
    std::size_t i = 0;
    CaseChange change;
    do {
      SQLite::Statement e(w.db,
                          "INSERT INTO ticket_events (ticket_id, kind, actor, body, media_id, "
                          "author, created_at) VALUES (?, 'citizen_message', 'citizen', ?, ?, ?, ?)");
      const std::optional<std::int64_t> media =
          i < m.media_ids.size() ? std::optional<std::int64_t>(m.media_ids[i]) : std::nullopt;
      bindAll(e, ticket_id, i == 0 ? m.body : std::string(), media, pseudonym, w.now);
      e.exec();
      change.thread_last = w.db.getLastInsertRowid();
      if (i == 0) { change.thread_first = change.thread_last; }
    } while (++i < m.media_ids.size());
    appendCaseEntry(w.db, ticket_id, "citizen_message", change, w.now, grid_m);  // same transaction
    SQLite::Statement t(w.db,
                        "UPDATE tickets SET unread_citizen_at = coalesce(unread_citizen_at, ?1), "
                        "updated_at = ?1 WHERE id = ?2");
    bindAll(t, w.now, ticket_id);
    t.exec();
    SQLite::Statement r(w.db,
                        "UPDATE reply_windows SET last_message_at = ?1 "
                        "WHERE pseudonym = ?2 AND ticket_id = ?3");
    bindAll(r, w.now, pseudonym, ticket_id);
    r.exec();
  }
}

}  // namespace bb::storage
