// The citizen's report of a ticket as its department's back office reads it (push payload v2,
// GET /api/v1/tickets/{n}), and what the citizen later wrote into its thread (citizen_message).

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/rows.hpp"
#include "storage/sqlite_case_store.hpp"

namespace bb::storage {

Result<std::optional<CaseReport>> SqliteCaseStore::caseReport(std::int64_t number) {
  return db_.read([number](SQLite::Database& db) -> std::optional<CaseReport> {
    SQLite::Statement t(db,
                        "SELECT id, description, address_text, extra_answer, lat, lon "
                        "FROM tickets WHERE number = ?");
    t.bind(1, number);
    if (!t.executeStep()) { return std::nullopt; }
    CaseReport r;
    const std::int64_t ticket_id = t.getColumn(0).getInt64();
    r.description = t.getColumn(1).getString();
    r.address = t.getColumn(2).getString();
    r.extra_answer = t.getColumn(3).getString();
    if (!t.getColumn(4).isNull() && !t.getColumn(5).isNull()) {
      r.lat = t.getColumn(4).getDouble();
      r.lon = t.getColumn(5).getDouble();
    }
    // Only photos whose cleaning finished: a pending or rejected one has no file to serve.
    SQLite::Statement p(db,
                        "SELECT m.id, m.content_id, coalesce(m.mime_type, '') FROM ticket_photos p "
                        "JOIN media m ON m.id = p.media_id WHERE p.ticket_id = ? AND "
                        "m.status = 'ready' AND m.content_id IS NOT NULL ORDER BY p.position");
    p.bind(1, ticket_id);
    while (p.executeStep()) {
      r.photos.push_back(CasePhoto{p.getColumn(0).getInt64(), p.getColumn(1).getString(),
                                   p.getColumn(2).getString()});
    }
    SQLite::Statement m(db,
                        "SELECT m.id, m.content_id, coalesce(m.mime_type, '') FROM ticket_events e "
                        "JOIN media m ON m.id = e.media_id WHERE e.ticket_id = ? AND "
                        "e.kind = 'citizen_message' AND m.status = 'ready' AND "
                        "m.content_id IS NOT NULL ORDER BY e.id");
    m.bind(1, ticket_id);
    while (m.executeStep()) {
      r.message_photos.push_back(CasePhoto{m.getColumn(0).getInt64(), m.getColumn(1).getString(),
                                           m.getColumn(2).getString()});
    }
    return r;
  });
}

Result<CitizenThreadMessage> SqliteCaseStore::citizenMessage(std::int64_t number,
                                                             std::int64_t first,
                                                             std::int64_t last) {
  return db_.read([&](SQLite::Database& db) {
    CitizenThreadMessage out;
    // Erasure empties the body and drops the media link of these rows: then nothing is sent.
    SQLite::Statement q(db,
                        "SELECT e.body, m.id, m.content_id, coalesce(m.mime_type, ''), m.status "
                        "FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
                        "LEFT JOIN media m ON m.id = e.media_id "
                        "WHERE t.number = ? AND e.kind = 'citizen_message' AND e.id BETWEEN ? AND ? "
                        "ORDER BY e.id");
    bindAll(q, number, first, last);
    while (q.executeStep()) {
      if (out.text.empty()) { out.text = q.getColumn(0).getString(); }
      if (!q.getColumn(1).isNull() && !q.getColumn(2).isNull() &&
          q.getColumn(4).getString() == "ready") {
        out.photos.push_back(CasePhoto{q.getColumn(1).getInt64(), q.getColumn(2).getString(),
                                       q.getColumn(3).getString()});
      }
    }
    return out;
  });
}

}  // namespace bb::storage
