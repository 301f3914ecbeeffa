// Participatory budget (Bürgerhaushalt) by chat: submit a proposal, browse published ones,
// support one, comment on one. What is possible follows the active campaign's phase
// (Context::participation); the engine stores, lists and answers (bot/participation.*).

#include "flows/participation.hpp"

#include <array>
#include <utility>

#include "flows/machine.hpp"

namespace bb::flows {

namespace {

constexpr std::array<std::pair<Phase, const char*>, 7> kPhaseNames{{
    {Phase::Upcoming, "upcoming"},
    {Phase::Collecting, "collecting"},
    {Phase::Supporting, "supporting"},
    {Phase::Review, "review"},
    {Phase::Decision, "decision"},
    {Phase::Implementation, "implementation"},
    {Phase::Closed, "closed"},
}};

}  // namespace

const char* toString(Phase phase) {
  for (const auto& [p, name] : kPhaseNames) {
    if (p == phase) {
      return name;
    }
  }
  return "upcoming";
}

std::optional<Phase> phaseFromString(const std::string& name) {
  for (const auto& [p, n] : kPhaseNames) {
    if (name == n) {
      return p;
    }
  }
  return std::nullopt;
}

Phase phaseAt(const PhaseDates& d, SysTime now) {
  if (now >= d.closed_from) {
    return Phase::Closed;
  }
  if (now >= d.implementation_from) {
    return Phase::Implementation;
  }
  if (now >= d.decision_from) {
    return Phase::Decision;
  }
  if (now >= d.review_from) {
    return Phase::Review;
  }
  if (now >= d.supporting_from) {
    return Phase::Supporting;
  }
  if (now >= d.collecting_from) {
    return Phase::Collecting;
  }
  return Phase::Upcoming;
}

bool datesOrdered(const PhaseDates& d) {
  return d.collecting_from < d.supporting_from && d.supporting_from < d.review_from &&
         d.review_from < d.decision_from && d.decision_from < d.implementation_from &&
         d.implementation_from < d.closed_from;
}

bool canSubmit(Phase phase) {
  return phase == Phase::Collecting;
}
bool canSupport(Phase phase) {
  return phase == Phase::Supporting;
}
bool canComment(Phase phase) {
  return phase == Phase::Supporting;
}
bool canBrowse(Phase phase) {
  return phase != Phase::Upcoming;
}

std::optional<std::int64_t> parseEuros(const std::string& text) {
  std::string s = detail::lower(detail::trim(text));
  for (const char* suffix : {"euro", "eur", "€"}) {
    const std::string suf = suffix;
    if (s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0) {
      s = detail::trim(s.substr(0, s.size() - suf.size()));
      break;
    }
  }
  std::int64_t value = 0;
  int digits = 0;
  for (const char c : s) {
    if (c >= '0' && c <= '9') {
      if (++digits > 10) {
        return std::nullopt;
      }
      value = value * 10 + (c - '0');
    } else if (c != '.' && c != ' ' && c != '\'') {
      return std::nullopt;  // thousands separators only; cents are not asked for
    }
  }
  if (digits == 0 || value > 1'000'000'000) {
    return std::nullopt;
  }
  return value;
}

namespace detail {

namespace {

using S = State;

const ParticipationContext* campaign(const Turn& t) {
  return t.ctx.participation;
}

Phase phaseOf(const Turn& t) {
  return campaign(t) != nullptr ? campaign(t)->phase : Phase::Upcoming;
}

//! The raw id or text of the event, lower-cased and trimmed.
std::string word(const Turn& t) {
  return lower(trim(t.event.kind == EventKind::Choice ? t.event.choice_id : t.event.text));
}

bool startsWith(const std::string& text, const std::string& prefix) {
  return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

//! The event is choice `id`: its id, or its label typed in either language.
bool idIs(const Turn& t, const char* id) {
  const std::string w = word(t);
  if (w == id) {
    return true;
  }
  if (t.event.kind != EventKind::Text || t.ctx.texts == nullptr || w.empty()) {
    return false;
  }
  std::string key = std::string("choice.") + id;
  for (char& c : key) {
    c = c == ':' ? '_' : c;
  }
  for (const Lang lang : {Lang::De, Lang::En}) {
    if (t.ctx.texts->has(lang, key) && lower(t.ctx.texts->render(lang, key)) == w) {
      return true;
    }
  }
  return false;
}

//! "prop:<digits>": a proposal picked from a list.
std::int64_t pickedProposal(const Turn& t) {
  const std::string w = word(t);
  if (!startsWith(w, choice::kProposalPrefix)) {
    return 0;
  }
  const std::string digits = w.substr(5);
  if (digits.empty() || digits.size() > 15) {
    return 0;
  }
  std::int64_t id = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') {
      return 0;
    }
    id = id * 10 + (c - '0');
  }
  return id;
}

//! The index of a topic picked by "topic:<n>" or by its label; -1 when none.
int pickedTopic(const Turn& t) {
  if (campaign(t) == nullptr) {
    return -1;
  }
  const auto& topics = campaign(t)->topics;
  const std::string w = word(t);
  for (std::size_t i = 0; i < topics.size(); ++i) {
    if (w == choice::kTopicPrefix + std::to_string(i) || w == lower(trim(topics[i]))) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

std::string phaseLabel(const Turn& t) {
  return render(t, std::string("participation.phase.") + toString(phaseOf(t)));
}

Params limits(const Turn& t) {
  const ParticipationContext* c = campaign(t);
  if (c == nullptr) {
    return {};
  }
  return {{"max_title", std::to_string(c->max_title_chars)},
          {"max_description", std::to_string(c->max_description_chars)},
          {"max_comment", std::to_string(c->max_comment_chars)},
          {"title", c->title},
          {"phase", phaseLabel(t)},
          {"max_proposals", std::to_string(c->max_proposals_per_citizen)},
          {"threshold", std::to_string(c->support_threshold)}};
}

// ---- guards ----

bool isText(const Turn& t) {
  return t.event.kind == EventKind::Text && !trim(t.event.text).empty();
}
bool wantsSubmit(const Turn& t) {
  return idIs(t, choice::kProposalNew);
}
bool maySubmit(const Turn& t) {
  return wantsSubmit(t) && canSubmit(phaseOf(t));
}
bool wantsNewest(const Turn& t) {
  return idIs(t, choice::kProposalListNew);
}
bool wantsTop(const Turn& t) {
  return idIs(t, choice::kProposalListTop);
}
bool wantsList(const Turn& t) {
  return wantsNewest(t) || wantsTop(t);
}
bool mayBrowseNewest(const Turn& t) {
  return wantsNewest(t) && canBrowse(phaseOf(t));
}
bool mayBrowseTop(const Turn& t) {
  return wantsTop(t) && canBrowse(phaseOf(t));
}
bool wantsMore(const Turn& t) {
  return idIs(t, choice::kProposalMore);
}
bool picked(const Turn& t) {
  return pickedProposal(t) > 0;
}
bool wantsSupport(const Turn& t) {
  return idIs(t, choice::kProposalSupport);
}
bool wantsUnsupport(const Turn& t) {
  return idIs(t, choice::kProposalUnsupport);
}
bool maySupport(const Turn& t) {
  return wantsSupport(t) && canSupport(phaseOf(t));
}
bool mayUnsupport(const Turn& t) {
  return wantsUnsupport(t) && canSupport(phaseOf(t));
}
bool wantsAnySupport(const Turn& t) {
  return wantsSupport(t) || wantsUnsupport(t);
}
bool wantsComment(const Turn& t) {
  return idIs(t, choice::kProposalComment);
}
bool mayComment(const Turn& t) {
  return wantsComment(t) && canComment(phaseOf(t));
}
bool titleTooLong(const Turn& t) {
  return isText(t) && campaign(t) != nullptr &&
         codePoints(trim(t.event.text)) > campaign(t)->max_title_chars;
}
bool descriptionTooLong(const Turn& t) {
  return isText(t) && campaign(t) != nullptr &&
         codePoints(trim(t.event.text)) > campaign(t)->max_description_chars;
}
bool commentTooLong(const Turn& t) {
  return isText(t) && campaign(t) != nullptr &&
         codePoints(trim(t.event.text)) > campaign(t)->max_comment_chars;
}
bool hasTopics(const Turn& t) {
  return campaign(t) != nullptr && !campaign(t)->topics.empty();
}
bool isEuros(const Turn& t) {
  return isText(t) && parseEuros(t.event.text).has_value();
}
bool isEurosWithTopics(const Turn& t) {
  return isEuros(t) && hasTopics(t);
}
bool isTopic(const Turn& t) {
  return pickedTopic(t) >= 0;
}
bool stillCollecting(const Turn& t) {
  return campaign(t) != nullptr && canSubmit(phaseOf(t));
}
bool photoSkipped(const Turn& t) {
  return t.on == On::Next;
}

// ---- actions ----

void showHome(Turn& t) {
  say(t, "participation.home", limits(t), participationChoices(t, S::ParticipationHome));
}

void askTitle(Turn& t) {
  say(t, "participation.ask_title", limits(t), participationChoices(t, S::ProposalTitle));
}

void startSubmit(Turn& t) {
  t.next.draft = Draft{};
  askTitle(t);
}

void sayNoSubmit(Turn& t) {
  say(t, "participation.no_submit", limits(t), participationChoices(t, t.state));
}

void sayNoBrowse(Turn& t) {
  say(t, "participation.no_browse", limits(t), participationChoices(t, t.state));
}

void sayNoSupport(Turn& t) {
  say(t, "participation.no_support", limits(t), participationChoices(t, t.state));
}

void sayNoComment(Turn& t) {
  say(t, "participation.no_comment", limits(t), participationChoices(t, t.state));
}

void sayTitleTooLong(Turn& t) {
  Params p = limits(t);
  p["length"] = std::to_string(codePoints(trim(t.event.text)));
  say(t, "participation.title_too_long", p, participationChoices(t, S::ProposalTitle));
}

void saveTitle(Turn& t) {
  t.next.draft.proposal_title = trim(t.event.text);
  say(t, "participation.ask_description", limits(t),
      participationChoices(t, S::ProposalDescription));
}

void sayDescriptionTooLong(Turn& t) {
  Params p = limits(t);
  p["length"] = std::to_string(codePoints(trim(t.event.text)));
  say(t, "participation.description_too_long", p,
      participationChoices(t, S::ProposalDescription));
}

void saveDescription(Turn& t) {
  t.next.draft.description = trim(t.event.text);
  say(t, "participation.ask_cost", limits(t), participationChoices(t, S::ProposalCost));
}

void sayCostInvalid(Turn& t) {
  say(t, "participation.cost_invalid", limits(t), participationChoices(t, S::ProposalCost));
}

void askTopic(Turn& t) {
  say(t, "participation.ask_topic", limits(t), participationChoices(t, S::ProposalTopic));
}

void askLocation(Turn& t) {
  say(t, "participation.ask_location", limits(t), participationChoices(t, S::ProposalLocation),
      true);
}

void saveCostAskTopic(Turn& t) {
  t.next.draft.proposal_cost = parseEuros(t.event.text);
  askTopic(t);
}

void saveCostAskLocation(Turn& t) {
  t.next.draft.proposal_cost = parseEuros(t.event.text);
  askLocation(t);
}

void saveTopic(Turn& t) {
  t.next.draft.proposal_topic = campaign(t)->topics[static_cast<std::size_t>(pickedTopic(t))];
  askLocation(t);
}

void askPhoto(Turn& t) {
  say(t, "participation.ask_photo", limits(t), participationChoices(t, S::ProposalPhoto));
}

void saveLocation(Turn& t) {
  t.next.draft.location = t.event.location;
  t.next.draft.address_text.clear();
  askPhoto(t);
}

void saveAddress(Turn& t) {
  t.next.draft.address_text = trim(t.event.text);
  t.next.draft.location.reset();
  askPhoto(t);
}

std::string costText(const Turn& t) {
  if (!t.next.draft.proposal_cost) {
    return render(t, "participation.none_given");
  }
  return std::to_string(*t.next.draft.proposal_cost) + " €";
}

void showSummary(Turn& t) {
  const Draft& d = t.next.draft;
  std::string where = d.address_text;
  if (d.location) {
    where = render(t, "participation.location_sent");
  }
  if (where.empty()) {
    where = render(t, "participation.none_given");
  }
  say(t, "participation.summary",
      {{"title", d.proposal_title},
       {"description", d.description},
       {"cost", costText(t)},
       {"topic", d.proposal_topic.empty() ? render(t, "participation.none_given")
                                          : d.proposal_topic},
       {"location", where},
       {"photos", std::to_string(d.photo_ids.size())}},
      participationChoices(t, S::ProposalSummary));
}

void savePhoto(Turn& t) {
  t.next.draft.photo_ids = {t.event.media_id};
  showSummary(t);
}

void submit(Turn& t) {
  t.effects.emplace_back(SubmitProposal{campaign(t)->campaign_id, t.next.draft});
  t.next.draft = Draft{};
}

void sayPhaseEnded(Turn& t) {
  t.next.draft = Draft{};
  say(t, "participation.no_submit", limits(t), menuChoices(t));
}

void browse(Turn& t, const std::string& order, int page) {
  t.next.draft.proposal_order = order;
  t.next.draft.proposal_page = page;
  t.effects.emplace_back(BrowseProposals{campaign(t)->campaign_id, order, page});
}

void browseNewest(Turn& t) {
  browse(t, "new", 0);
}

void browseTop(Turn& t) {
  browse(t, "top", 0);
}

void browseMore(Turn& t) {
  browse(t, t.next.draft.proposal_order.empty() ? "new" : t.next.draft.proposal_order,
         t.next.draft.proposal_page + 1);
}

void browseAgain(Turn& t) {
  browse(t, t.next.draft.proposal_order.empty() ? "new" : t.next.draft.proposal_order,
         t.next.draft.proposal_page);
}

void showProposal(Turn& t) {
  t.next.draft.proposal_id = pickedProposal(t);
  t.effects.emplace_back(ShowProposal{t.next.draft.proposal_id});
}

void support(Turn& t) {
  t.effects.emplace_back(SupportProposal{t.next.draft.proposal_id, false});
}

void unsupport(Turn& t) {
  t.effects.emplace_back(SupportProposal{t.next.draft.proposal_id, true});
}

void askComment(Turn& t) {
  say(t, "participation.ask_comment", limits(t), participationChoices(t, S::ProposalComment));
}

void sayCommentTooLong(Turn& t) {
  Params p = limits(t);
  p["length"] = std::to_string(codePoints(trim(t.event.text)));
  say(t, "participation.comment_too_long", p, participationChoices(t, S::ProposalComment));
}

void sendComment(Turn& t) {
  t.effects.emplace_back(CommentProposal{t.next.draft.proposal_id, trim(t.event.text)});
}

void backToDetail(Turn& t) {
  t.effects.emplace_back(ShowProposal{t.next.draft.proposal_id});
}

// clang-format off
constexpr Transition kParticipation[] = {
  // from                    on           guard               action               to
  {S::ParticipationHome,     On::Any,     maySubmit,          startSubmit,         S::ProposalTitle},
  {S::ParticipationHome,     On::Any,     wantsSubmit,        sayNoSubmit,         kSame},
  {S::ParticipationHome,     On::Any,     mayBrowseNewest,    browseNewest,        S::ProposalBrowse},
  {S::ParticipationHome,     On::Any,     mayBrowseTop,       browseTop,           S::ProposalBrowse},
  {S::ParticipationHome,     On::Any,     wantsList,          sayNoBrowse,         kSame},

  {S::ProposalTitle,         On::Any,     titleTooLong,       sayTitleTooLong,     kSame},
  {S::ProposalTitle,         On::Any,     isText,             saveTitle,           S::ProposalDescription},
  {S::ProposalDescription,   On::Any,     descriptionTooLong, sayDescriptionTooLong, kSame},
  {S::ProposalDescription,   On::Any,     isText,             saveDescription,     S::ProposalCost},
  {S::ProposalCost,          On::Next,    hasTopics,          askTopic,            S::ProposalTopic},
  {S::ProposalCost,          On::Next,    nullptr,            askLocation,         S::ProposalLocation},
  {S::ProposalCost,          On::Any,     isEurosWithTopics,  saveCostAskTopic,    S::ProposalTopic},
  {S::ProposalCost,          On::Any,     isEuros,            saveCostAskLocation, S::ProposalLocation},
  {S::ProposalCost,          On::Any,     isText,             sayCostInvalid,      kSame},
  {S::ProposalTopic,         On::Next,    nullptr,            askLocation,         S::ProposalLocation},
  {S::ProposalTopic,         On::Any,     isTopic,            saveTopic,           S::ProposalLocation},
  {S::ProposalLocation,      On::Location, nullptr,           saveLocation,        S::ProposalPhoto},
  {S::ProposalLocation,      On::Next,    nullptr,            askPhoto,            S::ProposalPhoto},
  {S::ProposalLocation,      On::Any,     isText,             saveAddress,         S::ProposalPhoto},
  {S::ProposalPhoto,         On::Image,   nullptr,            savePhoto,           S::ProposalSummary},
  {S::ProposalPhoto,         On::Next,    photoSkipped,       showSummary,         S::ProposalSummary},
  {S::ProposalSummary,       On::Yes,     stillCollecting,    submit,              S::Menu},
  {S::ProposalSummary,       On::Yes,     nullptr,            sayPhaseEnded,       S::Menu},
  {S::ProposalSummary,       On::Change,  nullptr,            askTitle,            S::ProposalTitle},
  {S::ProposalSummary,       On::No,      nullptr,            discardDraft,        S::Menu},

  {S::ProposalBrowse,        On::Any,     picked,             showProposal,        S::ProposalDetail},
  {S::ProposalBrowse,        On::Any,     wantsMore,          browseMore,          kSame},
  {S::ProposalBrowse,        On::Any,     wantsNewest,        browseNewest,        kSame},
  {S::ProposalBrowse,        On::Any,     wantsTop,           browseTop,           kSame},
  {S::ProposalBrowse,        On::Back,    nullptr,            showHome,            S::ParticipationHome},
  {S::ProposalDetail,        On::Any,     maySupport,         support,             kSame},
  {S::ProposalDetail,        On::Any,     mayUnsupport,       unsupport,           kSame},
  {S::ProposalDetail,        On::Any,     wantsAnySupport,    sayNoSupport,        kSame},
  {S::ProposalDetail,        On::Any,     mayComment,         askComment,          S::ProposalComment},
  {S::ProposalDetail,        On::Any,     wantsComment,       sayNoComment,        kSame},
  {S::ProposalDetail,        On::Back,    nullptr,            browseAgain,         S::ProposalBrowse},
  {S::ProposalDetail,        On::Any,     picked,             showProposal,        kSame},
  {S::ProposalComment,       On::Back,    nullptr,            backToDetail,        S::ProposalDetail},
  {S::ProposalComment,       On::Any,     commentTooLong,     sayCommentTooLong,   kSame},
  {S::ProposalComment,       On::Any,     isText,             sendComment,         S::ProposalDetail},
};
// clang-format on

}  // namespace

void startParticipation(Turn& t) {
  t.next.draft = Draft{};
  if (campaign(t) == nullptr) {
    t.state = S::Menu;
    t.next.state = toString(S::Menu);
    say(t, "participation.none", {}, menuChoices(t));
    return;
  }
  showHome(t);
}

std::vector<Choice> participationChoices(const Turn& t, State state) {
  const Phase phase = phaseOf(t);
  switch (state) {
    case S::ParticipationHome: {
      std::vector<Choice> out;
      if (canSubmit(phase)) {
        out.push_back(choiceOf(t, choice::kProposalNew));
      }
      if (canBrowse(phase)) {
        out.push_back(choiceOf(t, choice::kProposalListNew));
        out.push_back(choiceOf(t, choice::kProposalListTop));
      }
      out.push_back(choiceOf(t, choice::kMenu));
      return out;
    }
    case S::ProposalTitle:
    case S::ProposalDescription:
      return {choiceOf(t, choice::kCancel)};
    case S::ProposalCost:
    case S::ProposalLocation:
    case S::ProposalPhoto:
      return {choiceOf(t, choice::kSkip), choiceOf(t, choice::kCancel)};
    case S::ProposalTopic: {
      std::vector<Choice> out;
      if (campaign(t) != nullptr) {
        const auto& topics = campaign(t)->topics;
        for (std::size_t i = 0; i < topics.size() && i < 8; ++i) {
          out.push_back(Choice{choice::kTopicPrefix + std::to_string(i), topics[i]});
        }
      }
      out.push_back(choiceOf(t, choice::kSkip));
      return out;
    }
    case S::ProposalSummary:
      return {choiceOf(t, choice::kConfirm), choiceOf(t, choice::kChange),
              choiceOf(t, choice::kCancel)};
    case S::ProposalBrowse:
      return {choiceOf(t, choice::kProposalListNew), choiceOf(t, choice::kProposalListTop),
              choiceOf(t, choice::kMenu)};
    case S::ProposalDetail: {
      std::vector<Choice> out;
      if (canSupport(phase)) {
        out.push_back(choiceOf(t, choice::kProposalSupport));
        out.push_back(choiceOf(t, choice::kProposalUnsupport));
      }
      if (canComment(phase)) {
        out.push_back(choiceOf(t, choice::kProposalComment));
      }
      out.push_back(choiceOf(t, choice::kBack));
      out.push_back(choiceOf(t, choice::kMenu));
      return out;
    }
    case S::ProposalComment:
      return {choiceOf(t, choice::kBack), choiceOf(t, choice::kCancel)};
    default:
      return {};
  }
}

std::span<const Transition> participationTable() {
  return kParticipation;
}

}  // namespace detail

}  // namespace bb::flows
