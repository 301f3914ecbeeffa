#include "storage/ticket_rows.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/rows.hpp"

namespace bb::storage {

#define BB_ANONYMOUS_PLACE "address_text = '', lat = round(lat, 3), lon = round(lon, 3)"
const char* const kAnonymousPlaceFields = BB_ANONYMOUS_PLACE;
const char* const kTicketAnonymousFields =
    "reporter = NULL, follow_token_hash = NULL, description = '', extra_answer = '', "
    BB_ANONYMOUS_PLACE;
#undef BB_ANONYMOUS_PLACE

const char* const kTicketColumns =
    "t.id, t.number, t.kind, t.category_id, t.department, t.district_id, t.status, t.lat, t.lon, "
    "t.address_text, t.description, t.extra_answer, t.channel, t.reporter, t.created_at, "
    "t.updated_at, t.closed_at";

TicketRecord readTicketRow(SQLite::Statement& q) {
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
  t.address_text = optionalText(q.getColumn(9));
  t.description = optionalText(q.getColumn(10));
  t.extra_answer = optionalText(q.getColumn(11));
  t.channel = channelOf(q.getColumn(12));
  t.reporter = optionalText(q.getColumn(13));  // NULL once anonymized
  t.created_at = fromMillis(q.getColumn(14).getInt64());
  t.updated_at = fromMillis(q.getColumn(15).getInt64());
  t.closed_at = optionalTime(q.getColumn(16));
  return t;
}

std::vector<std::string> ticketPhotoIds(SQLite::Database& db, std::int64_t ticket_id) {
  return allRows(
      db, "SELECT media_id FROM ticket_photos WHERE ticket_id = ? ORDER BY position",
      [](SQLite::Statement& p) { return std::to_string(p.getColumn(0).getInt64()); }, ticket_id);
}

const char* const kInsertOutboundSql =
    "INSERT INTO outbox (channel, pseudonym, address_ct, key_id, payload, kind, "
    "ticket_id, status, next_attempt_at, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)";

OutboundInserter::OutboundInserter(SQLite::Database& db)
    : db_(db),
      owned_(std::make_unique<SQLite::Statement>(db, kInsertOutboundSql)),
      statement_(owned_.get()) {}
OutboundInserter::OutboundInserter(SQLite::Database& db, SQLite::Statement& prepared)
    : db_(db), statement_(&prepared) {}
OutboundInserter::~OutboundInserter() = default;

std::int64_t OutboundInserter::insert(const NewOutbound& o, std::int64_t ticket_id,
                                      std::int64_t now) {
  SQLite::Statement& q = *statement_;
  q.reset();
  q.bind(1, toString(o.channel));
  q.bind(2, o.pseudonym);
  q.bind(3, o.address_ct.data(), static_cast<int>(o.address_ct.size()));
  q.bind(4, o.key_id);
  q.bind(5, o.payload);
  q.bind(6, o.kind);
  if (ticket_id > 0) {
    q.bind(7, ticket_id);
  } else {
    q.bind(7);
  }
  q.bind(8, now);
  q.bind(9, now);
  q.exec();
  return db_.getLastInsertRowid();
}

std::int64_t insertOutbound(SQLite::Database& db, const NewOutbound& o, std::int64_t ticket_id,
                            std::int64_t now) {
  return OutboundInserter(db).insert(o, ticket_id, now);
}

std::int64_t ticketIdOf(SQLite::Database& db, std::int64_t number) {
  SQLite::Statement q(db, "SELECT id FROM tickets WHERE number = ?");
  q.bind(1, number);
  return q.executeStep() ? q.getColumn(0).getInt64() : 0;
}

void openReplyWindow(SQLite::Database& db, const std::string& pseudonym, std::int64_t ticket_id,
                     std::int64_t now) {
  if (pseudonym.empty()) { return; }
  SQLite::Statement q(db,
                      "INSERT INTO reply_windows (pseudonym, ticket_id, opened_at) VALUES (?, ?, ?) "
                      "ON CONFLICT (pseudonym, ticket_id) DO UPDATE SET opened_at = excluded.opened_at");
  q.bind(1, pseudonym);
  q.bind(2, ticket_id);
  q.bind(3, now);
  q.exec();
}

void noteWithheld(SQLite::Database& db, std::int64_t ticket_id, int withheld, std::int64_t now) {
  if (withheld <= 0) { return; }
  addTicketEvent(db, ticket_id, "notifications_withheld", "bot", "", std::to_string(withheld), 0,
                 now);
}

void addTicketEvent(SQLite::Database& db, std::int64_t ticket_id, const std::string& kind,
                    const std::string& actor, const std::string& status, const std::string& body,
                    std::int64_t outbox_id, std::int64_t now) {
  SQLite::Statement q(db,
                      "INSERT INTO ticket_events (ticket_id, kind, actor, status, body, outbox_id, "
                      "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
  q.bind(1, ticket_id);
  q.bind(2, kind);
  q.bind(3, actor);
  if (status.empty()) {
    q.bind(4);
  } else {
    q.bind(4, status);
  }
  q.bind(5, body);
  if (outbox_id > 0) {
    q.bind(6, outbox_id);
  } else {
    q.bind(6);
  }
  q.bind(7, now);
  q.exec();
}

}  // namespace bb::storage
