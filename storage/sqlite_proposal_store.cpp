#include "storage/sqlite_proposal_store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/sqlite_store.hpp"
#include "storage/ticket_rows.hpp"

namespace bb::storage {
namespace {

//! Thrown inside a write job to roll back its savepoint; the caller reports `code`.
struct Refused : std::exception {
  const char* what() const noexcept override { return "refused"; }
};

constexpr const char* kProposalColumns =
    "p.id, p.campaign_id, p.status, p.title, p.description, p.cost_eur, p.topic, p.lat, p.lon, "
    "p.address_text, p.photo_media_id, p.author, p.reject_reason, p.merged_into, p.created_at, "
    "p.published_at, (SELECT COUNT(*) FROM proposal_supports s WHERE s.proposal_id = p.id), "
    "(SELECT COUNT(*) FROM proposal_comments k WHERE k.proposal_id = p.id AND "
    "k.status = 'published')";

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
  p.photo_media_id = q.getColumn(10).isNull() ? 0 : q.getColumn(10).getInt64();
  p.author = q.getColumn(11).isNull() ? std::string() : q.getColumn(11).getString();
  p.reject_reason = q.getColumn(12).getString();
  p.merged_into = q.getColumn(13).isNull() ? 0 : q.getColumn(13).getInt64();
  p.created_at = fromMillis(q.getColumn(14).getInt64());
  if (!q.getColumn(15).isNull()) { p.published_at = fromMillis(q.getColumn(15).getInt64()); }
  p.supports = q.getColumn(16).getInt();
  p.comments = q.getColumn(17).getInt();
  return p;
}

constexpr const char* kCommentColumns =
    "id, proposal_id, status, body, author, reject_reason, created_at, published_at";

ProposalComment readComment(SQLite::Statement& q) {
  ProposalComment c;
  c.id = q.getColumn(0).getInt64();
  c.proposal_id = q.getColumn(1).getInt64();
  c.status = q.getColumn(2).getString();
  c.body = q.getColumn(3).getString();
  c.author = q.getColumn(4).isNull() ? std::string() : q.getColumn(4).getString();
  c.reject_reason = q.getColumn(5).getString();
  c.created_at = fromMillis(q.getColumn(6).getInt64());
  if (!q.getColumn(7).isNull()) { c.published_at = fromMillis(q.getColumn(7).getInt64()); }
  return c;
}

std::string joinTopics(const std::vector<std::string>& topics) {
  std::string out;
  for (const auto& t : topics) {
    std::string clean;
    for (const char c : t) { clean += (c == '\n' || c == '\r') ? ' ' : c; }
    if (clean.empty()) { continue; }
    if (!out.empty()) { out += '\n'; }
    out += clean;
  }
  return out;
}

std::vector<std::string> splitTopics(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto nl = text.find('\n', start);
    const std::string part = text.substr(start, nl == std::string::npos ? nl : nl - start);
    if (!part.empty()) { out.push_back(part); }
    if (nl == std::string::npos) { break; }
    start = nl + 1;
  }
  return out;
}

constexpr const char* kCampaignColumns =
    "id, title, description, collecting_from, supporting_from, review_from, decision_from, "
    "implementation_from, closed_from, max_proposals_per_citizen, support_threshold, topics";

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
//! before and can be reached; records who was told. Runs inside the caller's write job.
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
  SQLite::Statement q(db,
                      "SELECT c.pseudonym, c.channel, c.address_ct, c.key_id, c.lang "
                      "FROM citizens c WHERE c.unreachable = 0 AND c.pseudonym IN (" + who +
                          ") ORDER BY c.pseudonym");
  q.bind(":id", proposal_id);
  struct Recipient {
    NewOutbound out;
    std::string lang;
  };
  std::vector<Recipient> recipients;
  while (q.executeStep()) {
    Recipient r;
    r.out.pseudonym = q.getColumn(0).getString();
    r.out.channel = channelFromString(q.getColumn(1).getString()).value_or(Channel::WebChat);
    const auto& ct = q.getColumn(2);
    r.out.address_ct = std::string(static_cast<const char*>(ct.getBlob()),
                                   static_cast<std::size_t>(ct.getBytes()));
    r.out.key_id = q.getColumn(3).getString();
    r.out.kind = "notice";
    r.lang = q.getColumn(4).getString();
    recipients.push_back(std::move(r));
  }
  for (auto& r : recipients) {
    SQLite::Statement mark(db,
                           "INSERT OR IGNORE INTO proposal_notices (proposal_id, notice_key, "
                           "pseudonym, sent_at) VALUES (?, ?, ?, ?)");
    mark.bind(1, proposal_id);
    mark.bind(2, notice.key);
    mark.bind(3, r.out.pseudonym);
    mark.bind(4, now);
    if (mark.exec() == 0) { continue; }  // told before
    r.out.payload = notice.render(r.lang);
    insertOutbound(db, r.out, 0, now);
  }
}

template <class T>
Result<T> refusedOr(Result<T> r, bool refused, ErrorCode code, const char* detail) {
  if (refused) { return fail(code, detail); }
  return r;
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
  bool missing = false;
  auto r = db_.write([&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "UPDATE campaigns SET title = ?, description = ?, collecting_from = ?, "
                        "supporting_from = ?, review_from = ?, decision_from = ?, "
                        "implementation_from = ?, closed_from = ?, max_proposals_per_citizen = ?, "
                        "support_threshold = ?, topics = ? WHERE id = ?");
    bindCampaign(q, campaign);
    q.bind(12, campaign.id);
    if (q.exec() == 0) {
      missing = true;
      throw Refused();
    }
  });
  return refusedOr(std::move(r), missing, ErrorCode::NotFound, "no such campaign");
}

Result<std::vector<Campaign>> SqliteProposalStore::campaigns() {
  return db_.read([](SQLite::Database& db) {
    SQLite::Statement q(db, std::string("SELECT ") + kCampaignColumns +
                                " FROM campaigns ORDER BY collecting_from DESC, id DESC");
    std::vector<Campaign> out;
    while (q.executeStep()) { out.push_back(readCampaign(q)); }
    return out;
  });
}

Result<std::optional<Campaign>> SqliteProposalStore::campaign(std::int64_t id) {
  return db_.read([id](SQLite::Database& db) -> std::optional<Campaign> {
    SQLite::Statement q(db,
                        std::string("SELECT ") + kCampaignColumns + " FROM campaigns WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) { return std::nullopt; }
    return readCampaign(q);
  });
}

Result<std::optional<Campaign>> SqliteProposalStore::activeCampaign(SysTime now) {
  return db_.read([now](SQLite::Database& db) -> std::optional<Campaign> {
    SQLite::Statement q(db, std::string("SELECT ") + kCampaignColumns +
                                " FROM campaigns WHERE collecting_from <= ? AND closed_from > ? "
                                "ORDER BY collecting_from DESC, id DESC LIMIT 1");
    q.bind(1, toMillis(now));
    q.bind(2, toMillis(now));
    if (!q.executeStep()) { return std::nullopt; }
    return readCampaign(q);
  });
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
  });
  if (!r) { return fail(r.error().code, r.error().detail); }
  return result;
}

Result<bool> SqliteProposalStore::hasSupported(std::int64_t proposal_id,
                                               const std::string& pseudonym) {
  return db_.read([&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "SELECT 1 FROM proposal_supports WHERE proposal_id = ? AND pseudonym = ?");
    q.bind(1, proposal_id);
    q.bind(2, pseudonym);
    return q.executeStep();
  });
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
  });
  if (!r) { return fail(r.error().code, r.error().detail); }
  return stored;
}

Result<ParticipationRecords> SqliteProposalStore::recordsOf(const std::string& pseudonym) {
  return db_.read([&](SQLite::Database& db) {
    ParticipationRecords out;
    SQLite::Statement p(db, std::string("SELECT ") + kProposalColumns +
                                " FROM proposals p WHERE p.author = ? ORDER BY p.id");
    p.bind(1, pseudonym);
    while (p.executeStep()) { out.proposals.push_back(readProposal(p)); }
    SQLite::Statement c(db, std::string("SELECT ") + kCommentColumns +
                                " FROM proposal_comments WHERE author = ? ORDER BY id");
    c.bind(1, pseudonym);
    while (c.executeStep()) { out.comments.push_back(readComment(c)); }
    SQLite::Statement s(db, std::string("SELECT ") + kProposalColumns +
                                " FROM proposals p JOIN proposal_supports x ON x.proposal_id = "
                                "p.id WHERE x.pseudonym = ? ORDER BY p.id");
    s.bind(1, pseudonym);
    while (s.executeStep()) { out.supported.push_back(readProposal(s)); }
    return out;
  });
}

// ---- public reads ----

Result<ProposalPage> SqliteProposalStore::published(std::int64_t campaign_id,
                                                    const std::string& order, int offset,
                                                    int limit) {
  return db_.read([&](SQLite::Database& db) {
    const std::string by = order == "top" ? " ORDER BY 17 DESC, p.published_at DESC, p.id DESC"
                                          : " ORDER BY p.published_at DESC, p.id DESC";
    SQLite::Statement q(db, std::string("SELECT ") + kProposalColumns +
                                " FROM proposals p WHERE p.campaign_id = ? AND "
                                "p.status = 'published'" + by + " LIMIT ? OFFSET ?");
    q.bind(1, campaign_id);
    q.bind(2, limit + 1);
    q.bind(3, offset);
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
  return db_.read([id](SQLite::Database& db) -> std::optional<Proposal> {
    SQLite::Statement q(db,
                        std::string("SELECT ") + kProposalColumns + " FROM proposals p WHERE p.id = ?");
    q.bind(1, id);
    if (!q.executeStep()) { return std::nullopt; }
    return readProposal(q);
  });
}

Result<std::vector<ProposalComment>> SqliteProposalStore::publishedComments(
    std::int64_t proposal_id) {
  return db_.read([proposal_id](SQLite::Database& db) {
    SQLite::Statement q(db, std::string("SELECT ") + kCommentColumns +
                                " FROM proposal_comments WHERE proposal_id = ? AND "
                                "status = 'published' ORDER BY published_at, id");
    q.bind(1, proposal_id);
    std::vector<ProposalComment> out;
    while (q.executeStep()) {
      ProposalComment c = readComment(q);
      c.author.clear();
      out.push_back(std::move(c));
    }
    return out;
  });
}

Result<std::vector<ProposalOutcome>> SqliteProposalStore::outcomes(std::int64_t proposal_id) {
  return db_.read([proposal_id](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "SELECT proposal_id, stage, decision, text, decided_at FROM "
                        "proposal_outcomes WHERE proposal_id = ? ORDER BY CASE stage WHEN "
                        "'committee' THEN 1 WHEN 'council' THEN 2 ELSE 3 END");
    q.bind(1, proposal_id);
    std::vector<ProposalOutcome> out;
    while (q.executeStep()) {
      ProposalOutcome o;
      o.proposal_id = q.getColumn(0).getInt64();
      o.stage = q.getColumn(1).getString();
      o.decision = q.getColumn(2).getString();
      o.text = q.getColumn(3).getString();
      o.decided_at = fromMillis(q.getColumn(4).getInt64());
      out.push_back(std::move(o));
    }
    return out;
  });
}

// ---- moderation ----

Result<std::vector<Proposal>> SqliteProposalStore::pendingProposals(int limit) {
  return db_.read([limit](SQLite::Database& db) {
    SQLite::Statement q(db, std::string("SELECT ") + kProposalColumns +
                                " FROM proposals p WHERE p.status = 'pending' ORDER BY p.id LIMIT ?");
    q.bind(1, limit);
    std::vector<Proposal> out;
    while (q.executeStep()) { out.push_back(readProposal(q)); }
    return out;
  });
}

Result<std::vector<ProposalComment>> SqliteProposalStore::pendingComments(int limit) {
  return db_.read([limit](SQLite::Database& db) {
    SQLite::Statement q(db, std::string("SELECT ") + kCommentColumns +
                                " FROM proposal_comments WHERE status = 'pending' ORDER BY id "
                                "LIMIT ?");
    q.bind(1, limit);
    std::vector<ProposalComment> out;
    while (q.executeStep()) { out.push_back(readComment(q)); }
    return out;
  });
}

Result<void> SqliteProposalStore::publishProposal(std::int64_t id, SysTime now,
                                                  const NoticeSpec& notice) {
  bool refused = false;
  auto r = db_.write([&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "UPDATE proposals SET status = 'published', published_at = ?, "
                        "updated_at = ? WHERE id = ? AND status = 'pending'");
    q.bind(1, toMillis(now));
    q.bind(2, toMillis(now));
    q.bind(3, id);
    if (q.exec() == 0) {
      refused = true;
      throw Refused();
    }
    sendNotices(db, id, notice, toMillis(now));
  });
  return refusedOr(std::move(r), refused, ErrorCode::Conflict, "proposal is not pending");
}

Result<void> SqliteProposalStore::rejectProposal(std::int64_t id, const std::string& reason,
                                                 SysTime now, const NoticeSpec& notice) {
  bool refused = false;
  auto r = db_.write([&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "UPDATE proposals SET status = 'rejected', reject_reason = ?, "
                        "updated_at = ? WHERE id = ? AND status = 'pending'");
    q.bind(1, reason);
    q.bind(2, toMillis(now));
    q.bind(3, id);
    if (q.exec() == 0) {
      refused = true;
      throw Refused();
    }
    sendNotices(db, id, notice, toMillis(now));
  });
  return refusedOr(std::move(r), refused, ErrorCode::Conflict, "proposal is not pending");
}

Result<void> SqliteProposalStore::mergeProposal(std::int64_t duplicate, std::int64_t target,
                                                SysTime now, const NoticeSpec& notice) {
  bool refused = false;
  auto r = db_.write([&](SQLite::Database& db) {
    const std::string from = proposalStatus(db, duplicate);
    if (duplicate == target || proposalStatus(db, target) != "published" ||
        (from != "published" && from != "pending")) {
      refused = true;
      throw Refused();
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
  });
  return refusedOr(std::move(r), refused, ErrorCode::Conflict,
                   "merge needs a published target and a pending or published duplicate");
}

Result<void> SqliteProposalStore::publishComment(std::int64_t id, SysTime now) {
  bool refused = false;
  auto r = db_.write([&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "UPDATE proposal_comments SET status = 'published', published_at = ? "
                        "WHERE id = ? AND status = 'pending'");
    q.bind(1, toMillis(now));
    q.bind(2, id);
    if (q.exec() == 0) {
      refused = true;
      throw Refused();
    }
  });
  return refusedOr(std::move(r), refused, ErrorCode::Conflict, "comment is not pending");
}

Result<void> SqliteProposalStore::rejectComment(std::int64_t id, const std::string& reason,
                                                SysTime now) {
  (void)now;
  bool refused = false;
  auto r = db_.write([&](SQLite::Database& db) {
    SQLite::Statement q(db,
                        "UPDATE proposal_comments SET status = 'rejected', reject_reason = ? "
                        "WHERE id = ? AND status = 'pending'");
    q.bind(1, reason);
    q.bind(2, id);
    if (q.exec() == 0) {
      refused = true;
      throw Refused();
    }
  });
  return refusedOr(std::move(r), refused, ErrorCode::Conflict, "comment is not pending");
}

Result<void> SqliteProposalStore::recordOutcome(const ProposalOutcome& o, SysTime now,
                                                const NoticeSpec& notice) {
  bool refused = false;
  auto r = db_.write([&](SQLite::Database& db) {
    if (proposalStatus(db, o.proposal_id) != "published") {
      refused = true;
      throw Refused();
    }
    SQLite::Statement q(db,
                        "INSERT INTO proposal_outcomes (proposal_id, stage, decision, text, "
                        "decided_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (proposal_id, stage) DO "
                        "UPDATE SET decision = excluded.decision, text = excluded.text, "
                        "decided_at = excluded.decided_at");
    q.bind(1, o.proposal_id);
    q.bind(2, o.stage);
    q.bind(3, o.decision);
    q.bind(4, o.text);
    q.bind(5, toMillis(now));
    q.exec();
    sendNotices(db, o.proposal_id, notice, toMillis(now));
  });
  return refusedOr(std::move(r), refused, ErrorCode::Conflict, "proposal is not published");
}

}  // namespace bb::storage
