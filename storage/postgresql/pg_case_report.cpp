// The citizen's report of a ticket as its department's back office reads it, and what the
// citizen later wrote into its thread, on PostgreSQL: the twin of storage/sqlite_case_report.cpp.

#include "storage/millis.hpp"
#include "storage/postgresql/pg_case_store.hpp"

namespace bb::storage::pg {
namespace {

std::vector<CasePhoto> photosOf(const Rows& rows) {
  std::vector<CasePhoto> out;
  for (int i = 0; i < rows.size(); ++i) {
    out.push_back(CasePhoto{rows.int64(i, 0), rows.text(i, 1), rows.text(i, 2)});
  }
  return out;
}

}  // namespace

Result<std::optional<CaseReport>> PgCaseStore::caseReport(std::int64_t number) {
  return db_.withConnection([number](Session& s) -> std::optional<CaseReport> {
    Rows t = s.run("SELECT id, description, address_text, extra_answer, lat, lon "
                   "FROM tickets WHERE number = $1",
                   number);
    if (t.empty()) { return std::nullopt; }
    CaseReport r;
    const std::int64_t ticket_id = t.int64(0, 0);
    r.description = t.text(0, 1);
    r.address = t.text(0, 2);
    r.extra_answer = t.text(0, 3);
    if (!t.isNull(0, 4) && !t.isNull(0, 5)) {
      r.lat = t.real(0, 4);
      r.lon = t.real(0, 5);
    }
    // Only photos whose cleaning finished: a pending or rejected one has no file to serve.
    r.photos = photosOf(s.run(
        "SELECT m.id, m.content_id, coalesce(m.mime_type, '') FROM ticket_photos p "
        "JOIN media m ON m.id = p.media_id WHERE p.ticket_id = $1 AND m.status = 'ready' AND "
        "m.content_id IS NOT NULL ORDER BY p.position, p.media_id",
        ticket_id));
    r.message_photos = photosOf(s.run(
        "SELECT m.id, m.content_id, coalesce(m.mime_type, '') FROM ticket_events e "
        "JOIN media m ON m.id = e.media_id WHERE e.ticket_id = $1 AND "
        "e.kind = 'citizen_message' AND m.status = 'ready' AND m.content_id IS NOT NULL "
        "ORDER BY e.id",
        ticket_id));
    return r;
  });
}

Result<CitizenThreadMessage> PgCaseStore::citizenMessage(std::int64_t number, std::int64_t first,
                                                         std::int64_t last) {
  return db_.withConnection([&](Session& s) {
    // Erasure empties the body and drops the media link of these rows: then nothing is sent.
    Rows q = s.run("SELECT e.body, m.id, m.content_id, coalesce(m.mime_type, ''), m.status "
                   "FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
                   "LEFT JOIN media m ON m.id = e.media_id "
                   "WHERE t.number = $1 AND e.kind = 'citizen_message' AND "
                   "e.id BETWEEN $2 AND $3 ORDER BY e.id",
                   number, first, last);
    CitizenThreadMessage out;
    for (int i = 0; i < q.size(); ++i) {
      if (out.text.empty()) { out.text = q.text(i, 0); }
      if (!q.isNull(i, 1) && !q.isNull(i, 2) && q.text(i, 4) == "ready") {
        out.photos.push_back(CasePhoto{q.int64(i, 1), q.text(i, 2), q.text(i, 3)});
      }
    }
    return out;
  });
}

}  // namespace bb::storage::pg
