#include "storage/postgresql/pg_retention_store.hpp"

#include <set>

#include "bot/conversation/codec.hpp"
#include "bot/log.hpp"
#include "storage/millis.hpp"
#include "storage/postgresql/pg_step_parts.hpp"
#include "storage/retention_statements.hpp"

namespace bb::storage::pg {
namespace {

std::vector<std::int64_t> ids(const Rows& rows) {
  std::vector<std::int64_t> out;
  for (int i = 0; i < rows.size(); ++i) { out.push_back(rows.int64(i, 0)); }
  return out;
}

//! Deletes media rows `media` and remembers their files for deletion after the commit.
void deleteMedia(Session& s, const std::vector<std::int64_t>& media, RetentionSummary& report) {
  for (const auto id : media) {
    Rows gone = s.run("DELETE FROM media WHERE id = $1 RETURNING content_id", id);
    if (gone.empty()) { continue; }
    if (!gone.isNull(0, 0)) { report.removed_content_ids.push_back(gone.text(0, 0)); }
    ++report.photos_deleted;
  }
}

void anonymizeTicket(Session& s, std::int64_t ticket_id, std::int64_t now,
                     RetentionSummary& report) {
  // The report's photos and those sent later into its thread.
  const auto photos = ids(s.run("SELECT media_id FROM ticket_photos WHERE ticket_id = $1 UNION "
                                "SELECT media_id FROM ticket_events WHERE ticket_id = $1 AND "
                                "media_id IS NOT NULL",
                                ticket_id));
  for (const std::string& sql : ticketAnonymizationStatements()) { s.run(sql, ticket_id); }
  deleteMedia(s, photos, report);
  s.run(std::string("UPDATE tickets SET ") + kPgTicketAnonymousFields +
            ", anonymized_at = $2 WHERE id = $1",
        ticket_id, now);
  ++report.tickets_anonymized;
}

void anonymizeClosedTickets(Session& s, const RetentionCutoffs& cutoffs, std::int64_t now,
                            RetentionSummary& report) {
  // Candidates by the latest cutoff of all; each is then checked against its category's.
  SysTime latest = cutoffs.closed_default;
  for (const auto& [category, cutoff] : cutoffs.closed_by_category) {
    latest = std::max(latest, cutoff);
  }
  Rows rows = s.run("SELECT id, category_id, closed_at FROM tickets WHERE anonymized_at IS NULL "
                    "AND closed_at IS NOT NULL AND closed_at < $1 FOR UPDATE",
                    toMillis(latest));
  for (int i = 0; i < rows.size(); ++i) {
    const auto it = cutoffs.closed_by_category.find(rows.text(i, 1));
    const SysTime cutoff =
        it == cutoffs.closed_by_category.end() ? cutoffs.closed_default : it->second;
    if (rows.int64(i, 2) < toMillis(cutoff)) { anonymizeTicket(s, rows.int64(i, 0), now, report); }
  }
}

//! A conversation left mid-flow: the draft goes, the citizen's language and consent stay.
void deleteAbandonedDrafts(Session& s, const RetentionCutoffs& cutoffs, std::int64_t now,
                           RetentionSummary& report) {
  const std::int64_t cutoff = toMillis(cutoffs.drafts);
  Rows rows = s.run("SELECT pseudonym, state, data FROM conversations WHERE updated_at < $1 "
                    "AND state NOT IN ('new', 'menu')",
                    cutoff);
  for (int i = 0; i < rows.size(); ++i) {
    const SavedConversation reset = withoutDraft(rows.text(i, 1), rows.text(i, 2));
    // Only while still idle: a step committed meanwhile (another instance) keeps its draft.
    report.drafts_deleted += static_cast<int>(
        s.run("UPDATE conversations SET state = $2, data = $3, updated_at = $4 "
              "WHERE pseudonym = $1 AND updated_at < $5",
              rows.text(i, 0), reset.flow.state, encodeConversation(reset), now, cutoff)
            .affected());
  }
  // Photos received for drafts that never became a ticket, a proposal or a message in a
  // ticket's thread.
  deleteMedia(s,
              ids(s.run("SELECT id FROM media WHERE created_at < $1 "
                        "AND NOT EXISTS (SELECT 1 FROM ticket_photos tp WHERE tp.media_id = media.id) "
                        "AND NOT EXISTS (SELECT 1 FROM ticket_events te WHERE te.media_id = media.id) "
                        "AND NOT EXISTS (SELECT 1 FROM proposals p WHERE p.photo_media_id = media.id)",
                        cutoff)),
              report);
}

void deleteOldMessages(Session& s, const RetentionCutoffs& cutoffs, RetentionSummary& report) {
  const std::int64_t cutoff = toMillis(cutoffs.messages);
  // Final rows after message_days; final rows of people who are no longer citizens (declined
  // the notice, erased) at once. Web chat rows are its history: they age out the same way.
  report.messages_deleted += static_cast<int>(
      s.run(std::string("DELETE FROM outbox WHERE ") + kFinalOutboxStatuses +
                " AND (created_at < $1 OR NOT EXISTS (SELECT 1 FROM citizens c "
                "WHERE c.pseudonym = outbox.pseudonym))",
            cutoff)
          .affected());
  report.messages_deleted += static_cast<int>(
      s.run("DELETE FROM outbox WHERE channel = 'webchat' AND created_at < $1", cutoff).affected());
  // Processed events keep only their id for deduplication; platforms redeliver for days, not weeks.
  report.events_deleted += static_cast<int>(
      s.run("DELETE FROM inbound_events WHERE processed_at IS NOT NULL AND processed_at < $1",
            cutoff)
          .affected());
}

//! Files are content-addressed: one file may back media rows of several tickets (the same photo
//! sent twice). A file is removed only when no media row refers to it any more.
void keepFilesInUse(Session& s, std::vector<std::string>& content_ids) {
  std::set<std::string> unused;
  for (const auto& content_id : content_ids) {
    if (s.run("SELECT 1 FROM media WHERE content_id = $1 LIMIT 1", content_id).empty()) {
      unused.insert(content_id);
    }
  }
  content_ids.assign(unused.begin(), unused.end());
}

}  // namespace

Result<void> PgRetentionStore::forgetUnanswered(const RetentionCutoffs& cutoffs,
                                                RetentionSummary& report) {
  const std::int64_t cutoff = toMillis(cutoffs.unanswered_notice);
  constexpr const char* kSilent =
      "consent_version = 0 AND coalesce(last_inbound_at, created_at) < $1";
  auto silent = db_.withConnection([&](Session& s) {
    Rows rows = s.run(std::string("SELECT pseudonym FROM citizens WHERE ") + kSilent, cutoff);
    std::vector<std::string> out;
    for (int i = 0; i < rows.size(); ++i) { out.push_back(rows.text(i, 0)); }
    return out;
  });
  if (!silent) { return fail(silent.error().code, silent.error().detail); }
  for (const auto& pseudonym : *silent) {
    RetentionSummary mine;
    auto done = db_.transaction([&](Session& s) {
      lockRecipients(s, {pseudonym});
      // Still silent now that nobody else writes for them.
      if (s.run(std::string("SELECT 1 FROM citizens WHERE pseudonym = $2 AND ") + kSilent,
                cutoff, pseudonym)
              .empty()) {
        return;
      }
      deleteMedia(s, ids(s.run("SELECT id FROM media WHERE pseudonym = $1", pseudonym)), mine);
      s.run("DELETE FROM conversations WHERE pseudonym = $1", pseudonym);
      s.run("DELETE FROM citizens WHERE pseudonym = $1", pseudonym);
      keepFilesInUse(s, mine.removed_content_ids);
      ++mine.unanswered_forgotten;
    });
    if (!done) { return fail(done.error().code, done.error().detail); }
    report.photos_deleted += mine.photos_deleted;
    report.unanswered_forgotten += mine.unanswered_forgotten;
    report.removed_content_ids.insert(report.removed_content_ids.end(),
                                      mine.removed_content_ids.begin(),
                                      mine.removed_content_ids.end());
  }
  return {};
}

Result<RetentionSummary> PgRetentionStore::applyRetention(const RetentionCutoffs& cutoffs,
                                                         SysTime now) {
  // First, so that their final messages go below in the same run (they are no citizens then).
  RetentionSummary forgotten;
  if (auto done = forgetUnanswered(cutoffs, forgotten); !done) {
    return fail(done.error().code, done.error().detail);
  }
  RetentionSummary report;
  auto written = db_.transaction([&](Session& s) {
    report = forgotten;
    const std::int64_t at = toMillis(now);
    anonymizeClosedTickets(s, cutoffs, at, report);
    deleteAbandonedDrafts(s, cutoffs, at, report);
    deleteOldMessages(s, cutoffs, report);
    report.export_links_deleted += static_cast<int>(
        s.run("DELETE FROM data_exports WHERE expires_at <= $1", at).affected());
    keepFilesInUse(s, report.removed_content_ids);
  });
  if (!written && !forgotten.removed_content_ids.empty()) {
    // Their rows are gone for good: hand their files over for removal all the same (they would
    // be found by nothing later); the rest is done at the next run.
    log::error("retention_partial", {{"code", toString(written.error().code)}});
    return forgotten;
  }
  if (!written) { return fail(written.error().code, written.error().detail); }
  return report;
}

}  // namespace bb::storage::pg
