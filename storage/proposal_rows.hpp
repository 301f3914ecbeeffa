#pragma once
// What the SQLite and PostgreSQL proposal stores read and write alike: the column lists (the
// same SQL on both), the order of outcomes and the campaign's topics as one text column, so the
// two backends cannot drift apart in what a proposal, comment or campaign row holds.

#include <string>
#include <vector>

namespace bb::storage {

//! A proposal with its support count (column 16), published comments (17) and the cleaned
//! photo's content id (20), from `proposals p`.
inline constexpr const char* kProposalColumns =
    "p.id, p.campaign_id, p.status, p.title, p.description, p.cost_eur, p.topic, p.lat, p.lon, "
    "p.address_text, p.photo_media_id, p.author, p.reject_reason, p.merged_into, p.created_at, "
    "p.published_at, (SELECT COUNT(*) FROM proposal_supports s WHERE s.proposal_id = p.id), "
    "(SELECT COUNT(*) FROM proposal_comments k WHERE k.proposal_id = p.id AND "
    "k.status = 'published'), p.public_address, p.photo_public, "
    "(SELECT m.content_id FROM media m WHERE m.id = p.photo_media_id AND m.status = 'ready')";

inline constexpr const char* kCommentColumns =
    "id, proposal_id, status, body, author, reject_reason, created_at, published_at";

inline constexpr const char* kCampaignColumns =
    "id, title, description, collecting_from, supporting_from, review_from, decision_from, "
    "implementation_from, closed_from, max_proposals_per_citizen, support_threshold, topics";

//! Published proposals newest first, or ("top") most supported first.
inline const char* publishedOrder(const std::string& order) {
  return order == "top" ? " ORDER BY 17 DESC, p.published_at DESC, p.id DESC"
                        : " ORDER BY p.published_at DESC, p.id DESC";
}

//! The outcomes of a proposal in the order of their stages.
inline constexpr const char* kOutcomeColumnsAndOrder =
    "SELECT proposal_id, stage, decision, text, decided_at FROM proposal_outcomes "
    "WHERE proposal_id = $1 ORDER BY CASE stage WHEN 'committee' THEN 1 WHEN 'council' THEN 2 "
    "ELSE 3 END";

//! A campaign's topics as one text: one a line, line breaks inside a topic become spaces.
std::string joinTopics(const std::vector<std::string>& topics);
std::vector<std::string> splitTopics(const std::string& text);

}  // namespace bb::storage
