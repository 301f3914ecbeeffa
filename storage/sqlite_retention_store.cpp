#include "storage/sqlite_retention_store.hpp"

#include <set>

#include <SQLiteCpp/SQLiteCpp.h>

#include "bot/conversation/codec.hpp"
#include "storage/retention_statements.hpp"
#include "storage/rows.hpp"
#include "storage/ticket_rows.hpp"

namespace bb::storage {
namespace {

//! Deletes media rows `ids` and remembers their files for deletion after the commit.
void deleteMedia(SQLite::Database& db, const std::vector<std::int64_t>& ids,
                 RetentionSummary& report) {
  SQLite::Statement file(db, "SELECT content_id FROM media WHERE id = ?1");
  SQLite::Statement del(db, "DELETE FROM media WHERE id = ?1");
  for (const auto id : ids) {
    file.reset();
    file.bind(1, id);
    if (file.executeStep() && !file.getColumn(0).isNull()) {
      report.removed_content_ids.push_back(file.getColumn(0).getString());
    }
    del.reset();
    del.bind(1, id);
    del.exec();
    ++report.photos_deleted;
  }
}

void anonymizeTicket(SQLite::Database& db, std::int64_t ticket_id, std::int64_t now,
                     RetentionSummary& report) {
  std::vector<std::int64_t> photos;
  {
    // The report's photos and those sent later into its thread.
    SQLite::Statement q(db,
                        "SELECT media_id FROM ticket_photos WHERE ticket_id = ?1 UNION "
                        "SELECT media_id FROM ticket_events WHERE ticket_id = ?1 AND "
                        "media_id IS NOT NULL");
    q.bind(1, ticket_id);
    while (q.executeStep()) { photos.push_back(q.getColumn(0).getInt64()); }
  }
  for (const std::string& sql : ticketAnonymizationStatements()) {
    SQLite::Statement q(db, sql);
    q.bind(1, ticket_id);
    q.exec();
  }
  deleteMedia(db, photos, report);
  SQLite::Statement q(db, std::string("UPDATE tickets SET ") + kTicketAnonymousFields +
                              ", anonymized_at = ?2 WHERE id = ?1");
  q.bind(1, ticket_id);
  q.bind(2, now);
  q.exec();
  ++report.tickets_anonymized;
}

void anonymizeClosedTickets(SQLite::Database& db, const RetentionCutoffs& cutoffs,
                            std::int64_t now, RetentionSummary& report) {
  // Candidates by the earliest cutoff of all; each is then checked against its category's.
  SysTime latest = cutoffs.closed_default;
  for (const auto& [category, cutoff] : cutoffs.closed_by_category) { latest = std::max(latest, cutoff); }
  std::vector<std::pair<std::int64_t, std::string>> due;
  {
    SQLite::Statement q(db,
                        "SELECT id, category_id, closed_at FROM tickets WHERE anonymized_at IS NULL "
                        "AND closed_at IS NOT NULL AND closed_at < ?1");
    q.bind(1, toMillis(latest));
    while (q.executeStep()) {
      const std::string category = q.getColumn(1).getString();
      const auto it = cutoffs.closed_by_category.find(category);
      const SysTime cutoff = it == cutoffs.closed_by_category.end() ? cutoffs.closed_default : it->second;
      if (q.getColumn(2).getInt64() < toMillis(cutoff)) {
        due.emplace_back(q.getColumn(0).getInt64(), category);
      }
    }
  }
  for (const auto& [id, category] : due) { anonymizeTicket(db, id, now, report); }
}

//! A conversation left mid-flow: the draft goes, the citizen's language and consent stay.
void deleteAbandonedDrafts(SQLite::Database& db, const RetentionCutoffs& cutoffs,
                           std::int64_t now, RetentionSummary& report) {
  struct Row {
    std::string pseudonym;
    std::string state;
    std::string data;
  };
  std::vector<Row> rows;
  {
    SQLite::Statement q(db,
                        "SELECT pseudonym, state, data FROM conversations WHERE updated_at < ?1 "
                        "AND state NOT IN ('new', 'menu')");
    q.bind(1, toMillis(cutoffs.drafts));
    while (q.executeStep()) {
      rows.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString()});
    }
  }
  SQLite::Statement update(db,
                           "UPDATE conversations SET state = ?2, data = ?3, updated_at = ?4 "
                           "WHERE pseudonym = ?1 AND updated_at < ?5");
  for (const auto& row : rows) {
    const SavedConversation reset = withoutDraft(row.state, row.data);
    update.reset();
    update.bind(1, row.pseudonym);
    update.bind(2, reset.flow.state);
    update.bind(3, encodeConversation(reset));
    update.bind(4, now);
    update.bind(5, toMillis(cutoffs.drafts));
    update.exec();
    ++report.drafts_deleted;
  }
  // Photos received for drafts that never became a ticket, a proposal or a message in a
  // ticket's thread.
  std::vector<std::int64_t> orphans;
  {
    SQLite::Statement q(db,
                        "SELECT id FROM media WHERE created_at < ?1 "
                        "AND NOT EXISTS (SELECT 1 FROM ticket_photos tp WHERE tp.media_id = media.id) "
                        "AND NOT EXISTS (SELECT 1 FROM ticket_events te WHERE te.media_id = media.id) "
                        "AND NOT EXISTS (SELECT 1 FROM proposals p WHERE p.photo_media_id = media.id)");
    q.bind(1, toMillis(cutoffs.drafts));
    while (q.executeStep()) { orphans.push_back(q.getColumn(0).getInt64()); }
  }
  deleteMedia(db, orphans, report);
}

void deleteOldMessages(SQLite::Database& db, const RetentionCutoffs& cutoffs,
                       RetentionSummary& report) {
  {
    // Final rows after message_days; final rows of people who are no longer citizens (declined
    // the notice, erased) at once. Web chat rows are its history: they age out the same way.
    SQLite::Statement q(db, std::string("DELETE FROM outbox WHERE ") + kFinalOutboxStatuses +
                                " AND (created_at < ?1 OR NOT EXISTS (SELECT 1 FROM citizens c "
                                "WHERE c.pseudonym = outbox.pseudonym))");
    q.bind(1, toMillis(cutoffs.messages));
    report.messages_deleted += q.exec();
  }
  {
    SQLite::Statement q(db,
                        "DELETE FROM outbox WHERE channel = 'webchat' AND created_at < ?1");
    q.bind(1, toMillis(cutoffs.messages));
    report.messages_deleted += q.exec();
  }
  {
    // Processed events keep only their id for deduplication; platforms redeliver for days, not weeks.
    SQLite::Statement q(db,
                        "DELETE FROM inbound_events WHERE processed_at IS NOT NULL AND processed_at < ?1");
    q.bind(1, toMillis(cutoffs.messages));
    report.events_deleted += q.exec();
  }
}

//! Someone who wrote but never accepted the notice: nothing but what showing the notice needs
//! was kept (the sealed address, the conversation, uploads); after the cutoff it all goes.
void forgetUnanswered(SQLite::Database& db, const RetentionCutoffs& cutoffs,
                      RetentionSummary& report) {
  std::vector<std::string> silent;
  {
    SQLite::Statement q(db,
                        "SELECT pseudonym FROM citizens WHERE consent_version = 0 "
                        "AND coalesce(last_inbound_at, created_at) < ?1");
    q.bind(1, toMillis(cutoffs.unanswered_notice));
    while (q.executeStep()) { silent.push_back(q.getColumn(0).getString()); }
  }
  for (const auto& pseudonym : silent) {
    std::vector<std::int64_t> media;
    {
      SQLite::Statement q(db, "SELECT id FROM media WHERE pseudonym = ?1");
      q.bind(1, pseudonym);
      while (q.executeStep()) { media.push_back(q.getColumn(0).getInt64()); }
    }
    deleteMedia(db, media, report);
    for (const char* sql : {"DELETE FROM conversations WHERE pseudonym = ?1",
                            "DELETE FROM citizens WHERE pseudonym = ?1"}) {
      SQLite::Statement q(db, sql);
      q.bind(1, pseudonym);
      q.exec();
    }
    ++report.unanswered_forgotten;
  }
}

//! Export links are valid for a day; an expired one is of no use to anybody.
void deleteExpiredExportLinks(SQLite::Database& db, std::int64_t now, RetentionSummary& report) {
  SQLite::Statement q(db, "DELETE FROM data_exports WHERE expires_at <= ?1");
  q.bind(1, now);
  report.export_links_deleted += q.exec();
}

//! Files are content-addressed: one file may back media rows of several tickets (the same photo
//! sent twice). A file is removed only when no media row refers to it any more; checked in the
//! same transaction that deleted the rows.
void keepFilesInUse(SQLite::Database& db, RetentionSummary& report) {
  std::set<std::string> unused;
  SQLite::Statement in_use(db, "SELECT 1 FROM media WHERE content_id = ?1 LIMIT 1");
  for (const auto& content_id : report.removed_content_ids) {
    in_use.reset();
    in_use.bind(1, content_id);
    if (!in_use.executeStep()) { unused.insert(content_id); }
  }
  report.removed_content_ids.assign(unused.begin(), unused.end());
}

}  // namespace

Result<RetentionSummary> SqliteRetentionStore::applyRetention(const RetentionCutoffs& cutoffs,
                                                             SysTime now) {
  RetentionSummary report;
  auto written = db_.write([&](SQLite::Database& db) {
    report = {};
    const std::int64_t at = toMillis(now);
    anonymizeClosedTickets(db, cutoffs, at, report);
    deleteAbandonedDrafts(db, cutoffs, at, report);
    forgetUnanswered(db, cutoffs, report);
    deleteOldMessages(db, cutoffs, report);
    deleteExpiredExportLinks(db, at, report);
    keepFilesInUse(db, report);
  });
  if (!written) { return fail(written.error().code, written.error().detail); }
  return report;
}

}  // namespace bb::storage
