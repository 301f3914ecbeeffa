#include "bot/participation/participation.hpp"

#include <cmath>

#include "bot/conversation/citizen_message.hpp"
#include "bot/log.hpp"
#include "bot/text/local_time.hpp"
#include "bot/text/utf8.hpp"
#include "flows/conversation.hpp"

namespace bb {
namespace {

constexpr auto kCacheFor = std::chrono::seconds(1);
constexpr std::size_t kChoiceLabelChars = 24;  // WhatsApp list row title

//! At most `max_chars` characters, the last one "…" when cut (a text of exactly `max_chars` is
//! cut too, as it always was).
std::string shorten(const std::string& s, std::size_t max_chars) {
  return ellipsize(s, max_chars - 1);
}

}  // namespace

double roundForPublic(double degrees) { return std::round(degrees * 1000.0) / 1000.0; }

Participation::Participation(ProposalStore& store, const Clock& clock, const FlowData& flows)
    : store_(store), clock_(clock), flows_(flows) {}

flows::Phase Participation::phaseOf(const Campaign& c) const {
  return flows::phaseAt(c.dates, clock_.now());
}

std::shared_ptr<const flows::ParticipationContext> Participation::context(SysTime now) {
  std::lock_guard lock(mutex_);
  if (cache_valid_ && now >= cached_at_ && now - cached_at_ < kCacheFor) { return cached_; }
  auto active = store_.activeCampaign(now);
  if (!active) {
    log::warn("participation_campaign_read_failed", {{"code", toString(active.error().code)}});
    return cached_;  // keep the last known state rather than hiding the campaign
  }
  std::shared_ptr<flows::ParticipationContext> ctx;
  if (*active) {
    const Campaign& c = **active;
    ctx = std::make_shared<flows::ParticipationContext>();
    ctx->campaign_id = c.id;
    ctx->title = c.title;
    ctx->phase = flows::phaseAt(c.dates, now);
    ctx->max_proposals_per_citizen = c.max_proposals_per_citizen;
    ctx->support_threshold = c.support_threshold;
    ctx->topics = c.topics;
  }
  cached_ = ctx;
  cached_at_ = now;
  cache_valid_ = true;
  return cached_;
}

void Participation::invalidate() {
  std::lock_guard lock(mutex_);
  cache_valid_ = false;
}

std::string Participation::text(flows::Lang lang, const std::string& key,
                                const std::map<std::string, std::string>& params) const {
  return flows_.texts.render(lang, key, params);
}

std::string Participation::choiceLabel(flows::Lang lang, const std::string& id) const {
  std::string key = "choice." + id;
  for (char& c : key) { c = c == ':' ? '_' : c; }
  return text(lang, key);
}

std::vector<flows::Choice> Participation::detailChoices(flows::Phase phase, bool supported,
                                                        flows::Lang lang) const {
  namespace ch = flows::choice;
  std::vector<flows::Choice> out;
  if (flows::canSupport(phase)) {
    const char* id = supported ? ch::kProposalUnsupport : ch::kProposalSupport;
    out.push_back({id, choiceLabel(lang, id)});
  }
  if (flows::canComment(phase)) {
    out.push_back({ch::kProposalComment, choiceLabel(lang, ch::kProposalComment)});
  }
  out.push_back({ch::kBack, choiceLabel(lang, ch::kBack)});
  out.push_back({ch::kMenu, choiceLabel(lang, ch::kMenu)});
  return out;
}

ParticipationAnswer Participation::browse(const flows::BrowseProposals& b, flows::Lang lang) {
  namespace ch = flows::choice;
  const std::string order = b.order == "top" ? "top" : "new";
  const std::vector<flows::Choice> fallback = {
      {ch::kProposalListNew, choiceLabel(lang, ch::kProposalListNew)},
      {ch::kProposalListTop, choiceLabel(lang, ch::kProposalListTop)},
      {ch::kMenu, choiceLabel(lang, ch::kMenu)}};
  auto page = store_.published(b.campaign_id, order, std::max(0, b.page) * kPageSize, kPageSize);
  if (!page) { return {text(lang, "participation.error"), fallback}; }
  if (page->items.empty()) {
    return {text(lang, b.page > 0 ? "participation.list_end" : "participation.list_empty"),
            fallback};
  }
  ParticipationAnswer a;
  a.text = text(lang, "participation.list_header." + order,
                {{"page", std::to_string(b.page + 1)}});
  int n = b.page * kPageSize;
  for (const auto& p : page->items) {
    ++n;
    a.text += "\n" + text(lang, "participation.list_item",
                          {{"n", std::to_string(n)},
                           {"title", p.title},
                           {"supports", std::to_string(p.supports)},
                           {"comments", std::to_string(p.comments)}});
    a.choices.push_back({ch::kProposalPrefix + std::to_string(p.id), shorten(p.title, kChoiceLabelChars)});
  }
  if (page->more) { a.choices.push_back({ch::kProposalMore, choiceLabel(lang, ch::kProposalMore)}); }
  const char* other = order == "top" ? ch::kProposalListNew : ch::kProposalListTop;
  a.choices.push_back({other, choiceLabel(lang, other)});
  a.choices.push_back({ch::kMenu, choiceLabel(lang, ch::kMenu)});
  return a;
}

ParticipationAnswer Participation::show(std::int64_t id, const std::string& pseudonym,
                                        flows::Lang lang, SysTime now, const std::string& prefix) {
  namespace ch = flows::choice;
  auto p = store_.proposal(id);
  if (!p || !*p || (*p)->status != "published") {
    return {prefix + text(lang, "participation.not_found"),
            {{ch::kBack, choiceLabel(lang, ch::kBack)}, {ch::kMenu, choiceLabel(lang, ch::kMenu)}}};
  }
  const Proposal& pr = **p;
  auto campaign = store_.campaign(pr.campaign_id);
  const flows::Phase phase = campaign && *campaign ? flows::phaseAt((*campaign)->dates, now)
                                                   : flows::Phase::Closed;
  const int threshold = campaign && *campaign ? (*campaign)->support_threshold : 0;
  const std::string none = text(lang, "participation.none_given");
  std::string body = text(lang, "participation.detail",
                          {{"title", pr.title},
                           {"description", pr.description},
                           {"cost", pr.cost_eur ? std::to_string(*pr.cost_eur) + " €" : none},
                           {"topic", pr.topic.empty() ? none : pr.topic},
                           {"supports", std::to_string(pr.supports)},
                           {"threshold", std::to_string(threshold)},
                           {"comments", std::to_string(pr.comments)},
                           {"phase", text(lang, std::string("participation.phase.") +
                                                    flows::toString(phase))}});
  if (auto comments = store_.publishedComments(id); comments && !comments->empty()) {
    const std::size_t from = comments->size() > 3 ? comments->size() - 3 : 0;
    for (std::size_t i = from; i < comments->size(); ++i) {
      body += "\n" + text(lang, "participation.detail_comment",
                          {{"text", shorten((*comments)[i].body, 200)}});
    }
  }
  if (auto outcomes = store_.outcomes(id); outcomes) {
    for (const auto& o : *outcomes) {
      body += "\n" + text(lang, "participation.detail_outcome",
                          {{"stage", text(lang, "participation.stage." + o.stage)},
                           {"decision", text(lang, "participation.decision." + o.decision)},
                           {"text", o.text}});
    }
  }
  const auto supported = store_.hasSupported(id, pseudonym);
  return {prefix + body, detailChoices(phase, supported && *supported, lang)};
}

ParticipationAnswer Participation::answer(const flows::SubmitProposal& s, const Citizen& who) {
  const flows::Lang lang = who.lang;
  const auto menu = flows::mainMenuChoices(lang, flows_.texts);
  auto campaign = store_.campaign(s.campaign_id);
  if (!campaign) { return {text(lang, "participation.error"), menu}; }
  if (!*campaign || !flows::canSubmit(flows::phaseAt((*campaign)->dates, who.now))) {
    return {text(lang, "participation.no_submit"), menu};
  }
  const auto& d = s.draft;
  NewProposal p;
  p.campaign_id = s.campaign_id;
  p.source_event = who.event_id;
  p.author = who.pseudonym;
  p.title = d.proposal_title;
  p.description = d.description;
  p.cost_eur = d.proposal_cost;
  p.topic = d.proposal_topic;
  if (d.location) {
    p.lat = d.location->lat;
    p.lon = d.location->lon;
  }
  p.address_text = d.address_text;
  if (!d.photo_ids.empty()) {
    try {
      p.photo_media_id = std::stoll(d.photo_ids.front());
    } catch (...) {
      p.photo_media_id = 0;  // not a media row id
    }
  }
  p.now = who.now;
  auto r = store_.submit(p, (*campaign)->max_proposals_per_citizen);
  if (!r) { return {text(lang, "participation.error"), menu}; }
  switch (*r) {
    case SubmitResult::Stored:
      log::info("proposal_submitted", {{"campaign", std::to_string(p.campaign_id)}});
      return {text(lang, "participation.submitted", {{"title", p.title}}), menu};
    case SubmitResult::LimitReached:
      return {text(lang, "participation.limit_reached",
                   {{"max_proposals", std::to_string((*campaign)->max_proposals_per_citizen)}}),
              menu};
    case SubmitResult::NoCampaign:
      break;
  }
  return {text(lang, "participation.none"), menu};
}

ParticipationAnswer Participation::answer(const flows::BrowseProposals& b, const Citizen& who) {
  return browse(b, who.lang);
}

ParticipationAnswer Participation::answer(const flows::ShowProposal& s, const Citizen& who) {
  return show(s.proposal_id, who.pseudonym, who.lang, who.now);
}

ParticipationAnswer Participation::answer(const flows::SupportProposal& su, const Citizen& who) {
  const flows::Lang lang = who.lang;
  auto p = store_.proposal(su.proposal_id);
  if (p && *p) {
    auto campaign = store_.campaign((*p)->campaign_id);
    if (campaign && *campaign && !flows::canSupport(flows::phaseAt((*campaign)->dates, who.now))) {
      return show(su.proposal_id, who.pseudonym, lang, who.now,
                  text(lang, "participation.no_support") + "\n\n");
    }
  }
  auto r = store_.support(su.proposal_id, who.pseudonym, su.withdraw, who.now);
  if (!r) { return {text(lang, "participation.error"), flows::mainMenuChoices(lang, flows_.texts)}; }
  std::string key;
  switch (*r) {
    case SupportResult::Added: key = "participation.supported"; break;
    case SupportResult::AlreadySupported: key = "participation.already_supported"; break;
    case SupportResult::Withdrawn: key = "participation.withdrawn"; break;
    case SupportResult::NotSupported: key = "participation.not_supported_yet"; break;
    case SupportResult::NotPublished: key = "participation.not_found"; break;
  }
  if (*r == SupportResult::NotPublished) { return show(su.proposal_id, who.pseudonym, lang, who.now); }
  return show(su.proposal_id, who.pseudonym, lang, who.now, text(lang, key) + "\n\n");
}

ParticipationAnswer Participation::answer(const flows::CommentProposal& c, const Citizen& who) {
  const flows::Lang lang = who.lang;
  auto p = store_.proposal(c.proposal_id);
  if (p && *p) {
    auto campaign = store_.campaign((*p)->campaign_id);
    if (campaign && *campaign && !flows::canComment(flows::phaseAt((*campaign)->dates, who.now))) {
      return show(c.proposal_id, who.pseudonym, lang, who.now,
                  text(lang, "participation.no_comment") + "\n\n");
    }
  }
  auto r = store_.comment(c.proposal_id, who.pseudonym, c.text, who.event_id, who.now);
  if (!r) { return {text(lang, "participation.error"), flows::mainMenuChoices(lang, flows_.texts)}; }
  if (!*r) { return show(c.proposal_id, who.pseudonym, lang, who.now); }
  return show(c.proposal_id, who.pseudonym, lang, who.now,
              text(lang, "participation.comment_received") + "\n\n");
}

std::vector<ParticipationAnswer> Participation::run(const flows::Effect& effect,
                                                    const std::string& pseudonym,
                                                    std::int64_t event_id, flows::Lang lang,
                                                    SysTime now) {
  const Citizen who{pseudonym, event_id, lang, now};
  return std::visit(
      [this, &who](const auto& e) -> std::vector<ParticipationAnswer> {
        if constexpr (requires { this->answer(e, who); }) {
          return {answer(e, who)};
        } else {
          return {};
        }
      },
      effect);
}

std::string Participation::exportSection(const std::string& pseudonym, flows::Lang lang) {
  auto records = store_.recordsOf(pseudonym);
  if (!records) { return text(lang, "participation.error"); }
  if (records->proposals.empty() && records->comments.empty() && records->supported.empty()) {
    return text(lang, "participation.export.none");
  }
  std::string out = text(lang, "participation.export.header");
  for (const auto& p : records->proposals) {
    out += "\n" + text(lang, "participation.export.proposal",
                       {{"id", std::to_string(p.id)},
                        {"title", p.title},
                        {"description", p.description},
                        {"status", text(lang, "participation.status." + p.status)},
                        {"created", localDate(p.created_at)}});
  }
  for (const auto& c : records->comments) {
    out += "\n" + text(lang, "participation.export.comment",
                       {{"proposal", std::to_string(c.proposal_id)},
                        {"text", c.body},
                        {"status", text(lang, "participation.status." + c.status)},
                        {"created", localDate(c.created_at)}});
  }
  for (const auto& p : records->supported) {
    out += "\n" + text(lang, "participation.export.support",
                       {{"id", std::to_string(p.id)}, {"title", p.title}});
  }
  return out;
}

// ---- staff ----

Participation::NoticeSubject Participation::subjectOf(NoticeKind kind, const Proposal& p,
                                                     std::string result_key) const {
  NoticeSubject subject{kind, {}, p.title, std::move(result_key)};
  if (auto c = store_.campaign(p.campaign_id); c && *c) { subject.campaign = (*c)->title; }
  return subject;
}

NoticeSpec Participation::notice(const std::string& key, bool to_supporters,
                                 const std::string& text_key,
                                 std::map<std::string, std::string> params,
                                 NoticeSubject subject) const {
  NoticeSpec n;
  n.key = key;
  n.to_author = true;
  n.to_supporters = to_supporters;
  const FlowData& flows = flows_;
  n.render = [&flows, text_key, params, subject](const CitizenRecord& citizen) {
    auto message = CitizenMessage::notice(citizen);
    const flows::Lang lang = message.lang();
    auto localized = params;
    // Stage and decision are ids; the citizen reads them in their language.
    for (const char* k : {"stage", "decision"}) {
      if (auto it = localized.find(k); it != localized.end()) {
        it->second = flows.texts.render(lang, std::string("participation.") + k + "." + it->second);
      }
    }
    message.about(subject.kind, {subject.campaign, subject.title,
                                 flows.texts.render(lang, subject.result_key, localized)});
    return message.text(flows.texts.render(lang, text_key, localized)).build();
  };
  return n;
}

Result<void> Participation::publishProposal(std::int64_t id,
                                            const ProposalPublication& publication) {
  auto p = store_.proposal(id);
  if (!p) { return fail(p.error().code, p.error().detail); }
  if (!*p) { return fail(ErrorCode::NotFound, "no such proposal"); }
  return store_.publishProposal(
      id, publication, clock_.now(),
      notice("published", false, "participation.notice.published",
             {{"title", (*p)->title}, {"id", std::to_string(id)}},
             subjectOf(NoticeKind::ProposalModerated, **p, "participation.result.published")));
}

Result<void> Participation::rejectProposal(std::int64_t id, const std::string& reason) {
  auto p = store_.proposal(id);
  if (!p) { return fail(p.error().code, p.error().detail); }
  if (!*p) { return fail(ErrorCode::NotFound, "no such proposal"); }
  return store_.rejectProposal(
      id, reason, clock_.now(),
      notice("rejected", false, "participation.notice.rejected",
             {{"title", (*p)->title}, {"reason", reason}},
             subjectOf(NoticeKind::ProposalModerated, **p, "participation.result.rejected")));
}

Result<void> Participation::mergeProposal(std::int64_t duplicate, std::int64_t target) {
  auto d = store_.proposal(duplicate);
  auto t = store_.proposal(target);
  if (!d || !t) { return fail(ErrorCode::Unavailable, "database"); }
  if (!*d || !*t) { return fail(ErrorCode::NotFound, "no such proposal"); }
  return store_.mergeProposal(
      duplicate, target, clock_.now(),
      notice("merged:" + std::to_string(target), true, "participation.notice.merged",
             {{"title", (*d)->title}, {"target", (*t)->title}, {"id", std::to_string(target)}},
             subjectOf(NoticeKind::ProposalModerated, **d, "participation.result.merged")));
}

Result<void> Participation::publishComment(std::int64_t id) {
  return store_.publishComment(id, clock_.now());
}

Result<void> Participation::rejectComment(std::int64_t id, const std::string& reason) {
  return store_.rejectComment(id, reason, clock_.now());
}

bool Participation::validStage(const std::string& stage) {
  return stage == "committee" || stage == "council" || stage == "implementation";
}

bool Participation::validDecision(const std::string& decision) {
  return decision == "accepted" || decision == "rejected" || decision == "deferred" ||
         decision == "in_progress" || decision == "done";
}

Result<void> Participation::recordOutcome(std::int64_t proposal_id, const std::string& stage,
                                          const std::string& decision, const std::string& body) {
  if (!validStage(stage) || !validDecision(decision)) {
    return fail(ErrorCode::InvalidInput, "unknown stage or decision");
  }
  auto p = store_.proposal(proposal_id);
  if (!p) { return fail(p.error().code, p.error().detail); }
  if (!*p) { return fail(ErrorCode::NotFound, "no such proposal"); }
  ProposalOutcome o;
  o.proposal_id = proposal_id;
  o.stage = stage;
  o.decision = decision;
  o.text = body;
  // One notice per stage and decision: saving the same decision again (a second click, a
  // corrected text) tells nobody twice; a changed decision is news and is told once more.
  return store_.recordOutcome(
      o, clock_.now(),
      notice("outcome:" + stage + ":" + decision, true, "participation.notice.outcome",
             {{"title", (*p)->title},
              {"stage", stage},
              {"decision", decision},
              {"text", body},
              {"id", std::to_string(proposal_id)}},
             subjectOf(NoticeKind::ProposalOutcome, **p, "participation.result.outcome")));
}

}  // namespace bb
