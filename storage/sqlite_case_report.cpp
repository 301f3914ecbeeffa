// The citizen's report of a ticket as its department's back office reads it (push payload v2,
// GET /api/v1/tickets/{n}).

#include <SQLiteCpp/SQLiteCpp.h>

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
    return r;
  });
}

}  // namespace bb::storage
