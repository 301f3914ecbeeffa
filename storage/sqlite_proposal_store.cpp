#include "storage/sqlite_proposal_store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/proposal_rows.hpp"
#include "storage/rows.hpp"
#include "storage/sqlite_subscription_store.hpp"
#include "storage/ticket_rows.hpp"

namespace bb::storage {
namespace {

Proposal readProposal(SQLite::Statement& q) {
  Proposal p;
  p.id = q.getColumn(0).getInt64();
  p.campaign_id = q.getColumn(1).getInt64();
  p.status = q.getColumn(2).getString();
  p.title = q.getColumn(3).getString();
  p.description = q.getColumn(4).getString();
  if (!q.getColumn(5).isNull()) { p.cost_eur = q.getColumn(5).getInt64(); }
  p.topic = q.getColumn(6).getString();
  if (!q.getColumn(7).isNull()) { p.lat = q.getColumn(7).getDouble(); }
  if (!q.getColumn(8).isNull()) { p.lon = q.getColumn(8).getDouble(); }
  p.address_text = q.getColumn(9).getString();
  p.photo_media_id = optionalId(q.getColumn(10));
  p.author = optionalText(q.getColumn(11));
  p.reject_reason = q.getColumn(12).getString();
  p.merged_into = optionalId(q.getColumn(13));
  p.created_at = fromMillis(q.getColumn(14).getInt64());
  p.published_at = optionalTime(q.getColumn(15));
  p.supports = q.getColumn(16).getInt();
  p.comments = q.getColumn(17).getInt();
  p.public_address = q.getColumn(18).getString();
  p.photo_public = q.getColumn(19).getInt() != 0;
  p.photo_content_id = optionalText(q.getColumn(20));
  return p;
}

ProposalComment readComment(SQLite::Statement& q) {
  ProposalComment c;
  c.id = q.getColumn(0).getInt64();
  c.proposal_id = q.getColumn(1).getInt64();
  c.status = q.getColumn(2).getString();
  c.body = q.getColumn(3).getString();
  c.author = optionalText(q.getColumn(4));
  c.reject_reason = q.getColumn(5).getString();
  c.created_at = fromMillis(q.getColumn(6).getInt64());
  c.published_at = optionalTime(q.getColumn(7));
  return c;
}

Campaign readCampaign(SQLite::Statement& q) {
  Campaign c;
  c.id = q.getColumn(0).getInt64();
  c.title = q.getColumn(1).getString();
  c.description = q.getColumn(2).getString();
  c.dates.collecting_from = fromMillis(q.getColumn(3).getInt64());
  c.dates.supporting_from = fromMillis(q.getColumn(4).getInt64());
  c.dates.review_from = fromMillis(q.getColumn(5).getInt64());
  c.dates.decision_from = fromMillis(q.getColumn(6).getInt64());
  c.dates.implementation_from = fromMillis(q.getColumn(7).getInt64());
  c.dates.closed_from = fromMillis(q.getColumn(8).getInt64());
  c.max_proposals_per_citizen = q.getColumn(9).getInt();
  c.support_threshold = q.getColumn(10).getInt();
  c.topics = splitTopics(q.getColumn(11).getString());
  return c;
}

void bindCampaign(SQLite::Statement& q, const Campaign& c) {
  q.bind(1, c.title);
  q.bind(2, c.description);
  q.bind(3, toMillis(c.dates.collecting_from));
  q.bind(4, toMillis(c.dates.supporting_from));
  q.bind(5, toMillis(c.dates.review_from));
  q.bind(6, toMillis(c.dates.decision_from));
  q.bind(7, toMillis(c.dates.implementation_from));
  q.bind(8, toMillis(c.dates.closed_from));
  q.bind(9, c.max_proposals_per_citizen);
  q.bind(10, c.support_threshold);
  q.bind(11, joinTopics(c.topics));
}

std::string proposalStatus(SQLite::Database& db, std::int64_t id) {
  SQLite::Statement q(db, "SELECT status FROM proposals WHERE id = ?");
  q.bind(1, id);
  return q.executeStep() ? q.getColumn(0).getString() : std::string();
}

//! Queues `notice` for the proposal's author and/or supporters who were not told this key
//! before and can be reached (not those who stopped notifications); records who was told. Runs inside the caller's write job.
void sendNotices(SQLite::Database& db, std::int64_t proposal_id, const NoticeSpec& notice,
                 std::int64_t now) {
  if (notice.key.empty() || !notice.render) { return; }
  std::string who;
  if (notice.to_author) {
    who = "SELECT author FROM proposals WHERE id = :id AND author IS NOT NULL";
  }
  if (notice.to_supporters) {
    if (!who.empty()) { who += " UNION "; }
    who += "SELECT pseudonym FROM proposal_supports WHERE proposal_id = :id";
  }
  if (who.empty()) { return; }
  SQLite::Statement q(db, std::string("SELECT ") + kCitizenColumns +
                              " FROM citizens c WHERE c.unreachable = 0 AND "
                              "c.notifications_stopped_at IS NULL AND c.pseudonym IN (" +
                              who + ") ORDER BY c.pseudonym");
  q.bind(":id", proposal_id);
  std::vector<CitizenRecord> recipients;
  while (q.executeStep()) { recipients.push_back(readCitizen(q)); }
  for (const auto& c : recipients) {
    SQLite::Statement mark(db,
                           "INSERT OR IGNORE INTO proposal_notices (proposal_id, notice_key, "
                           "pseudonym, sent_at) VALUES (?, ?, ?, ?)");
    mark.bind(1, proposal_id);
    mark.bind(2, notice.key);
    mark.bind(3, c.pseudonym);
    mark.bind(4, now);
    if (mark.exec() == 0) { continue; }  // told before
    insertOutbound(db, notice.render(c), 0, now);
  }
}

//! A pending proposal moves on: `update` (?1 the time, ?2 the id, ?3 `text`) changes it only
//! while it is pending; then whom `notice` names is told.
template <class... Extra>
Result<void> decidePending(Database& database, std::int64_t id, const char* update, SysTime now,
                           const NoticeSpec& notice, const Extra&... extra) {
  return changeOrRefuse(database, ErrorCode::Conflict, "proposal is not pending",
                        [&](SQLite::Database& db) {
                          SQLite::Statement q(db, update);
                          bindAll(q, now, id, extra...);
                          if (q.exec() == 0) { return false; }
                          sendNotices(db, id, notice, toMillis(now));
                          return true;
                        });
}

//! A pending comment moves on: `update` (?1 the id, ?2 the time or the reason) changes it only
//! while it is pending.
template <class Value>
Result<void> decideComment(Database& database, std::int64_t id, const char* update,
                           const Value& value) {
  return changeOrRefuse(database, ErrorCode::Conflict, "comment is not pending",
                        [&](SQLite::Database& db) {
                          SQLite::Statement q(db, update);
                          bindAll(q, id, value);
                          return q.exec() != 0;
                        });
}

}  // namespace

// ---- campaigns ----

Result<std::int64_t> SqliteProposalStore::createCampaign(const Campaign& campaign) {
  std::int64_t id = 0;
  auto r = db_.write([&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "INSERT INTO campaigns (title, description, collecting_from, "
                        "supporting_from, review_from, decision_from, implementation_from, "
                        "closed_from, max_proposals_per_citizen, support_threshold, topics) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    bindCampaign(q, campaign);
    q.exec();
    id = db.getLastInsertRowid();
  });
  if (!r) { return fail(r.error().code, r.error().detail); }
  return id;
}

Result<void> SqliteProposalStore::updateCampaign(const Campaign& campaign) {
  return changeOrRefuse(db_, ErrorCode::NotFound, "no such campaign", [&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "UPDATE campaigns SET title = ?, description = ?, collecting_from = ?, "
                        "supporting_from = ?, review_from = ?, decision_from = ?, "
                        "implementation_from = ?, closed_from = ?, max_proposals_per_citizen = ?, "
                        "support_threshold = ?, topics = ? WHERE id = ?");
    bindCampaign(q, campaign);
    q.bind(12, campaign.id);
    return q.exec() != 0;
  });
}

Result<std::vector<Campaign>> SqliteProposalStore::campaigns() {
  return readAll(
      db_, selectFrom(kCampaignColumns, "campaigns ORDER BY collecting_from DESC, id DESC"),
      readCampaign);
}

Result<std::optional<Campaign>> SqliteProposalStore::campaign(std::int64_t id) {
  return readFirst(db_, selectFrom(kCampaignColumns, "campaigns WHERE id = ?"), readCampaign, id);
}

Result<std::optional<Campaign>> SqliteProposalStore::activeCampaign(SysTime now) {
  return readFirst(db_,
                  selectFrom(kCampaignColumns,
                             "campaigns WHERE collecting_from <= ?1 AND closed_from > ?1 "
                             "ORDER BY collecting_from DESC, id DESC LIMIT 1"),
                  readCampaign, now);
}

// ---- citizens ----

Result<SubmitResult> SqliteProposalStore::submit(const NewProposal& p, int max_per_citizen) {
  SubmitResult result = SubmitResult::Stored;
  auto r = db_.write([&](SQLite::Database& db) {
    if (p.source_event > 0) {
      SQLite::Statement seen(db, "SELECT 1 FROM proposals WHERE source_event = ?");
      seen.bind(1, p.source_event);
      if (seen.executeStep()) { return; }  // this event was stored before (re-run)
    }
    SQLite::Statement camp(db, "SELECT 1 FROM campaigns WHERE id = ?");
    camp.bind(1, p.campaign_id);
    if (!camp.executeStep()) {
      result = SubmitResult::NoCampaign;
      return;
    }
    SQLite::Statement count(db,
                            "SELECT COUNT(*) FROM proposals WHERE campaign_id = ? AND author = ? "
                            "AND status <> 'rejected'");
    count.bind(1, p.campaign_id);
    count.bind(2, p.author);
    count.executeStep();
    if (count.getColumn(0).getInt() >= max_per_citizen) {
      result = SubmitResult::LimitReached;
      return;
    }
    SQLite::Statement q(db,
                        "INSERT INTO proposals (campaign_id, source_event, status, title, "
                        "description, cost_eur, topic, lat, lon, address_text, photo_media_id, "
                        "author, created_at, updated_at) "
                        "VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, p.campaign_id);
    if (p.source_event > 0) {
      q.bind(2, p.source_event);
    } else {
      q.bind(2);
    }
    q.bind(3, p.title);
    q.bind(4, p.description);
    if (p.cost_eur) {
      q.bind(5, *p.cost_eur);
    } else {
      q.bind(5);
    }
    q.bind(6, p.topic);
    if (p.lat && p.lon) {
      q.bind(7, *p.lat);
      q.bind(8, *p.lon);
    } else {
      q.bind(7);
      q.bind(8);
    }
    q.bind(9, p.address_text);
    if (p.photo_media_id > 0) {
      q.bind(10, p.photo_media_id);
    } else {
      q.bind(10);
    }
    q.bind(11, p.author);
    q.bind(12, toMillis(p.now));
    q.bind(13, toMillis(p.now));
    q.exec();
    grantConsentOnceIn(db, p.author, kParticipationPurpose, toMillis(p.now));
  });
  if (!r) { return fail(r.error().code, r.error().detail); }
  return result;
}

Result<SupportResult> SqliteProposalStore::support(std::int64_t proposal_id,
                                                   const std::string& pseudonym, bool withdraw,
                                                   SysTime now) {
  SupportResult result = SupportResult::NotPublished;
  auto r = db_.write([&](SQLite::Database& db) {
    if (proposalStatus(db, proposal_id) != "published") {
      result = SupportResult::NotPublished;
      return;
    }
    if (withdraw) {
      SQLite::Statement d(db,
                          "DELETE FROM proposal_supports WHERE proposal_id = ? AND pseudonym = ?");
      d.bind(1, proposal_id);
      d.bind(2, pseudonym);
      result = d.exec() > 0 ? SupportResult::Withdrawn : SupportResult::NotSupported;
      return;
    }
    // The primary key (proposal_id, pseudonym) makes a second support a no-op.
    SQLite::Statement q(db,
                        "INSERT OR IGNORE INTO proposal_supports (proposal_id, pseudonym, "
                        "created_at) VALUES (?, ?, ?)");
    q.bind(1, proposal_id);
    q.bind(2, pseudonym);
    q.bind(3, toMillis(now));
    result = q.exec() > 0 ? SupportResult::Added : SupportResult::AlreadySupported;
    if (result == SupportResult::Added) {
      grantConsentOnceIn(db, pseudonym, kParticipationPurpose, toMillis(now));
    }
  });
  if (!r) { return fail(r.error().code, r.error().detail); }
  return result;
}

Result<bool> SqliteProposalStore::hasSupported(std::int64_t proposal_id,
                                               const std::string& pseudonym) {
  return readExists(db_, "SELECT 1 FROM proposal_supports WHERE proposal_id = ? AND pseudonym = ?",
                    proposal_id, pseudonym);
}

Result<bool> SqliteProposalStore::comment(std::int64_t proposal_id, const std::string& pseudonym,
                                          const std::string& body, std::int64_t source_event,
                                          SysTime now) {
  bool stored = false;
  auto r = db_.write([&](SQLite::Database& db) {
    if (proposalStatus(db, proposal_id) != "published") { return; }
    SQLite::Statement q(db,
                        "INSERT OR IGNORE INTO proposal_comments (proposal_id, source_event, "
                        "status, body, author, created_at) VALUES (?, ?, 'pending', ?, ?, ?)");
    q.bind(1, proposal_id);
    if (source_event > 0) {
      q.bind(2, source_event);
    } else {
      q.bind(2);
    }
    q.bind(3, body);
    q.bind(4, pseudonym);
    q.bind(5, toMillis(now));
    q.exec();
    stored = true;  // new, or stored by an earlier run of the same event
    grantConsentOnceIn(db, pseudonym, kParticipationPurpose, toMillis(now));
  });
  if (!r) { return fail(r.error().code, r.error().detail); }
  return stored;
}

Result<ParticipationRecords> SqliteProposalStore::recordsOf(const std::string& pseudonym) {
  return db_.read([&](SQLite::Database& db) {
    ParticipationRecords out;
    out.proposals = allRows(
        db, selectFrom(kProposalColumns, "proposals p WHERE p.author = ? ORDER BY p.id"),
        readProposal, pseudonym);
    out.comments = allRows(
        db, selectFrom(kCommentColumns, "proposal_comments WHERE author = ? ORDER BY id"),
        readComment, pseudonym);
    out.supported = allRows(db,
                            selectFrom(kProposalColumns,
                                       "proposals p JOIN proposal_supports x ON x.proposal_id = "
                                       "p.id WHERE x.pseudonym = ? ORDER BY p.id"),
                            readProposal, pseudonym);
    return out;
  });
}

// ---- public reads ----

Result<ProposalPage> SqliteProposalStore::published(std::int64_t campaign_id,
                                                    const std::string& order, int offset,
                                                    int limit) {
  return db_.read([&](SQLite::Database& db) {
    SQLite::Statement q(db, selectFrom(kProposalColumns,
                                       std::string("proposals p WHERE p.campaign_id = ? AND "
                                                   "p.status = 'published'") +
                                           publishedOrder(order) + " LIMIT ? OFFSET ?"));
    bindAll(q, campaign_id, limit + 1, offset);
    ProposalPage page;
    while (q.executeStep()) {
      if (static_cast<int>(page.items.size()) == limit) {
        page.more = true;
        break;
      }
      Proposal p = readProposal(q);
      p.author.clear();  // never public
      page.items.push_back(std::move(p));
    }
    return page;
  });
}

Result<std::optional<Proposal>> SqliteProposalStore::proposal(std::int64_t id) {
  return readFirst(db_, selectFrom(kProposalColumns, "proposals p WHERE p.id = ?"), readProposal,
                  id);
}

Result<std::vector<ProposalComment>> SqliteProposalStore::publishedComments(
    std::int64_t proposal_id) {
  return readAll(
      db_,
      selectFrom(kCommentColumns,
                 "proposal_comments WHERE proposal_id = ? AND status = 'published' "
                 "ORDER BY published_at, id"),
      [](SQLite::Statement& q) {
        ProposalComment c = readComment(q);
        c.author.clear();  // never public
        return c;
      },
      proposal_id);
}

Result<std::vector<ProposalOutcome>> SqliteProposalStore::outcomes(std::int64_t proposal_id) {
  return readAll(
      db_,
      kOutcomeColumnsAndOrder,
      [](SQLite::Statement& q) {
        ProposalOutcome o;
        o.proposal_id = q.getColumn(0).getInt64();
        o.stage = q.getColumn(1).getString();
        o.decision = q.getColumn(2).getString();
        o.text = q.getColumn(3).getString();
        o.decided_at = fromMillis(q.getColumn(4).getInt64());
        return o;
      },
      proposal_id);
}

// ---- moderation ----

Result<std::vector<Proposal>> SqliteProposalStore::pendingProposals(int limit) {
  return readAll(
      db_,
      selectFrom(kProposalColumns, "proposals p WHERE p.status = 'pending' ORDER BY p.id LIMIT ?"),
      readProposal, limit);
}

Result<std::vector<ProposalComment>> SqliteProposalStore::pendingComments(int limit) {
  return readAll(
      db_,
      selectFrom(kCommentColumns, "proposal_comments WHERE status = 'pending' ORDER BY id LIMIT ?"),
      readComment, limit);
}

Result<void> SqliteProposalStore::publishProposal(std::int64_t id,
                                                  const ProposalPublication& publication,
                                                  SysTime now, const NoticeSpec& notice) {
  // A photo is public only if there is one to show.
  return decidePending(db_, id,
                       "UPDATE proposals SET status = 'published', published_at = ?1, "
                       "updated_at = ?1, public_address = ?3, "
                       "photo_public = (?4 AND photo_media_id IS NOT NULL) "
                       "WHERE id = ?2 AND status = 'pending'",
                       now, notice, publication.public_address,
                       publication.photo_public ? 1 : 0);
}

Result<void> SqliteProposalStore::rejectProposal(std::int64_t id, const std::string& reason,
                                                 SysTime now, const NoticeSpec& notice) {
  return decidePending(db_, id,
                       "UPDATE proposals SET status = 'rejected', reject_reason = ?3, "
                       "updated_at = ?1 WHERE id = ?2 AND status = 'pending'",
                       now, notice, reason);
}

Result<void> SqliteProposalStore::mergeProposal(std::int64_t duplicate, std::int64_t target,
                                                SysTime now, const NoticeSpec& notice) {
  return changeOrRefuse(
      db_, ErrorCode::Conflict,
      "merge needs a published target and a pending or published duplicate",
      [&](SQLite::Database& db) {
        const std::string from = proposalStatus(db, duplicate);
        if (duplicate == target || proposalStatus(db, target) != "published" ||
            (from != "published" && from != "pending")) {
          return false;
        }
        // Told first, while the duplicate's supporters are still its own.
        sendNotices(db, duplicate, notice, toMillis(now));
        for (const char* sql : {
                 "INSERT OR IGNORE INTO proposal_supports (proposal_id, pseudonym, created_at) "
                 "SELECT :target, pseudonym, created_at FROM proposal_supports WHERE proposal_id = :dup",
                 "INSERT OR IGNORE INTO proposal_supports (proposal_id, pseudonym, created_at) "
                 "SELECT :target, author, :now FROM proposals WHERE id = :dup AND author IS NOT NULL "
                 "AND author IS NOT (SELECT author FROM proposals WHERE id = :target)",
                 "DELETE FROM proposal_supports WHERE proposal_id = :dup",
                 "UPDATE proposals SET status = 'merged', merged_into = :target, updated_at = :now "
                 "WHERE id = :dup"}) {
          SQLite::Statement q(db, sql);
          const std::string text = sql;
          if (text.find(":target") != std::string::npos) { q.bind(":target", target); }
          q.bind(":dup", duplicate);
          if (text.find(":now") != std::string::npos) { q.bind(":now", toMillis(now)); }
          q.exec();
        }
        return true;
      });
}

Result<void> SqliteProposalStore::publishComment(std::int64_t id, SysTime now) {
  return decideComment(db_, id,
                       "UPDATE proposal_comments SET status = 'published', published_at = ?2 "
                       "WHERE id = ?1 AND status = 'pending'",
                       now);
}

Result<void> SqliteProposalStore::rejectComment(std::int64_t id, const std::string& reason,
                                                SysTime now) {
  (void)now;
  return decideComment(db_, id,
                       "UPDATE proposal_comments SET status = 'rejected', reject_reason = ?2 "
                       "WHERE id = ?1 AND status = 'pending'",
                       reason);
}

Result<void> SqliteProposalStore::recordOutcome(const ProposalOutcome& o, SysTime now,
                                                const NoticeSpec& notice) {
  return changeOrRefuse(
      db_, ErrorCode::Conflict, "proposal is not published", [&](SQLite::Database& db) {
        if (proposalStatus(db, o.proposal_id) != "published") { return false; }
        SQLite::Statement q(db,
                            "INSERT INTO proposal_outcomes (proposal_id, stage, decision, text, "
                            "decided_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (proposal_id, stage) "
                            "DO UPDATE SET decision = excluded.decision, text = excluded.text, "
                            "decided_at = excluded.decided_at");
        bindAll(q, o.proposal_id, o.stage, o.decision, o.text, now);
        q.exec();
        sendNotices(db, o.proposal_id, notice, toMillis(now));
        return true;
      });
}

}  // namespace bb::storage
