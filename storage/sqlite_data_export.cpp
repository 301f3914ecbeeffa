#include "storage/sqlite_data_export.hpp"

#include <string_view>

#include <nlohmann/json.hpp>
#include <SQLiteCpp/SQLiteCpp.h>

#include "bot/text/timestamp.hpp"
#include "storage/millis.hpp"

namespace bb::storage {
namespace {

using nlohmann::json;

//! One part of the document: `sql` selects the citizen's rows with their pseudonym as :p.
//! Column names are the document's keys; a name ending in "_at" is a time (RFC 3339, UTC).
struct Section {
  const char* key;
  const char* sql;
  bool single;  //!< one object (or null) instead of an array
};

// The citizen's own tickets, for the sections about them.
#define BB_OWN_TICKETS "(SELECT number FROM tickets WHERE reporter = :p)"
// Staff appear by role ("staff", "backoffice", "system"), not by login: the login is the staff
// member's personal data, not the citizen's.
#define BB_ACTOR_KIND(col) \
  "CASE WHEN instr(" col ", ':') > 0 THEN substr(" col ", 1, instr(" col ", ':') - 1) ELSE " col \
  " END AS actor"

// clang-format off
const Section kSections[] = {
  {"citizen",
   "SELECT channel, lang, consent_version, consent_at, created_at, last_inbound_at, unreachable, "
   "notifications_stopped_at FROM citizens WHERE pseudonym = :p", true},
  {"conversation",
   "SELECT state, data, updated_at FROM conversations WHERE pseudonym = :p", true},
  {"tickets",
   "SELECT t.number, t.kind, t.category_id, t.department, t.district_id, t.status, t.lat, t.lon, "
   "t.address_text, t.description, t.extra_answer, t.channel, t.created_at, t.updated_at, "
   "t.closed_at, t.anonymized_at, p.public_description, p.external_ref "
   "FROM tickets t LEFT JOIN ticket_public p ON p.ticket_id = t.id "
   "WHERE t.reporter = :p ORDER BY t.number", false},
  {"ticket_photos",
   "SELECT t.number AS ticket_number, tp.position, m.id AS media_id, m.content_id, m.mime_type "
   "FROM ticket_photos tp JOIN tickets t ON t.id = tp.ticket_id JOIN media m ON m.id = tp.media_id "
   "WHERE t.reporter = :p ORDER BY t.number, tp.position", false},
  // Internal staff notes are left out (see docs/privacy.md, "Export").
  // Messages other followers wrote into the citizen's ticket are theirs, not the citizen's.
  {"ticket_events",
   "SELECT t.number AS ticket_number, e.kind, " BB_ACTOR_KIND("e.actor") ", e.status, e.body, "
   "e.media_id, e.created_at FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
   "WHERE t.reporter = :p AND e.kind <> 'internal_note' "
   "AND (e.author IS NULL OR e.author = :p) ORDER BY e.id", false},
  // What the citizen wrote into the thread of a ticket they follow but did not report.
  {"thread_messages",
   "SELECT t.number AS ticket_number, e.body, e.media_id, e.created_at FROM ticket_events e "
   "JOIN tickets t ON t.id = e.ticket_id WHERE e.author = :p "
   "AND (t.reporter IS NULL OR t.reporter <> :p) ORDER BY e.id", false},
  {"reply_windows",
   "SELECT t.number AS ticket_number, r.opened_at, r.last_message_at FROM reply_windows r "
   "JOIN tickets t ON t.id = r.ticket_id WHERE r.pseudonym = :p ORDER BY t.number", false},
  {"follows",
   "SELECT t.number AS ticket_number, t.category_id, t.status, f.created_at "
   "FROM ticket_followers f JOIN tickets t ON t.id = f.ticket_id "
   "WHERE f.pseudonym = :p ORDER BY t.number", false},
  {"back_office_deliveries",
   "SELECT ticket_number, department, event_type, state, created_at, delivered_at "
   "FROM case_queue WHERE ticket_number IN " BB_OWN_TICKETS " ORDER BY id", false},
  {"audit",
   "SELECT at AS done_at, action, ticket_number, " BB_ACTOR_KIND("actor") " "
   "FROM audit_log WHERE ticket_number IN " BB_OWN_TICKETS " ORDER BY id", false},
  {"media",
   "SELECT id, channel, status, content_id, mime_type, error, created_at "
   "FROM media WHERE pseudonym = :p ORDER BY id", false},
  {"inbound_messages",
   "SELECT id, channel, received_at, processed_at, payload "
   "FROM inbound_events WHERE pseudonym = :p ORDER BY id", false},
  {"outbound_messages",
   "SELECT o.id, o.channel, o.kind, t.number AS ticket_number, o.status, o.payload, "
   "o.created_at, o.updated_at FROM outbox o LEFT JOIN tickets t ON t.id = o.ticket_id "
   "WHERE o.pseudonym = :p ORDER BY o.id", false},
  {"subscriptions",
   "SELECT topic, created_at, reminded_at FROM sub_subscriptions WHERE pseudonym = :p "
   "ORDER BY topic", false},
  {"consents",
   "SELECT purpose, notice_version, granted_at, withdrawn_at FROM consents WHERE pseudonym = :p "
   "ORDER BY id", false},
  {"proposals",
   "SELECT id, campaign_id, status, title, description, cost_eur, topic, lat, lon, address_text, "
   "photo_media_id, reject_reason, created_at, published_at, updated_at "
   "FROM proposals WHERE author = :p ORDER BY id", false},
  {"proposal_supports",
   "SELECT s.proposal_id, p.title, s.created_at FROM proposal_supports s "
   "JOIN proposals p ON p.id = s.proposal_id WHERE s.pseudonym = :p ORDER BY s.proposal_id", false},
  {"proposal_comments",
   "SELECT id, proposal_id, status, body, reject_reason, created_at, published_at "
   "FROM proposal_comments WHERE author = :p ORDER BY id", false},
  {"proposal_notices",
   "SELECT proposal_id, notice_key, sent_at FROM proposal_notices WHERE pseudonym = :p "
   "ORDER BY proposal_id, notice_key", false},
  {"export_links",
   "SELECT created_at, expires_at FROM data_exports WHERE pseudonym = :p ORDER BY created_at", false},
};
// clang-format on

#undef BB_OWN_TICKETS
#undef BB_ACTOR_KIND

bool endsWith(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

json columnValue(const SQLite::Column& c, std::string_view name) {
  if (c.isNull()) { return nullptr; }
  if (c.isInteger()) {
    if (endsWith(name, "_at")) { return rfc3339Utc(fromMillis(c.getInt64())); }
    return c.getInt64();
  }
  if (c.isFloat()) { return c.getDouble(); }
  std::string text = c.getString();
  // Stored messages and drafts are JSON themselves: embedded as values, not as strings.
  if (name == "payload" || name == "data") {
    json parsed = json::parse(text, nullptr, false);
    if (!parsed.is_discarded()) { return parsed; }
  }
  return text;
}

json sectionRows(SQLite::Database& db, const Section& s, const std::string& pseudonym) {
  SQLite::Statement q(db, s.sql);
  q.bind(":p", pseudonym);
  json rows = json::array();
  while (q.executeStep()) {
    json row = json::object();
    for (int i = 0; i < q.getColumnCount(); ++i) {
      const std::string name = q.getColumnName(i);
      row[name] = columnValue(q.getColumn(i), name);
    }
    rows.push_back(std::move(row));
  }
  if (!s.single) { return rows; }
  return rows.empty() ? json(nullptr) : rows.front();
}

}  // namespace

const std::vector<std::string>& SqliteDataExport::tablesRead() {
  static const std::vector<std::string> kTables = {
      "citizens",    "conversations",  "tickets",         "ticket_public",  "ticket_photos",
      "media",       "ticket_events",  "ticket_followers", "case_queue",    "audit_log",
      "inbound_events", "outbox",      "sub_subscriptions", "consents",     "proposals",
      "proposal_supports", "proposal_comments", "proposal_notices", "data_exports",
      "reply_windows"};
  return kTables;
}

Result<std::optional<ExportLink>> SqliteDataExport::exportLink(const std::string& token_hash,
                                                               SysTime now) {
  return db_.read([&](SQLite::Database& db) -> std::optional<ExportLink> {
    SQLite::Statement q(db,
                        "SELECT pseudonym, expires_at FROM data_exports "
                        "WHERE token_hash = ? AND expires_at > ?");
    q.bind(1, token_hash);
    q.bind(2, toMillis(now));
    if (!q.executeStep()) { return std::nullopt; }
    return ExportLink{q.getColumn(0).getString(), fromMillis(q.getColumn(1).getInt64())};
  });
}

Result<bool> SqliteDataExport::useExportLink(const std::string& token_hash, SysTime now) {
  bool used = false;
  auto written = db_.write([&](SQLite::Database& db) {
    SQLite::Statement q(db, "DELETE FROM data_exports WHERE token_hash = ? AND expires_at > ?");
    q.bind(1, token_hash);
    q.bind(2, toMillis(now));
    used = q.exec() == 1;
  });
  if (!written) { return fail(written.error().code, written.error().detail); }
  return used;
}

Result<std::string> SqliteDataExport::exportDocument(const std::string& pseudonym, SysTime now) {
  return db_.read([&](SQLite::Database& db) {
    // One snapshot for every section; read only, so it ends by rolling back.
    SQLite::Transaction snapshot(db);
    json doc = {{"format", "buergerbox-citizen-export"},
                {"version", 1},
                {"generated_at", rfc3339Utc(now)},
                {"pseudonym", pseudonym}};
    for (const Section& s : kSections) { doc[s.key] = sectionRows(db, s, pseudonym); }
    return doc.dump(2);
  });
}

}  // namespace bb::storage
