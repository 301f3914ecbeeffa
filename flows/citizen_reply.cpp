// Citizens answer the city: a message the citizen sends outside a running flow goes into the
// thread of the ticket staff wrote to them about. Which ticket, in this order:
//   1. the channel says which of our messages was answered (Event::quoted): that ticket, unless
//      it is closed and its reply window has run out ("abgeschlossen", offer a new report);
//   2. exactly one open reply window: that ticket; several: the citizen picks one;
//   3. no open window, but the latest one (run out within another window length) is of a
//      closed ticket: "abgeschlossen", offer a new report;
//   4. otherwise the menu answers as before (these rows do not match).
// Words that start something (report, letter, participation) and the global commands keep
// their meaning. Each burst of messages to a ticket is confirmed once.
// "Meine Meldungen" offers "Nachricht schreiben" ("write:<n>") for each ticket the citizen
// reported: the next text or photo goes into that ticket's thread, window or not.

#include "flows/machine.hpp"

namespace bb::flows::detail {

namespace {

using S = State;

bool windowOpen(const Turn& t, const ReplyWindow& w) {
  return w.number != 0 && w.opened_at.time_since_epoch().count() != 0 &&
         t.ctx.now >= w.opened_at && t.ctx.now - w.opened_at < t.ctx.settings.reply_window;
}

std::vector<const ReplyWindow*> openWindows(const Turn& t) {
  std::vector<const ReplyWindow*> open;
  for (const ReplyWindow& w : t.ctx.reply_windows) {
    if (windowOpen(t, w)) { open.push_back(&w); }
  }
  return open;
}

const ReplyWindow* findWindow(const Turn& t, std::int64_t number) {
  for (const ReplyWindow& w : t.ctx.reply_windows) {
    if (w.number == number) { return &w; }
  }
  return nullptr;
}

std::string messageText(const Turn& t) {
  return trim(t.event.text);
}

//! Free text or a photo (with its caption) that is not a word starting something else.
bool carriesMessage(const Turn& t) {
  const bool text = t.event.kind == EventKind::Text && !messageText(t).empty();
  const bool photo = t.event.kind == EventKind::Image && !t.event.media_id.empty();
  if (!text && !photo) { return false; }
  return t.on != On::Report && t.on != On::Letter && t.on != On::Participation;
}

bool tooLong(const Turn& t) {
  return codePoints(messageText(t)) > t.ctx.settings.max_letter_chars;
}

// ---- guards ----

bool hasQuoted(const Turn& t) {
  return carriesMessage(t) && t.event.quoted.number != 0;
}

bool quotedAccepts(const Turn& t) {
  return hasQuoted(t) && (!t.event.quoted.ticket_closed || windowOpen(t, t.event.quoted));
}

bool quotedClosed(const Turn& t) {
  return hasQuoted(t) && !quotedAccepts(t);
}

bool messageTooLong(const Turn& t) {
  return carriesMessage(t) && (t.event.quoted.number != 0 || !openWindows(t).empty()) &&
         tooLong(t);
}

bool oneWindow(const Turn& t) {
  return carriesMessage(t) && openWindows(t).size() == 1;
}

bool severalWindows(const Turn& t) {
  return carriesMessage(t) && openWindows(t).size() > 1;
}

//! The latest window ran out not long ago and its ticket is closed meanwhile.
bool recentlyClosed(const Turn& t) {
  if (!carriesMessage(t) || !openWindows(t).empty() || t.ctx.reply_windows.empty()) {
    return false;
  }
  const ReplyWindow& latest = t.ctx.reply_windows.front();
  return latest.ticket_closed && t.ctx.now - latest.opened_at < 2 * t.ctx.settings.reply_window;
}

bool pickedOffered(const Turn& t) {
  const ReplyWindow* w = findWindow(t, t.number);
  return w != nullptr && windowOpen(t, *w);
}

//! A typed ticket number among the offered ones ("1001", "#1001").
bool typedOffered(const Turn& t) {
  std::string text = messageText(t);
  if (!text.empty() && text.front() == '#') { text = trim(text.substr(1)); }
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  const ReplyWindow* w = findWindow(t, std::stoll(text));
  return w != nullptr && windowOpen(t, *w);
}

bool heldTooLong(const Turn& t) {
  const std::string joined = t.next.draft.reply_text.empty()
                                 ? messageText(t)
                                 : t.next.draft.reply_text + "\n" + messageText(t);
  return codePoints(joined) > t.ctx.settings.max_letter_chars;
}

//! The ticket a "write:<n>" choice names, when the citizen reported it.
const ReplyWindow* ownTicket(const Turn& t, std::int64_t number) {
  const auto& own = t.ctx.write_ticket;
  return own && own->number == number && number != 0 ? &*own : nullptr;
}

bool writeOpen(const Turn& t) {
  const ReplyWindow* own = ownTicket(t, t.number);
  return own != nullptr && (!own->ticket_closed || windowOpen(t, *own));
}

bool writeClosed(const Turn& t) {
  return ownTicket(t, t.number) != nullptr && !writeOpen(t);
}

//! Text or a photo for the ticket chosen with "Nachricht schreiben".
bool writable(const Turn& t) {
  const bool text = t.event.kind == EventKind::Text && !messageText(t).empty();
  const bool photo = t.event.kind == EventKind::Image && !t.event.media_id.empty();
  return (text || photo) && ownTicket(t, t.current.draft.write_number) != nullptr;
}

bool writeTooLong(const Turn& t) {
  return writable(t) && tooLong(t);
}

// The daily cap per ticket (Settings::ticket_messages_per_day): checked where a message would
// be posted; beyond it nothing is stored.
bool capped(const Turn& t, const ReplyWindow* w) {
  return w != nullptr && w->messages_today >= t.ctx.settings.ticket_messages_per_day;
}

bool quotedCapped(const Turn& t) {
  return quotedAccepts(t) && capped(t, &t.event.quoted);
}

bool oneWindowCapped(const Turn& t) {
  return oneWindow(t) && capped(t, openWindows(t).front());
}

bool pickedCapped(const Turn& t) {
  return pickedOffered(t) && capped(t, findWindow(t, t.number));
}

std::int64_t typedNumber(const Turn& t) {
  std::string text = messageText(t);
  if (text.front() == '#') { text = trim(text.substr(1)); }
  return std::stoll(text);
}

bool typedCapped(const Turn& t) {
  return typedOffered(t) && capped(t, findWindow(t, typedNumber(t)));
}

bool writeCapped(const Turn& t) {
  return writable(t) && capped(t, ownTicket(t, t.current.draft.write_number));
}

// ---- actions ----

std::vector<Choice> backToMenu(const Turn& t) {
  return {choiceOf(t, choice::kMenu)};
}

void confirm(Turn& t, std::int64_t number) {
  say(t, "reply.received", {{"number", std::to_string(number)}}, backToMenu(t));
}

//! Posts this event's text or photo to `number`; confirmed unless it continues a burst.
void post(Turn& t, std::int64_t number, const ReplyWindow* window) {
  PostToTicket p{number, messageText(t), {}};
  if (t.event.kind == EventKind::Image) { p.media_ids.push_back(t.event.media_id); }
  t.effects.emplace_back(std::move(p));
  const bool continues = window != nullptr && window->last_message_at &&
                         t.ctx.now - *window->last_message_at < t.ctx.settings.reply_burst;
  if (!continues) { confirm(t, number); }
}

void postToQuoted(Turn& t) {
  post(t, t.event.quoted.number, &t.event.quoted);
}

void postToWindow(Turn& t) {
  const ReplyWindow* w = openWindows(t).front();
  post(t, w->number, w);
}

void sayClosed(Turn& t, std::int64_t number) {
  say(t, "reply.closed", {{"number", std::to_string(number)}},
      {choiceOf(t, choice::kReport), choiceOf(t, choice::kMenu)});
}

void sayQuotedClosed(Turn& t) {
  sayClosed(t, t.event.quoted.number);
}

void sayLatestClosed(Turn& t) {
  sayClosed(t, t.ctx.reply_windows.front().number);
}

void sayTooLong(Turn& t) {
  say(t, "reply.too_long",
      {{"max", std::to_string(t.ctx.settings.max_letter_chars)},
       {"length", std::to_string(codePoints(messageText(t)))}},
      backToMenu(t));
}

void hold(Turn& t) {
  Draft& d = t.next.draft;
  const std::string text = messageText(t);
  if (!text.empty()) { d.reply_text = d.reply_text.empty() ? text : d.reply_text + "\n" + text; }
  if (t.event.kind == EventKind::Image && !t.event.media_id.empty()) {
    d.reply_media_ids.push_back(t.event.media_id);
  }
}

void askWhich(Turn& t) {
  t.next.draft = Draft{};
  hold(t);
  say(t, "reply.which", {}, replyChoices(t));
}

void holdMore(Turn& t) {
  hold(t);
  say(t, "reply.which", {}, replyChoices(t));
}

void postHeld(Turn& t, std::int64_t number) {
  Draft& d = t.next.draft;
  t.effects.emplace_back(PostToTicket{number, d.reply_text, d.reply_media_ids});
  t.next.draft = Draft{};
  confirm(t, number);
}

void postPicked(Turn& t) {
  postHeld(t, t.number);
}

void postTyped(Turn& t) {
  postHeld(t, typedNumber(t));
}

void sayCapped(Turn& t, std::int64_t number) {
  t.next.draft = Draft{};  // a held message is dropped with the answer
  say(t, "reply.daily_cap",
      {{"number", std::to_string(number)},
       {"max", std::to_string(t.ctx.settings.ticket_messages_per_day)}},
      backToMenu(t));
}

void sayQuotedCapped(Turn& t) {
  sayCapped(t, t.event.quoted.number);
}

void sayWindowCapped(Turn& t) {
  sayCapped(t, openWindows(t).front()->number);
}

void sayPickedCapped(Turn& t) {
  sayCapped(t, t.number);
}

void sayTypedCapped(Turn& t) {
  sayCapped(t, typedNumber(t));
}

void sayWriteCapped(Turn& t) {
  sayCapped(t, t.current.draft.write_number);
}

void startWrite(Turn& t) {
  t.next.draft = Draft{};
  t.next.draft.write_number = t.number;
  say(t, "write.prompt", {{"number", std::to_string(t.number)}}, backToMenu(t));
}

void sayWriteClosed(Turn& t) {
  sayClosed(t, t.number);
}

void sayNotOwn(Turn& t) {
  t.next.draft = Draft{};
  say(t, "write.unknown", {{"number", std::to_string(t.number)}},
      {choiceOf(t, choice::kMyTickets), choiceOf(t, choice::kMenu)});
}

void sayWriteGone(Turn& t) {
  t.number = t.current.draft.write_number;
  sayNotOwn(t);
}

//! Always confirmed: the citizen asked to write, so each message gets its answer.
void postWritten(Turn& t) {
  const std::int64_t number = t.current.draft.write_number;
  t.next.draft = Draft{};
  post(t, number, nullptr);
}

// clang-format off
// Outside a running flow (menu, subscriptions), after the global commands.
constexpr Transition kRouting[] = {
  // from  on        guard           action           to
  {kAny,   On::WriteTo, writeOpen,   startWrite,      S::WriteTicket},
  {kAny,   On::WriteTo, writeClosed, sayWriteClosed,  S::Menu},
  {kAny,   On::WriteTo, nullptr,     sayNotOwn,       S::Menu},
  {kAny,   On::Any,  messageTooLong, sayTooLong,      kSame},
  {kAny,   On::Any,  quotedCapped,   sayQuotedCapped, S::Menu},
  {kAny,   On::Any,  quotedAccepts,  postToQuoted,    S::Menu},
  {kAny,   On::Any,  quotedClosed,   sayQuotedClosed, S::Menu},
  {kAny,   On::Any,  oneWindowCapped, sayWindowCapped, S::Menu},
  {kAny,   On::Any,  oneWindow,      postToWindow,    S::Menu},
  {kAny,   On::Any,  severalWindows, askWhich,        S::ReplyTicket},
  {kAny,   On::Any,  recentlyClosed, sayLatestClosed, S::Menu},
};

// The citizen picks the ticket a held message belongs to; more text and photos join it.
constexpr Transition kPick[] = {
  // from           on           guard          action      to
  {S::ReplyTicket,  On::ReplyTo, pickedCapped,  sayPickedCapped, S::Menu},
  {S::ReplyTicket,  On::ReplyTo, pickedOffered, postPicked, S::Menu},
  {S::ReplyTicket,  On::Text,    typedCapped,   sayTypedCapped, S::Menu},
  {S::ReplyTicket,  On::Text,    typedOffered,  postTyped,  S::Menu},
  {S::ReplyTicket,  On::Text,    heldTooLong,   sayTooLong, kSame},
  {S::ReplyTicket,  On::Text,    nullptr,       holdMore,   kSame},
  {S::ReplyTicket,  On::Image,   nullptr,       holdMore,   kSame},
};

// "Nachricht schreiben": the next text or photo goes to the chosen ticket; another ticket's
// "write:<n>" switches to it; commands and "Menü" keep their meaning (global rows come first).
constexpr Transition kWrite[] = {
  // from           on           guard         action          to
  {S::WriteTicket,  On::WriteTo, writeOpen,    startWrite,     S::WriteTicket},
  {S::WriteTicket,  On::WriteTo, writeClosed,  sayWriteClosed, S::Menu},
  {S::WriteTicket,  On::WriteTo, nullptr,      sayNotOwn,      S::Menu},
  {S::WriteTicket,  On::Any,     writeTooLong, sayTooLong,     kSame},
  {S::WriteTicket,  On::Any,     writeCapped,  sayWriteCapped, S::Menu},
  {S::WriteTicket,  On::Any,     writable,     postWritten,    S::Menu},
  {S::WriteTicket,  On::Text,    nullptr,      sayWriteGone,   S::Menu},
  {S::WriteTicket,  On::Image,   nullptr,      sayWriteGone,   S::Menu},
};
// clang-format on

}  // namespace

std::vector<Choice> replyChoices(const Turn& t) {
  std::vector<Choice> choices;
  for (const ReplyWindow* w : openWindows(t)) {
    if (choices.size() == 9) { break; }  // plus "Menü": a WhatsApp list holds 10 rows
    choices.push_back(Choice{choice::kReplyPrefix + std::to_string(w->number),
                             render(t, "reply.choice", {{"number", std::to_string(w->number)}})});
  }
  choices.push_back(choiceOf(t, choice::kMenu));
  return choices;
}

bool outsideFlow(State state) {
  return state == S::Menu || state == S::Subscriptions;
}

std::span<const Transition> citizenReplyTable() {
  return kRouting;
}

std::span<const Transition> replyTicketTable() {
  return kPick;
}

std::span<const Transition> writeTicketTable() {
  return kWrite;
}

}  // namespace bb::flows::detail
