#include "storage/postgresql/pg_proposal_store.hpp"

#include <string>
#include <vector>

#include "storage/millis.hpp"
#include "storage/postgresql/pg_step_parts.hpp"
#include "storage/proposal_rows.hpp"
#include "storage/rows.hpp"

namespace bb::storage::pg {
namespace {

Proposal readProposal(const Rows& r, int i) {
  Proposal p;
  p.id = r.int64(i, 0);
  p.campaign_id = r.int64(i, 1);
  p.status = r.text(i, 2);
  p.title = r.text(i, 3);
  p.description = r.text(i, 4);
  if (!r.isNull(i, 5)) { p.cost_eur = r.int64(i, 5); }
  p.topic = r.text(i, 6);
  if (!r.isNull(i, 7)) { p.lat = r.real(i, 7); }
  if (!r.isNull(i, 8)) { p.lon = r.real(i, 8); }
  p.address_text = r.text(i, 9);
  p.photo_media_id = r.int64(i, 10);
  p.author = r.text(i, 11);
  p.reject_reason = r.text(i, 12);
  p.merged_into = r.int64(i, 13);
  p.created_at = fromMillis(r.int64(i, 14));
  p.published_at = timeAt(r, i, 15);
  p.supports = static_cast<int>(r.int64(i, 16));
  p.comments = static_cast<int>(r.int64(i, 17));
  p.public_address = r.text(i, 18);
  p.photo_public = r.flag(i, 19);
  p.photo_content_id = r.text(i, 20);
  return p;
}

ProposalComment readComment(const Rows& r, int i) {
  ProposalComment c;
  c.id = r.int64(i, 0);
  c.proposal_id = r.int64(i, 1);
  c.status = r.text(i, 2);
  c.body = r.text(i, 3);
  c.author = r.text(i, 4);
  c.reject_reason = r.text(i, 5);
  c.created_at = fromMillis(r.int64(i, 6));
  c.published_at = timeAt(r, i, 7);
  return c;
}

Campaign readCampaign(const Rows& r, int i) {
  Campaign c;
  c.id = r.int64(i, 0);
  c.title = r.text(i, 1);
  c.description = r.text(i, 2);
  c.dates.collecting_from = fromMillis(r.int64(i, 3));
  c.dates.supporting_from = fromMillis(r.int64(i, 4));
  c.dates.review_from = fromMillis(r.int64(i, 5));
  c.dates.decision_from = fromMillis(r.int64(i, 6));
  c.dates.implementation_from = fromMillis(r.int64(i, 7));
  c.dates.closed_from = fromMillis(r.int64(i, 8));
  c.max_proposals_per_citizen = static_cast<int>(r.int64(i, 9));
  c.support_threshold = static_cast<int>(r.int64(i, 10));
  c.topics = splitTopics(r.text(i, 11));
  return c;
}

template <class Read>
auto allOf(const Rows& rows, Read&& read) {
  std::vector<decltype(read(rows, 0))> out;
  for (int i = 0; i < rows.size(); ++i) { out.push_back(read(rows, i)); }
  return out;
}

//! $1 … $11 of a campaign row, in kCampaignColumns' order after the id.
std::vector<Param> campaignParams(const Campaign& c) {
  return {param(c.title),
          param(c.description),
          param(toMillis(c.dates.collecting_from)),
          param(toMillis(c.dates.supporting_from)),
          param(toMillis(c.dates.review_from)),
          param(toMillis(c.dates.decision_from)),
          param(toMillis(c.dates.implementation_from)),
          param(toMillis(c.dates.closed_from)),
          param(c.max_proposals_per_citizen),
          param(c.support_threshold),
          param(joinTopics(c.topics))};
}

//! The proposal's status ("" when there is none), its row locked as `lock` says ("FOR SHARE",
//! "FOR UPDATE") until the commit.
std::string proposalStatus(Session& s, std::int64_t id, const char* lock) {
  Rows rows = s.run(std::string("SELECT status FROM proposals WHERE id = $1 ") + lock, id);
  return rows.empty() ? std::string() : rows.text(0, 0);
}

bool sendsNotice(const NoticeSpec& notice) {
  return !notice.key.empty() && notice.render && (notice.to_author || notice.to_supporters);
}

//! Whom `notice` may reach: the proposal's author and/or supporters who can be reached and did
//! not stop notifications, in pseudonym order.
std::vector<CitizenRecord> noticeRecipients(Session& s, std::int64_t proposal_id,
                                            const NoticeSpec& notice) {
  std::string who;
  if (notice.to_author) {
    who = "SELECT author FROM proposals WHERE id = $1 AND author IS NOT NULL";
  }
  if (notice.to_supporters) {
    if (!who.empty()) { who += " UNION "; }
    who += "SELECT pseudonym FROM proposal_supports WHERE proposal_id = $1";
  }
  return allOf(s.run(std::string("SELECT ") + kCitizenColumns +
                         " FROM citizens c WHERE c.unreachable = 0 AND "
                         "c.notifications_stopped_at IS NULL AND c.pseudonym IN (" +
                         who + ") ORDER BY c.pseudonym",
                     proposal_id),
               readCitizen);
}

//! Takes the locks of whom `notice` will reach before the proposal's row is locked: a step of
//! one of them (an erasure changes their proposals) holds their lock first, too.
void lockNoticeRecipients(Session& s, std::int64_t proposal_id, const NoticeSpec& notice) {
  if (!sendsNotice(notice)) { return; }
  std::vector<std::string> pseudonyms;
  for (const CitizenRecord& c : noticeRecipients(s, proposal_id, notice)) {
    pseudonyms.push_back(c.pseudonym);
  }
  lockRecipients(s, pseudonyms);
}

//! Queues `notice` for each recipient not told this key for this proposal before; records who
//! was told. Runs inside the caller's transaction.
void sendNotices(Session& s, std::int64_t proposal_id, const NoticeSpec& notice,
                 std::int64_t now) {
  if (!sendsNotice(notice)) { return; }
  for (const CitizenRecord& c : noticeRecipients(s, proposal_id, notice)) {
    if (s.run("INSERT INTO proposal_notices (proposal_id, notice_key, pseudonym, sent_at) "
              "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
              proposal_id, notice.key, c.pseudonym, now)
            .affected() == 0) {
      continue;  // told before
    }
    insertOutbound(s, notice.render(c), 0, now);
  }
}

//! Runs `change` in one transaction; when it answers false (nothing was in the state for it)
//! the answer is `code` with `refusal`.
template <class F>
Result<void> changeOrRefuse(PgDatabase& db, ErrorCode code, const char* refusal, F&& change) {
  auto changed = db.transaction(std::forward<F>(change));
  if (!changed) { return fail(changed.error().code, changed.error().detail); }
  if (!*changed) { return fail(code, refusal); }
  return {};
}

//! A pending proposal moves on: `update` ($1 the time, $2 the id, $3… `extra`) changes it only
//! while it is pending; then whom `notice` names is told.
Result<void> decidePending(PgDatabase& db, std::int64_t id, const char* update, SysTime now,
                           const NoticeSpec& notice, std::vector<Param> extra) {
  return changeOrRefuse(db, ErrorCode::Conflict, "proposal is not pending", [&](Session& s) {
    lockNoticeRecipients(s, id, notice);
    std::vector<Param> params{param(toMillis(now)), param(id)};
    params.insert(params.end(), extra.begin(), extra.end());
    if (s.exec(update, params).affected() == 0) { return false; }
    sendNotices(s, id, notice, toMillis(now));
    return true;
  });
}

//! A pending comment moves on: `update` ($1 the id, $2 the time or the reason) changes it only
//! while it is pending.
Result<void> decideComment(PgDatabase& db, std::int64_t id, const char* update,
                           const Param& value) {
  return changeOrRefuse(db, ErrorCode::Conflict, "comment is not pending", [&](Session& s) {
    return s.exec(update, {param(id), value}).affected() != 0;
  });
}

}  // namespace

// ---- campaigns ----

Result<std::int64_t> PgProposalStore::createCampaign(const Campaign& campaign) {
  return db_.withConnection([&](Session& s) {
    return s
        .exec("INSERT INTO campaigns (title, description, collecting_from, supporting_from, "
              "review_from, decision_from, implementation_from, closed_from, "
              "max_proposals_per_citizen, support_threshold, topics) "
              "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
              campaignParams(campaign))
        .int64(0, 0);
  });
}

Result<void> PgProposalStore::updateCampaign(const Campaign& campaign) {
  return changeOrRefuse(db_, ErrorCode::NotFound, "no such campaign", [&](Session& s) {
    std::vector<Param> params = campaignParams(campaign);
    params.push_back(param(campaign.id));
    return s.exec("UPDATE campaigns SET title = $1, description = $2, collecting_from = $3, "
                  "supporting_from = $4, review_from = $5, decision_from = $6, "
                  "implementation_from = $7, closed_from = $8, max_proposals_per_citizen = $9, "
                  "support_threshold = $10, topics = $11 WHERE id = $12",
                  params)
               .affected() != 0;
  });
}

Result<std::vector<Campaign>> PgProposalStore::campaigns() {
  return db_.withConnection([&](Session& s) {
    return allOf(s.run(std::string("SELECT ") + kCampaignColumns +
                       " FROM campaigns ORDER BY collecting_from DESC, id DESC"),
                 readCampaign);
  });
}

Result<std::optional<Campaign>> PgProposalStore::campaign(std::int64_t id) {
  return db_.withConnection([&](Session& s) -> std::optional<Campaign> {
    Rows rows =
        s.run(std::string("SELECT ") + kCampaignColumns + " FROM campaigns WHERE id = $1", id);
    if (rows.empty()) { return std::nullopt; }
    return readCampaign(rows, 0);
  });
}

Result<std::optional<Campaign>> PgProposalStore::activeCampaign(SysTime now) {
  return db_.withConnection([&](Session& s) -> std::optional<Campaign> {
    Rows rows = s.run(std::string("SELECT ") + kCampaignColumns +
                          " FROM campaigns WHERE collecting_from <= $1 AND closed_from > $1 "
                          "ORDER BY collecting_from DESC, id DESC LIMIT 1",
                      toMillis(now));
    if (rows.empty()) { return std::nullopt; }
    return readCampaign(rows, 0);
  });
}

// ---- citizens ----

Result<SubmitResult> PgProposalStore::submit(const NewProposal& p, int max_per_citizen) {
  return db_.transaction([&](Session& s) {
    // One citizen's submissions one after the other (two instances, the web chat beside a
    // messenger): the count below then sees the other's proposal, and the limit holds.
    lockRecipients(s, {p.author});
    if (p.source_event > 0 &&
        !s.run("SELECT 1 FROM proposals WHERE source_event = $1", p.source_event).empty()) {
      return SubmitResult::Stored;  // this event was stored before (re-run)
    }
    if (s.run("SELECT 1 FROM campaigns WHERE id = $1", p.campaign_id).empty()) {
      return SubmitResult::NoCampaign;
    }
    if (s.run("SELECT COUNT(*) FROM proposals WHERE campaign_id = $1 AND author = $2 "
              "AND status <> 'rejected'",
              p.campaign_id, p.author)
            .int64(0, 0) >= max_per_citizen) {
      return SubmitResult::LimitReached;
    }
    const bool located = p.lat && p.lon;
    const std::int64_t now = toMillis(p.now);
    s.run("INSERT INTO proposals (campaign_id, source_event, status, title, description, "
          "cost_eur, topic, lat, lon, address_text, photo_media_id, author, created_at, "
          "updated_at) VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) "
          "ON CONFLICT (source_event) DO NOTHING",
          p.campaign_id, p.source_event > 0 ? param(p.source_event) : Param(), p.title,
          p.description, p.cost_eur, p.topic, located ? p.lat : std::nullopt,
          located ? p.lon : std::nullopt, p.address_text,
          p.photo_media_id > 0 ? param(p.photo_media_id) : Param(), p.author, now);
    grantConsentOnce(s, p.author, kParticipationPurpose, now);
    return SubmitResult::Stored;
  });
}

Result<SupportResult> PgProposalStore::support(std::int64_t proposal_id,
                                               const std::string& pseudonym, bool withdraw,
                                               SysTime now) {
  return db_.transaction([&](Session& s) {
    lockRecipients(s, {pseudonym});
    // A share lock: a merge or moderation of the proposal waits until this support commits.
    if (proposalStatus(s, proposal_id, "FOR SHARE") != "published") {
      return SupportResult::NotPublished;
    }
    if (withdraw) {
      return s.run("DELETE FROM proposal_supports WHERE proposal_id = $1 AND pseudonym = $2",
                   proposal_id, pseudonym)
                         .affected() > 0
                 ? SupportResult::Withdrawn
                 : SupportResult::NotSupported;
    }
    // The primary key (proposal_id, pseudonym) makes a second support a no-op.
    if (s.run("INSERT INTO proposal_supports (proposal_id, pseudonym, created_at) "
              "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
              proposal_id, pseudonym, toMillis(now))
            .affected() == 0) {
      return SupportResult::AlreadySupported;
    }
    grantConsentOnce(s, pseudonym, kParticipationPurpose, toMillis(now));
    return SupportResult::Added;
  });
}

Result<bool> PgProposalStore::hasSupported(std::int64_t proposal_id,
                                           const std::string& pseudonym) {
  return db_.withConnection([&](Session& s) {
    return !s.run("SELECT 1 FROM proposal_supports WHERE proposal_id = $1 AND pseudonym = $2",
                  proposal_id, pseudonym)
                .empty();
  });
}

Result<bool> PgProposalStore::comment(std::int64_t proposal_id, const std::string& pseudonym,
                                      const std::string& body, std::int64_t source_event,
                                      SysTime now) {
  return db_.transaction([&](Session& s) {
    lockRecipients(s, {pseudonym});
    if (proposalStatus(s, proposal_id, "FOR SHARE") != "published") { return false; }
    s.run("INSERT INTO proposal_comments (proposal_id, source_event, status, body, author, "
          "created_at) VALUES ($1, $2, 'pending', $3, $4, $5) ON CONFLICT DO NOTHING",
          proposal_id, source_event > 0 ? param(source_event) : Param(), body, pseudonym,
          toMillis(now));
    grantConsentOnce(s, pseudonym, kParticipationPurpose, toMillis(now));
    return true;  // new, or stored by an earlier run of the same event
  });
}

Result<ParticipationRecords> PgProposalStore::recordsOf(const std::string& pseudonym) {
  return db_.transaction([&](Session& s) {
    ParticipationRecords out;
    out.proposals = allOf(s.run(std::string("SELECT ") + kProposalColumns +
                                    " FROM proposals p WHERE p.author = $1 ORDER BY p.id",
                                pseudonym),
                          readProposal);
    out.comments = allOf(s.run(std::string("SELECT ") + kCommentColumns +
                                   " FROM proposal_comments WHERE author = $1 ORDER BY id",
                               pseudonym),
                         readComment);
    out.supported = allOf(s.run(std::string("SELECT ") + kProposalColumns +
                                    " FROM proposals p JOIN proposal_supports x ON "
                                    "x.proposal_id = p.id WHERE x.pseudonym = $1 ORDER BY p.id",
                                pseudonym),
                          readProposal);
    return out;
  });
}

// ---- public reads ----

Result<ProposalPage> PgProposalStore::published(std::int64_t campaign_id,
                                                const std::string& order, int offset,
                                                int limit) {
  return db_.withConnection([&](Session& s) {
    Rows rows = s.run(std::string("SELECT ") + kProposalColumns +
                          " FROM proposals p WHERE p.campaign_id = $1 AND "
                          "p.status = 'published'" +
                          publishedOrder(order) + " LIMIT $2 OFFSET $3",
                      campaign_id, limit + 1, offset);
    ProposalPage page;
    for (int i = 0; i < rows.size(); ++i) {
      if (static_cast<int>(page.items.size()) == limit) {
        page.more = true;
        break;
      }
      Proposal p = readProposal(rows, i);
      p.author.clear();  // never public
      page.items.push_back(std::move(p));
    }
    return page;
  });
}

Result<std::optional<Proposal>> PgProposalStore::proposal(std::int64_t id) {
  return db_.withConnection([&](Session& s) -> std::optional<Proposal> {
    Rows rows = s.run(
        std::string("SELECT ") + kProposalColumns + " FROM proposals p WHERE p.id = $1", id);
    if (rows.empty()) { return std::nullopt; }
    return readProposal(rows, 0);
  });
}

Result<std::vector<ProposalComment>> PgProposalStore::publishedComments(
    std::int64_t proposal_id) {
  return db_.withConnection([&](Session& s) {
    return allOf(s.run(std::string("SELECT ") + kCommentColumns +
                           " FROM proposal_comments WHERE proposal_id = $1 AND "
                           "status = 'published' ORDER BY published_at, id",
                       proposal_id),
                 [](const Rows& rows, int i) {
                   ProposalComment c = readComment(rows, i);
                   c.author.clear();  // never public
                   return c;
                 });
  });
}

Result<std::vector<ProposalOutcome>> PgProposalStore::outcomes(std::int64_t proposal_id) {
  return db_.withConnection([&](Session& s) {
    return allOf(s.run(kOutcomeColumnsAndOrder, proposal_id), [](const Rows& rows, int i) {
      ProposalOutcome o;
      o.proposal_id = rows.int64(i, 0);
      o.stage = rows.text(i, 1);
      o.decision = rows.text(i, 2);
      o.text = rows.text(i, 3);
      o.decided_at = fromMillis(rows.int64(i, 4));
      return o;
    });
  });
}

// ---- moderation ----

Result<std::vector<Proposal>> PgProposalStore::pendingProposals(int limit) {
  return db_.withConnection([&](Session& s) {
    return allOf(s.run(std::string("SELECT ") + kProposalColumns +
                           " FROM proposals p WHERE p.status = 'pending' ORDER BY p.id LIMIT $1",
                       limit),
                 readProposal);
  });
}

Result<std::vector<ProposalComment>> PgProposalStore::pendingComments(int limit) {
  return db_.withConnection([&](Session& s) {
    return allOf(s.run(std::string("SELECT ") + kCommentColumns +
                           " FROM proposal_comments WHERE status = 'pending' ORDER BY id LIMIT $1",
                       limit),
                 readComment);
  });
}

Result<void> PgProposalStore::publishProposal(std::int64_t id,
                                              const ProposalPublication& publication,
                                              SysTime now, const NoticeSpec& notice) {
  // A photo is public only if there is one to show.
  return decidePending(db_, id,
                       "UPDATE proposals SET status = 'published', published_at = $1, "
                       "updated_at = $1, public_address = $3, photo_public = "
                       "CASE WHEN $4 AND photo_media_id IS NOT NULL THEN 1 ELSE 0 END "
                       "WHERE id = $2 AND status = 'pending'",
                       now, notice,
                       {param(publication.public_address), param(publication.photo_public)});
}

Result<void> PgProposalStore::rejectProposal(std::int64_t id, const std::string& reason,
                                             SysTime now, const NoticeSpec& notice) {
  return decidePending(db_, id,
                       "UPDATE proposals SET status = 'rejected', reject_reason = $3, "
                       "updated_at = $1 WHERE id = $2 AND status = 'pending'",
                       now, notice, {param(reason)});
}

Result<void> PgProposalStore::mergeProposal(std::int64_t duplicate, std::int64_t target,
                                            SysTime now, const NoticeSpec& notice) {
  const std::int64_t ms = toMillis(now);
  return changeOrRefuse(
      db_, ErrorCode::Conflict,
      "merge needs a published target and a pending or published duplicate", [&](Session& s) {
        if (duplicate == target) { return false; }
        lockNoticeRecipients(s, duplicate, notice);
        // Both rows locked in id order: two merges of the same pair wait, not deadlock.
        Rows rows = s.run("SELECT id, status FROM proposals WHERE id IN ($1, $2) ORDER BY id "
                          "FOR UPDATE",
                          duplicate, target);
        std::string from;
        std::string to;
        for (int i = 0; i < rows.size(); ++i) {
          (rows.int64(i, 0) == duplicate ? from : to) = rows.text(i, 1);
        }
        if (to != "published" || (from != "published" && from != "pending")) { return false; }
        // Told first, while the duplicate's supporters are still its own.
        sendNotices(s, duplicate, notice, ms);
        s.run("INSERT INTO proposal_supports (proposal_id, pseudonym, created_at) "
              "SELECT $1::bigint, pseudonym, created_at FROM proposal_supports "
              "WHERE proposal_id = $2 ON CONFLICT DO NOTHING",
              target, duplicate);
        s.run("INSERT INTO proposal_supports (proposal_id, pseudonym, created_at) "
              "SELECT $1::bigint, author, $3::bigint FROM proposals WHERE id = $2 AND "
              "author IS NOT NULL AND author IS DISTINCT FROM "
              "(SELECT author FROM proposals WHERE id = $1) ON CONFLICT DO NOTHING",
              target, duplicate, ms);
        s.run("DELETE FROM proposal_supports WHERE proposal_id = $1", duplicate);
        s.run("UPDATE proposals SET status = 'merged', merged_into = $1, updated_at = $2 "
              "WHERE id = $3",
              target, ms, duplicate);
        return true;
      });
}

Result<void> PgProposalStore::publishComment(std::int64_t id, SysTime now) {
  return decideComment(db_, id,
                       "UPDATE proposal_comments SET status = 'published', published_at = $2 "
                       "WHERE id = $1 AND status = 'pending'",
                       param(toMillis(now)));
}

Result<void> PgProposalStore::rejectComment(std::int64_t id, const std::string& reason,
                                            SysTime now) {
  (void)now;
  return decideComment(db_, id,
                       "UPDATE proposal_comments SET status = 'rejected', reject_reason = $2 "
                       "WHERE id = $1 AND status = 'pending'",
                       param(reason));
}

Result<void> PgProposalStore::recordOutcome(const ProposalOutcome& o, SysTime now,
                                            const NoticeSpec& notice) {
  const std::int64_t ms = toMillis(now);
  return changeOrRefuse(db_, ErrorCode::Conflict, "proposal is not published", [&](Session& s) {
    lockNoticeRecipients(s, o.proposal_id, notice);
    if (proposalStatus(s, o.proposal_id, "FOR UPDATE") != "published") { return false; }
    s.run("INSERT INTO proposal_outcomes (proposal_id, stage, decision, text, decided_at) "
          "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (proposal_id, stage) DO UPDATE SET "
          "decision = excluded.decision, text = excluded.text, decided_at = excluded.decided_at",
          o.proposal_id, o.stage, o.decision, o.text, ms);
    sendNotices(s, o.proposal_id, notice, ms);
    return true;
  });
}

}  // namespace bb::storage::pg
