#include "flows/machine.hpp"

#include <array>
#include <utility>

namespace bb::flows {

namespace {

constexpr std::array<std::pair<State, const char*>, 37> kStateNames{{
    {State::New, "new"},
    {State::Consent, "consent"},
    {State::Menu, "menu"},
    {State::ReportCategory, "report_category"},
    {State::ReportLocation, "report_location"},
    {State::ReportNearby, "report_nearby"},
    {State::ReportGeocode, "report_geocode"},
    {State::ReportAddressChoice, "report_address_choice"},
    {State::ReportDuplicate, "report_duplicate"},
    {State::ReportPhoto, "report_photo"},
    {State::ReportQuestion, "report_question"},
    {State::ReportDescription, "report_description"},
    {State::ReportSummary, "report_summary"},
    {State::ReportChange, "report_change"},
    {State::EditCategory, "edit_category"},
    {State::EditQuestion, "edit_question"},
    {State::EditLocation, "edit_location"},
    {State::EditPhotos, "edit_photos"},
    {State::EditDescription, "edit_description"},
    {State::LetterText, "letter_text"},
    {State::LetterConfirm, "letter_confirm"},
    {State::EraseConfirm, "erase_confirm"},
    {State::StopChoice, "stop_choice"},
    {State::Subscriptions, "subscriptions"},
    {State::ParticipationHome, "participation_home"},
    {State::ProposalTitle, "proposal_title"},
    {State::ProposalDescription, "proposal_description"},
    {State::ProposalCost, "proposal_cost"},
    {State::ProposalTopic, "proposal_topic"},
    {State::ProposalLocation, "proposal_location"},
    {State::ProposalPhoto, "proposal_photo"},
    {State::ProposalSummary, "proposal_summary"},
    {State::ProposalBrowse, "proposal_browse"},
    {State::ProposalDetail, "proposal_detail"},
    {State::ProposalComment, "proposal_comment"},
    {State::ReplyTicket, "reply_ticket"},
    {State::WriteTicket, "write_ticket"},
}};

}  // namespace

const char* toString(State state) {
  for (const auto& [s, name] : kStateNames) {
    if (s == state) {
      return name;
    }
  }
  return "menu";
}

std::optional<State> stateFromString(const std::string& name) {
  for (const auto& [s, n] : kStateNames) {
    if (name == n) {
      return s;
    }
  }
  return std::nullopt;
}

bool isDraftState(State state) {
  switch (state) {
    case State::New:
    case State::Consent:
    case State::Menu:
    case State::Subscriptions:
      return false;
    default:
      return state != detail::kAny && state != detail::kSame;
  }
}

std::vector<Choice> mainMenuChoices(Lang lang, const TextCatalog& texts) {
  Conversation conversation;
  conversation.state = "menu";
  conversation.lang = lang;
  Conversation next = conversation;
  std::vector<Effect> effects;
  const Event event;
  Context ctx;
  ctx.texts = &texts;
  const detail::Turn turn{conversation, event, ctx, State::Menu, detail::On::Unknown, {}, 0,
                          next,         effects};
  return detail::menuChoices(turn);
}

namespace detail {

bool runTable(std::span<const Transition> table, Turn& turn) {
  for (const Transition& row : table) {
    if (row.from != kAny && row.from != turn.state) {
      continue;
    }
    const bool onMatches = row.on == On::Any || row.on == turn.on ||
                           (row.on == On::Text && turn.event.kind == EventKind::Text);
    if (!onMatches) {
      continue;
    }
    if (row.guard != nullptr && !row.guard(turn)) {
      continue;
    }
    if (row.to != kSame) {
      turn.state = row.to;
      turn.next.state = toString(row.to);
    }
    if (row.action != nullptr) {
      row.action(turn);
    }
    return true;
  }
  return false;
}

std::string render(const Turn& turn, const std::string& key, const Params& params) {
  if (turn.ctx.texts == nullptr) {
    return key;
  }
  return turn.ctx.texts->render(turn.next.lang, key, params, turn.ctx.channel);
}

void say(Turn& turn, const std::string& key, const Params& params, std::vector<Choice> choices,
         bool requestLocation) {
  Reply reply;
  reply.key = key;
  reply.text = render(turn, key, params);
  reply.choices = std::move(choices);
  reply.request_location = requestLocation;
  turn.effects.emplace_back(std::move(reply));
}

Choice choiceOf(const Turn& turn, const std::string& id) {
  std::string key = "choice." + id;
  for (char& c : key) {
    if (c == ':') {
      c = '_';
    }
  }
  return Choice{id, render(turn, key)};
}

std::vector<Choice> menuChoices(const Turn& turn) {
  return {choiceOf(turn, choice::kReport), choiceOf(turn, choice::kLetter),
          choiceOf(turn, choice::kParticipation),
          choiceOf(turn, choice::kMyTickets), choiceOf(turn, choice::kSubscriptions),
          choiceOf(turn, choice::kHelp),
          choiceOf(turn, choice::kLanguage)};
}

std::vector<Choice> categoryChoices(const Turn& turn) {
  std::vector<Choice> choices;
  if (turn.ctx.categories == nullptr) {
    return choices;
  }
  for (const Category& category : *turn.ctx.categories) {
    choices.push_back(
        Choice{choice::kCategoryPrefix + category.id, categoryLabel(category, turn.next.lang)});
  }
  return choices;
}

std::vector<Choice> photoChoices(const Turn& turn) {
  if (turn.next.draft.photo_ids.empty()) {
    return {choiceOf(turn, choice::kSkip)};
  }
  return {choiceOf(turn, choice::kDone)};
}

//! A visible "Abbrechen" on a report step, where a WhatsApp list (10 rows) still has room.
std::vector<Choice> withCancel(const Turn& turn, std::vector<Choice> choices) {
  constexpr std::size_t kMaxRows = 10;
  if (choices.size() < kMaxRows) {
    choices.push_back(choiceOf(turn, choice::kCancel));
  }
  return choices;
}

std::vector<Choice> choicesFor(const Turn& turn, State state) {
  switch (state) {
    case State::New:
    case State::Consent:
      return {choiceOf(turn, choice::kAccept), choiceOf(turn, choice::kDecline)};
    case State::Menu:
      return menuChoices(turn);
    case State::ReportCategory:
      return withCancel(turn, categoryChoices(turn));
    case State::EditCategory:
      return categoryChoices(turn);
    case State::ReportDuplicate:
      return withCancel(turn, {choiceOf(turn, choice::kNewReport)});
    case State::ReportAddressChoice: {
      std::vector<Choice> choices;
      const auto& places = turn.next.draft.address_choices;
      for (std::size_t i = 0; i < places.size(); ++i) {
        choices.push_back(Choice{choice::kAddressPrefix + std::to_string(i + 1), places[i].label});
      }
      choices.push_back(choiceOf(turn, choice::kAddressNone));
      return withCancel(turn, std::move(choices));
    }
    case State::ReportPhoto:
      return withCancel(turn, photoChoices(turn));
    case State::EditPhotos:
      return photoChoices(turn);
    case State::ReportQuestion:
    case State::ReportDescription:
      return withCancel(turn, {choiceOf(turn, choice::kSkip)});
    case State::EditQuestion:
    case State::EditDescription:
      return {choiceOf(turn, choice::kSkip)};
    case State::ReportSummary:
      return {choiceOf(turn, choice::kConfirm), choiceOf(turn, choice::kChange),
              choiceOf(turn, choice::kCancel)};
    case State::ReportChange:
      return {choiceOf(turn, choice::kChangeCategory), choiceOf(turn, choice::kChangeLocation),
              choiceOf(turn, choice::kChangePhotos), choiceOf(turn, choice::kChangeDescription),
              choiceOf(turn, choice::kBack)};
    case State::LetterText:
      return {choiceOf(turn, choice::kCancel)};
    case State::LetterConfirm:
      return {choiceOf(turn, choice::kSend), choiceOf(turn, choice::kChange),
              choiceOf(turn, choice::kCancel)};
    case State::EraseConfirm:
      return {choiceOf(turn, choice::kConfirm), choiceOf(turn, choice::kCancel)};
    case State::StopChoice:
      return {choiceOf(turn, choice::kStopAll), choiceOf(turn, choice::kStopSubscriptions),
              choiceOf(turn, choice::kCancel)};
    case State::ReplyTicket:
      return replyChoices(turn);
    case State::WriteTicket:
      return {choiceOf(turn, choice::kMenu)};
    case State::Subscriptions:
      return subscriptionChoices(turn);
    case State::ParticipationHome:
    case State::ProposalTitle:
    case State::ProposalDescription:
    case State::ProposalCost:
    case State::ProposalTopic:
    case State::ProposalLocation:
    case State::ProposalPhoto:
    case State::ProposalSummary:
    case State::ProposalBrowse:
    case State::ProposalDetail:
    case State::ProposalComment:
      return participationChoices(turn, state);
    default:
      return {};
  }
}

void contextHelp(Turn& turn) {
  const bool wantsLocation = turn.state == State::ReportLocation ||
                             turn.state == State::EditLocation ||
                             turn.state == State::ReportAddressChoice;
  const Settings& settings = turn.ctx.settings;
  say(turn, std::string("help.") + toString(turn.state),
      {{"max_photos", std::to_string(settings.max_photos)},
       {"max_chars", std::to_string(settings.max_description_chars)},
       {"max_letter", std::to_string(settings.max_letter_chars)}},
      choicesFor(turn, turn.state), wantsLocation);
}

const Category* findCategory(const Context& ctx, const std::string& id) {
  if (ctx.categories == nullptr || id.empty()) {
    return nullptr;
  }
  for (const Category& category : *ctx.categories) {
    if (category.id == id) {
      return &category;
    }
  }
  return nullptr;
}

std::string localized(const std::map<Lang, std::string>& texts, Lang lang) {
  const auto it = texts.find(lang);
  if (it != texts.end() && !it->second.empty()) {
    return it->second;
  }
  const auto de = texts.find(Lang::De);
  if (de != texts.end()) {
    return de->second;
  }
  return texts.empty() ? std::string() : texts.begin()->second;
}

std::string categoryLabel(const Category& category, Lang lang) {
  std::string label = localized(category.label, lang);
  return label.empty() ? category.id : label;
}

// The service's UTF-8 helper is bot/text/utf8.hpp, but flows/ uses nothing outside the standard
// library; text reaching a flow is valid UTF-8 already (JSON parser, form hygiene at the edge), so
// counting the bytes that start a character gives the same number here.
std::size_t codePoints(const std::string& text) {
  std::size_t count = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0U) != 0x80U) {
      ++count;
    }
  }
  return count;
}

std::string trim(const std::string& text) {
  const auto isSpace = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && isSpace(text[begin])) {
    ++begin;
  }
  while (end > begin && isSpace(text[end - 1])) {
    --end;
  }
  return text.substr(begin, end - begin);
}

std::string lower(const std::string& text) {
  std::string out = text;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    if (c >= 'A' && c <= 'Z') {
      out[i] = static_cast<char>(c - 'A' + 'a');
    } else if (c == 0xC3 && i + 1 < out.size()) {
      // Ä Ö Ü (U+00C4, U+00D6, U+00DC) → ä ö ü: the second UTF-8 byte moves up by 0x20.
      const auto second = static_cast<unsigned char>(out[i + 1]);
      if (second == 0x84 || second == 0x96 || second == 0x9C) {
        out[i + 1] = static_cast<char>(second + 0x20);
      }
      ++i;
    }
  }
  return out;
}

}  // namespace detail

}  // namespace bb::flows
