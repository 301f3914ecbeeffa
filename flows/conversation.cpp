// step(): consent, global commands, main menu, idle expiry and the catch-all rows. The defect
// report lives in defect_report.cpp, the letterbox in letterbox.cpp.

#include <array>

#include "flows/answers.hpp"
#include "flows/machine.hpp"

namespace bb::flows {

namespace detail {

namespace {

using S = State;

// ---- normalizing an event: text and choice ids become an `On` ----

struct Keyword {
  const char* word;
  On on;
};

// clang-format off
constexpr Keyword kKeywords[] = {
  {"hilfe", On::Help},            {"help", On::Help},              {"?", On::Help},
  {"abbrechen", On::Cancel},      {"cancel", On::Cancel},          {"abbruch", On::Cancel},
  {"menü", On::Menu},             {"menu", On::Menu},              {"menue", On::Menu},
  {"hauptmenü", On::Menu},        {"start", On::Start},
  {"status", On::MyTickets},      {"my_tickets", On::MyTickets},   {"my reports", On::MyTickets},
  {"meine meldungen", On::MyTickets},
  {"sprache", On::Language},      {"language", On::Language},
  {"lang:de", On::LangDe},        {"deutsch", On::LangDe},         {"german", On::LangDe},
  {"lang:en", On::LangEn},        {"english", On::LangEn},         {"englisch", On::LangEn},
  {"stop", On::Stop},             {"stopp", On::Stop},
  {"stop:all", On::StopEverything},  {"alles", On::StopEverything},
  {"everything", On::StopEverything},
  {"stop:subscriptions", On::StopSubscriptions},  {"nur abos", On::StopSubscriptions},
  {"subscriptions only", On::StopSubscriptions},
  {"meine daten", On::MyData},    {"my data", On::MyData},         {"data:export", On::MyData},
  {"daten", On::MyData},          {"auskunft", On::MyData},
  {"daten löschen", On::EraseData},  {"daten loeschen", On::EraseData},
  {"delete my data", On::EraseData}, {"data:erase", On::EraseData},
  {"ja", On::Yes},                {"yes", On::Yes},                {"ok", On::Yes},
  {"accept", On::Yes},            {"akzeptieren", On::Yes},        {"einverstanden", On::Yes},
  {"agree", On::Yes},             {"confirm", On::Yes},            {"bestätigen", On::Yes},
  {"send", On::Yes},              {"senden", On::Yes},             {"absenden", On::Yes},
  {"nein", On::No},               {"no", On::No},                  {"decline", On::No},
  {"ablehnen", On::No},           {"dup:none", On::No},            {"neu", On::No},
  {"addr:none", On::No},
  {"new", On::No},
  {"weiter", On::Next},           {"skip", On::Next},              {"überspringen", On::Next},
  {"done", On::Next},             {"fertig", On::Next},            {"next", On::Next},
  {"change", On::Change},         {"ändern", On::Change},
  {"back", On::Back},             {"zurück", On::Back},
  {"report", On::Report},         {"melden", On::Report},
  {"letter", On::Letter},         {"briefkasten", On::Letter},
  {"participation", On::Participation},  {"beteiligung", On::Participation},
  {"bürgerhaushalt", On::Participation}, {"buergerhaushalt", On::Participation},
  {"change:category", On::EditCategory},  {"change:location", On::EditLocation},
  {"change:photos", On::EditPhotos},      {"change:description", On::EditText},
};
// clang-format on

//! Ids whose label a citizen may type instead of the id (labels come from the catalog).
constexpr std::array kLabelledIds{
    choice::kAccept,         choice::kDecline,        choice::kReport,
    choice::kLetter,         choice::kMyTickets,      choice::kHelp,
    choice::kLanguage,       choice::kCancel,         choice::kMenu,
    choice::kStop,           choice::kLangDe,         choice::kLangEn,
    choice::kSkip,           choice::kDone,           choice::kConfirm,
    choice::kChange,         choice::kSend,           choice::kBack,
    choice::kNewReport,      choice::kChangeCategory, choice::kChangeLocation,
    choice::kChangePhotos,   choice::kChangeDescription, choice::kMyData,
    choice::kEraseData,      choice::kParticipation,     choice::kStopAll,
    choice::kStopSubscriptions,
};

std::optional<On> keyword(const std::string& word) {
  for (const Keyword& k : kKeywords) {
    if (word == k.word) {
      return k.on;
    }
  }
  return std::nullopt;
}

//! A positive ticket number of at most 18 digits, optionally after '#'.
std::optional<std::int64_t> ticketNumber(std::string text) {
  text = trim(text);
  if (!text.empty() && text.front() == '#') {
    text = trim(text.substr(1));
  }
  if (text.empty() || text.size() > 18) {
    return std::nullopt;
  }
  std::int64_t number = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    number = number * 10 + (c - '0');
  }
  return number > 0 ? std::optional<std::int64_t>(number) : std::nullopt;
}

On onAnswer(Answer answer) {
  switch (answer) {
    case Answer::Yes:
    case Answer::Ok:
      return On::Yes;
    case Answer::No:
      return On::No;
    case Answer::Cancel:
      return On::Cancel;
    case Answer::Back:
      return On::Back;
    case Answer::Skip:
      return On::Next;
    case Answer::Help:
      return On::Help;
  }
  return On::Help;
}

bool startsWith(const std::string& text, const std::string& prefix) {
  return text.size() >= prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

std::optional<std::string> categoryByWords(const Context& ctx, const std::string& word) {
  if (ctx.categories == nullptr) {
    return std::nullopt;
  }
  for (const Category& category : *ctx.categories) {
    if (lower(category.id) == word) {
      return category.id;
    }
    for (const auto& [lang, label] : category.label) {
      // "Schlagloch/Straßenschaden" is matched as a whole and by each of its parts.
      std::string rest = lower(label);
      if (rest == word) {
        return category.id;
      }
      for (std::size_t slash = rest.find('/'); !rest.empty(); slash = rest.find('/')) {
        if (trim(rest.substr(0, slash)) == word) {
          return category.id;
        }
        rest = slash == std::string::npos ? std::string() : rest.substr(slash + 1);
      }
    }
  }
  return std::nullopt;
}

void classifyWords(Turn& turn, const std::string& raw) {
  std::string word = lower(trim(raw));
  if (!word.empty() && word.front() == '/') {
    word.erase(0, 1);  // Telegram-style "/help"
  }
  const bool isText = turn.event.kind == EventKind::Text;
  if (word.empty()) {
    turn.on = On::Unknown;
    return;
  }
  if (const auto on = keyword(word)) {
    turn.on = *on;
    return;
  }
  // Typed answers the way people write them ("Ja bitte", "passt", "👍", "nein danke").
  if (isText) {
    if (const auto answer = normalizeAnswer(raw, turn.current.lang)) {
      turn.on = onAnswer(*answer);
      return;
    }
  }
  if (const auto on = classifySubscription(turn, word)) {
    turn.on = *on;
    return;
  }
  if (startsWith(word, choice::kStatusPrefix)) {
    if (const auto number = ticketNumber(word.substr(7))) {
      turn.on = On::Status;
      turn.number = *number;
      return;
    }
  }
  if (startsWith(word, choice::kWritePrefix)) {
    if (const auto number = ticketNumber(word.substr(6))) {
      turn.on = On::WriteTo;
      turn.number = *number;
      return;
    }
  }
  if (startsWith(word, "status")) {
    if (const auto number = ticketNumber(word.substr(6))) {
      turn.on = On::Status;
      turn.number = *number;
      return;
    }
  }
  if (startsWith(word, choice::kDuplicatePrefix)) {
    if (const auto number = ticketNumber(word.substr(4))) {
      turn.on = On::Duplicate;
      turn.number = *number;
      return;
    }
  }
  if (startsWith(word, choice::kReplyPrefix)) {
    if (const auto number = ticketNumber(word.substr(6))) {
      turn.on = On::ReplyTo;
      turn.number = *number;
      return;
    }
  }
  if (startsWith(word, choice::kAddressPrefix)) {
    if (const auto number = ticketNumber(word.substr(5))) {
      turn.on = On::AddressPick;
      turn.number = *number;
      return;
    }
  }
  if (startsWith(word, choice::kCategoryPrefix)) {
    const Category* category = findCategory(turn.ctx, trim(raw).substr(4));
    if (category != nullptr) {
      turn.on = On::Category;
      turn.category_id = category->id;
      return;
    }
  }
  if (const auto id = categoryByWords(turn.ctx, word)) {
    turn.on = On::Category;
    turn.category_id = *id;
    return;
  }
  if (isText && turn.ctx.texts != nullptr) {
    for (const char* id : kLabelledIds) {
      for (const Lang lang : {Lang::De, Lang::En}) {
        std::string key = std::string("choice.") + id;
        for (char& c : key) {
          c = c == ':' ? '_' : c;
        }
        if (turn.ctx.texts->has(lang, key) && lower(turn.ctx.texts->render(lang, key)) == word) {
          turn.on = keyword(id).value_or(On::Unknown);
          return;
        }
      }
    }
  }
  turn.on = isText ? On::Text : On::Unknown;
}

void classify(Turn& turn) {
  switch (turn.event.kind) {
    case EventKind::Text:
      classifyWords(turn, turn.event.text);
      return;
    case EventKind::Choice:
      classifyWords(turn, turn.event.choice_id);
      return;
    case EventKind::Location:
      turn.on = turn.event.location ? On::Location : On::Unsupported;
      return;
    case EventKind::Image:
      turn.on = turn.event.media_id.empty() ? On::Unsupported : On::Image;
      return;
    case EventKind::Unsupported:
      turn.on = On::Unsupported;
      return;
    case EventKind::NearbyResult:
      turn.on = On::Nearby;
      return;
    case EventKind::GeocodeResult:
      turn.on = On::Geocoded;
      return;
    case EventKind::MediaRejected:
      turn.on = On::MediaRejected;
      return;
  }
  turn.on = On::Unknown;
}

// ---- guards ----

//! A report or letter is being written (also while "stop" asked in the middle of one).
bool inDraft(const Turn& t) {
  if (t.state == State::StopChoice) {
    const auto back = stateFromString(t.current.draft.stop_return);
    return back && isDraftState(*back);
  }
  return isDraftState(t.state);
}

bool isIdleExpired(const Turn& t) {
  const bool fromCitizen = t.on != On::Nearby && t.on != On::Geocoded && t.on != On::MediaRejected;
  return fromCitizen && isDraftState(t.state) && t.current.last_activity != SysTime{} &&
         t.ctx.now - t.current.last_activity > t.ctx.settings.idle_timeout;
}

bool isLateReportState(const Turn& t) {
  return t.state == State::ReportQuestion || t.state == State::ReportDescription ||
         t.state == State::ReportSummary || t.state == State::EditQuestion ||
         t.state == State::EditDescription;
}

bool lateWithRoom(const Turn& t) {
  return isLateReportState(t) && hasPhotoRoom(t);
}

// ---- actions ----

bool wantsLocation(State state) {
  return state == State::ReportLocation || state == State::EditLocation;
}

void showNotice(Turn& t) {
  say(t, "privacy.notice", {{"url", t.ctx.settings.privacy_notice_url}},
      choicesFor(t, State::Consent));
}

void acceptConsent(Turn& t) {
  t.next.consent_version = t.ctx.settings.privacy_notice_version;
  t.effects.emplace_back(RecordConsent{t.ctx.settings.privacy_notice_version});
  say(t, "privacy.accepted", {}, menuChoices(t));
}

//! The city raised privacy.notice_version since the citizen accepted: the new notice comes
//! before anything else, with the same two answers.
void showUpdatedNotice(Turn& t) {
  say(t, "privacy.notice_updated", {{"url", t.ctx.settings.privacy_notice_url}},
      choicesFor(t, State::Consent));
}

//! Declining the new notice keeps what exists (tickets stay with the city), processes nothing
//! new, and says how to erase or accept later.
void declineUpdatedNotice(Turn& t) {
  say(t, "privacy.update_declined", {}, choicesFor(t, State::Consent));
}

void declineConsent(Turn& t) {
  say(t, "privacy.declined");
  t.effects.emplace_back(ForgetCitizen{});
  const SysTime now = t.ctx.now;
  t.next = Conversation{};
  t.next.last_activity = now;
}

void offerLanguage(Turn& t) {
  say(t, "language.prompt", {}, {choiceOf(t, choice::kLangDe), choiceOf(t, choice::kLangEn)});
}

void noticeInGerman(Turn& t) {
  t.next.lang = Lang::De;
  showNotice(t);
}

void noticeInEnglish(Turn& t) {
  t.next.lang = Lang::En;
  showNotice(t);
}

void showHelp(Turn& t) {
  say(t, "help.general", {}, choicesFor(t, t.state), wantsLocation(t.state));
}

void nothingToCancel(Turn& t) {
  say(t, "cancel.nothing", {}, menuChoices(t));
}

void showMenu(Turn& t) {
  say(t, "menu.prompt", {}, menuChoices(t));
}

void queryStatus(Turn& t) {
  t.effects.emplace_back(QueryStatus{t.number});
}

void listMyTickets(Turn& t) {
  t.effects.emplace_back(ListMyTickets{});
}

void languageSet(Turn& t) {
  say(t, "language.set", {}, choicesFor(t, t.state), wantsLocation(t.state));
}

void switchToGerman(Turn& t) {
  t.next.lang = Lang::De;
  languageSet(t);
}

void switchToEnglish(Turn& t) {
  t.next.lang = Lang::En;
  languageSet(t);
}

// ---- stop / start ----

bool notificationsStopped(const Turn& t) {
  return t.ctx.notifications_stopped;
}

//! "stop" asks what to stop. Asked in the middle of a report or letter, the draft stays and
//! the answer returns to it.
void askStop(Turn& t) {
  const auto from = stateFromString(t.current.state);
  if (from == State::StopChoice) {
    t.next.draft.stop_return = t.current.draft.stop_return;  // asked again: same way back
  } else {
    // An expired draft was dropped by the expiry row before this one ran.
    const bool expired = from && isDraftState(*from) && t.current.last_activity != SysTime{} &&
                         t.ctx.now - t.current.last_activity > t.ctx.settings.idle_timeout;
    const bool resumable = from && !expired && *from != State::Menu && *from != State::New &&
                           *from != State::Consent;
    t.next.draft.stop_return = resumable ? t.current.state : std::string();
  }
  say(t, "stop.question", {}, choicesFor(t, State::StopChoice));
}

//! Back to where "stop" was asked (a draft's step with its choices), else the menu.
void leaveStopChoice(Turn& t, const std::string& key) {
  const auto back = stateFromString(t.current.draft.stop_return);
  t.next.draft.stop_return.clear();
  if (back && *back != State::StopChoice) {
    t.state = *back;
    t.next.state = toString(*back);
    say(t, key, {}, choicesFor(t, *back), wantsLocation(*back));
    return;
  }
  say(t, key, {}, menuChoices(t));
}

void stopEverything(Turn& t) {
  t.effects.emplace_back(StopNotifications{true});
  leaveStopChoice(t, "stop.all_done");
}

void stopSubscriptions(Turn& t) {
  t.effects.emplace_back(StopNotifications{false});
  leaveStopChoice(t, "stop.subscriptions_done");
}

void stopCancelled(Turn& t) {
  leaveStopChoice(t, "stop.cancelled");
}

//! "start" while stopped: notifications on again; subscriptions stay ended (they need a new
//! consent per topic), the answer says how to subscribe again. A draft goes, as with "menü".
void startNotifications(Turn& t) {
  t.effects.emplace_back(StartNotifications{});
  t.next.draft = Draft{};
  say(t, "start.done", {}, menuChoices(t));
}

void exportData(Turn& t) {
  t.effects.emplace_back(ExportData{});
}

void askErase(Turn& t) {
  t.next.draft = Draft{};
  say(t, "erase.confirm", {}, choicesFor(t, State::EraseConfirm));
}

void eraseData(Turn& t) {
  // The engine erases and confirms; the next message starts over with the privacy notice.
  t.effects.emplace_back(EraseData{});
  t.next = Conversation{};
  t.next.lang = t.current.lang;
  t.next.last_activity = t.ctx.now;
}

void eraseCancelled(Turn& t) {
  say(t, "erase.cancelled", {}, menuChoices(t));
}

//! The text that names why a photo was not used (the reason is the media pipeline's code).
const char* rejectionText(const std::string& reason) {
  if (reason == "heic_unsupported") { return "photo.rejected_heic"; }
  if (reason == "too_large") { return "photo.rejected_size"; }
  if (reason == "unsupported_format") { return "photo.rejected_format"; }
  if (reason.rfind("download_failed", 0) == 0) { return "photo.rejected_download"; }
  return "photo.rejected";
}

void dropRejectedPhoto(Turn& t) {
  auto& ids = t.next.draft.photo_ids;
  std::erase(ids, t.event.media_id);
  const bool photoState = t.state == State::ReportPhoto || t.state == State::EditPhotos;
  say(t, rejectionText(t.event.text), {}, photoState ? photoChoices(t) : std::vector<Choice>{});
}

void expireDraft(Turn& t) {
  t.next.draft = Draft{};
  say(t, "draft.expired", {{"minutes", std::to_string(t.ctx.settings.idle_timeout.count())}},
      menuChoices(t));
}

void addLatePhoto(Turn& t) {
  t.next.draft.photo_ids.push_back(t.event.media_id);
  takeCaption(t);
  say(t, "photo.added_late",
      {{"count", std::to_string(t.next.draft.photo_ids.size())},
       {"max", std::to_string(t.ctx.settings.max_photos)}},
      choicesFor(t, t.state));
}

void sayUnsupported(Turn& t) {
  say(t, "unsupported", {}, choicesFor(t, t.state), wantsLocation(t.state));
}

// ---- tables ----

// clang-format off
constexpr Transition kConsent[] = {
  // from            on              guard    action           to
  {State::New,       On::Any,        nullptr, showNotice,      State::Consent},
  {State::Consent,   On::Yes,        nullptr, acceptConsent,   State::Menu},
  {State::Consent,   On::No,         nullptr, declineConsent,  State::New},
  {State::Consent,   On::Cancel,     nullptr, declineConsent,  State::New},
  {State::Consent,   On::Stop,       nullptr, declineConsent,  State::New},
  {State::Consent,   On::Language,   nullptr, offerLanguage,   State::Consent},
  {State::Consent,   On::LangDe,     nullptr, noticeInGerman,  State::Consent},
  {State::Consent,   On::LangEn,     nullptr, noticeInEnglish, State::Consent},
  {State::Consent,   On::Any,        nullptr, showNotice,      State::Consent},
};

// Applies while the accepted version is older than the configured one. Erasure and the data
// export go through the global table meanwhile (a privacy right needs no new consent).
constexpr Transition kNoticeUpdate[] = {
  // from            on              guard    action                to
  {State::Consent,   On::Yes,        nullptr, acceptConsent,        State::Menu},
  {State::Consent,   On::No,         nullptr, declineUpdatedNotice, State::Consent},
  {State::Consent,   On::Cancel,     nullptr, declineUpdatedNotice, State::Consent},
  {State::Consent,   On::Stop,       nullptr, declineUpdatedNotice, State::Consent},
  {kAny,             On::Any,        nullptr, showUpdatedNotice,    State::Consent},
};

constexpr Transition kExpiry[] = {
  {kAny,             On::Any,        isIdleExpired, expireDraft, State::Menu},
};

constexpr Transition kGlobal[] = {
  // from            on                 guard    action             to
  {State::StopChoice, On::Cancel,       nullptr, stopCancelled,     State::Menu},
  {kAny,             On::Help,          nullptr, showHelp,          kSame},
  {kAny,             On::Cancel,        inDraft, discardDraft,      State::Menu},
  {kAny,             On::Cancel,        nullptr, nothingToCancel,   State::Menu},
  {kAny,             On::Menu,          inDraft, discardDraft,      State::Menu},
  {kAny,             On::Menu,          nullptr, showMenu,          State::Menu},
  {kAny,             On::Status,        nullptr, queryStatus,       kSame},
  {kAny,             On::MyTickets,     nullptr, listMyTickets,     kSame},
  {kAny,             On::Language,      nullptr, offerLanguage,     kSame},
  {kAny,             On::LangDe,        nullptr, switchToGerman,    kSame},
  {kAny,             On::LangEn,        nullptr, switchToEnglish,   kSame},
  {kAny,             On::Stop,          nullptr, askStop,           State::StopChoice},
  {kAny,             On::Start,         notificationsStopped, startNotifications, State::Menu},
  {kAny,             On::Start,         inDraft, discardDraft,      State::Menu},
  {kAny,             On::Start,         nullptr, showMenu,          State::Menu},
  {kAny,             On::Subscriptions, outsideDraft, showSubscriptions, State::Subscriptions},
  {kAny,             On::Subscribe,     outsideDraft, subscribeTopics,   State::Subscriptions},
  {kAny,             On::Unsubscribe,   outsideDraft, unsubscribeTopics, State::Subscriptions},
  {kAny,             On::MyData,        nullptr, exportData,        kSame},
  {kAny,             On::EraseData,     nullptr, askErase,          State::EraseConfirm},
  {kAny,             On::MediaRejected, nullptr, dropRejectedPhoto, kSame},
};

constexpr Transition kMenu[] = {
  // from            on              guard    action                   to
  {State::Menu,      On::Report,     nullptr, startReport,             State::ReportCategory},
  {State::Menu,      On::Category,   nullptr, startReportWithCategory, State::ReportLocation},
  {State::Menu,      On::Letter,     nullptr, startLetter,             State::LetterText},
  {State::Menu,      On::Participation, nullptr, startParticipation,   State::ParticipationHome},
};

// Erasure needs a yes; anything else keeps the data.
constexpr Transition kErase[] = {
  // from               on          guard    action          to
  {State::EraseConfirm, On::Yes,    nullptr, eraseData,      State::New},
  {State::EraseConfirm, On::No,     nullptr, eraseCancelled, State::Menu},
  {State::EraseConfirm, On::Any,    nullptr, eraseCancelled, State::Menu},
};

// "stop" asked what to stop; anything but an answer stops nothing.
constexpr Transition kStopChoice[] = {
  // from             on                     guard    action             to
  {State::StopChoice, On::StopEverything,    nullptr, stopEverything,    State::Menu},
  {State::StopChoice, On::StopSubscriptions, nullptr, stopSubscriptions, State::Menu},
  {State::StopChoice, On::Any,               nullptr, stopCancelled,     State::Menu},
};

// Rows for every state, consulted after the state's own table.
constexpr Transition kAnyState[] = {
  // from            on              guard              action          to
  {kAny,             On::Nearby,     nullptr,           nullptr,        kSame},  // stale answer
  {kAny,             On::Geocoded,   nullptr,           nullptr,        kSame},  // stale answer
  {kAny,             On::Image,      lateWithRoom,      addLatePhoto,   kSame},
  {kAny,             On::Image,      isLateReportState, sayPhotoLimit,  kSame},
  {kAny,             On::Unsupported,nullptr,           sayUnsupported, kSame},
  {kAny,             On::Any,        nullptr,           contextHelp,    kSame},
};
// clang-format on

//! After an expired draft only these still run (cancel and menu would repeat the menu;
//! "start" runs only when there is something to turn back on).
bool honouredAfterExpiry(const Turn& turn) {
  switch (turn.on) {
    case On::Start:
      return turn.ctx.notifications_stopped;
    case On::Help:
    case On::Status:
    case On::MyTickets:
    case On::Language:
    case On::LangDe:
    case On::LangEn:
    case On::Stop:
    case On::MyData:
    case On::EraseData:
      return true;
    default:
      return false;
  }
}

State initialState(const Conversation& conversation) {
  const auto parsed = stateFromString(conversation.state);
  if (conversation.consent_version <= 0) {
    return parsed == State::Consent ? State::Consent : State::New;
  }
  if (!parsed || *parsed == State::New || *parsed == State::Consent) {
    return State::Menu;
  }
  return *parsed;
}

std::span<const Transition> tableFor(State state) {
  switch (state) {
    case State::Menu:
      return menuTable();
    case State::ReportCategory:
    case State::ReportLocation:
    case State::ReportNearby:
    case State::ReportGeocode:
    case State::ReportAddressChoice:
    case State::ReportDuplicate:
    case State::ReportPhoto:
    case State::ReportQuestion:
    case State::ReportDescription:
    case State::ReportSummary:
      return defectReportTable();
    case State::ReportChange:
    case State::EditCategory:
    case State::EditQuestion:
    case State::EditLocation:
    case State::EditPhotos:
    case State::EditDescription:
      return reportEditTable();
    case State::LetterText:
    case State::LetterConfirm:
      return letterboxTable();
    case State::EraseConfirm:
      return kErase;
    case State::StopChoice:
      return kStopChoice;
    case State::ReplyTicket:
      return replyTicketTable();
    case State::WriteTicket:
      return writeTicketTable();
    case State::Subscriptions:
      return subscriptionTable();
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
      return participationTable();
    default:
      return {};
  }
}

}  // namespace

void discardDraft(Turn& t) {
  t.next.draft = Draft{};
  say(t, "cancel.done", {}, menuChoices(t));
}

std::span<const Transition> consentTable() {
  return kConsent;
}
std::span<const Transition> globalTable() {
  return kGlobal;
}
std::span<const Transition> menuTable() {
  return kMenu;
}
std::span<const Transition> anyStateTable() {
  return kAnyState;
}

}  // namespace detail

StepResult step(const Conversation& current, const Event& event, const Context& ctx) {
  using namespace detail;
  StepResult result{current, {}};
  result.next.last_activity = ctx.now;
  const bool notice_outdated = current.consent_version > 0 &&
                               current.consent_version < ctx.settings.privacy_notice_version;
  State start = initialState(current);
  if (notice_outdated && stateFromString(current.state) == State::Consent) {
    start = State::Consent;  // the new notice is on screen
  }
  Turn turn{current, event, ctx, start, On::Unknown, {}, 0, result.next, result.effects};
  classify(turn);
  result.next.state = toString(turn.state);

  if (current.consent_version <= 0) {
    runTable(consentTable(), turn);
    return result;
  }
  if (notice_outdated && turn.on != On::EraseData && turn.on != On::MyData &&
      turn.state != State::EraseConfirm) {
    runTable(kNoticeUpdate, turn);
    return result;
  }
  if (runTable(kExpiry, turn)) {
    if (honouredAfterExpiry(turn)) {
      runTable(globalTable(), turn);
    }
    return result;
  }
  if (runTable(globalTable(), turn)) {
    return result;
  }
  if (outsideFlow(turn.state) && runTable(citizenReplyTable(), turn)) {
    return result;
  }
  if (!runTable(tableFor(turn.state), turn)) {
    runTable(anyStateTable(), turn);
  }
  return result;
}

}  // namespace bb::flows
