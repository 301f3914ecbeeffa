#pragma once
// Internal to flows/: the transition-table machinery the flow tables share (see STYLE.md
// "Flows are data tables"). Not part of the contract with the engine.

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "flows/conversation.hpp"
#include "flows/flow_types.hpp"

namespace bb::flows::detail {

//! Table wildcards: kAny in `from` matches every state, kSame in `to` keeps the state.
inline constexpr State kAny = static_cast<State>(1000);
inline constexpr State kSame = static_cast<State>(1001);

//! What an event means once normalized: the table's `on` column. Text and choice ids map to the
//! same values, so a button and a typed keyword take the same row. A row with `On::Text`
//! matches every text event that no earlier row took (free text: address, description).
enum class On {
  Any,
  Text,
  Location,
  Image,
  Unsupported,
  Nearby,
  Geocoded,   //!< the engine's answer to Geocode
  MediaRejected,
  Yes,        //!< ja / yes / ok / accept / confirm / send
  No,         //!< nein / no / decline / "dup:none"
  Next,       //!< weiter / skip / überspringen / fertig / done
  Change,     //!< ändern / change
  Back,       //!< zurück / back
  Report,     //!< start a defect report
  Letter,     //!< start a letter (virtueller Briefkasten)
  Category,   //!< a known category ("cat:<id>", its id or label); Turn::category_id
  Duplicate,  //!< "dup:<number>"; Turn::number
  AddressPick,  //!< "addr:<n>", one of the "Meinten Sie …?" candidates; Turn::number (1-based)
  EditCategory,  //!< "change:category" and the other parts the summary can change
  EditLocation,
  EditPhotos,
  EditText,
  Help,       //!< global commands from here on
  Cancel,
  Menu,
  Status,     //!< "status N"; Turn::number
  MyTickets,  //!< "status" alone, "my_tickets"
  Language,
  LangDe,
  LangEn,
  Stop,
  StopEverything,     //!< "stop:all": the stop question's "everything"
  StopSubscriptions,  //!< "stop:subscriptions": the stop question's "subscriptions only"
  Start,              //!< "start": notifications back on when stopped, else the menu
  MyData,     //!< "meine daten": export everything stored
  EraseData,  //!< "daten löschen": erase after confirmation
  Participation,  //!< start participatory budget (Bürgerhaushalt)
  Subscriptions,  //!< "abos": list topics and my subscriptions
  Subscribe,      //!< "sub:<ids>" or "abonnieren <topics>"
  Unsubscribe,    //!< "unsub:<ids>" or "abbestellen <topics>" (several at once)
  ReplyTo,    //!< "reply:<number>": the ticket a held message belongs to; Turn::number
  WriteTo,    //!< "write:<number>": write to one of the citizen's own tickets; Turn::number
  Unknown,    //!< a choice id nobody offered
};

//! One step in progress: the inputs, the normalized event and the outputs actions write to.
struct Turn {
  const Conversation& current;
  const Event& event;
  const Context& ctx;
  State state;  //!< the state the tables are consulted for
  On on = On::Unknown;
  std::string category_id;  //!< On::Category
  std::int64_t number = 0;  //!< On::Status, On::Duplicate
  Conversation& next;
  std::vector<Effect>& effects;
};

using Guard = bool (*)(const Turn&);
using Action = void (*)(Turn&);

struct Transition {
  State from;
  On on;
  Guard guard;
  Action action;
  State to;
};

//! Runs the first row that matches `turn` (state, event, guard); false when none matched.
bool runTable(std::span<const Transition> table, Turn& turn);

std::span<const Transition> consentTable();
std::span<const Transition> globalTable();
std::span<const Transition> menuTable();
std::span<const Transition> anyStateTable();
std::span<const Transition> defectReportTable();
std::span<const Transition> reportEditTable();
std::span<const Transition> letterboxTable();
std::span<const Transition> eraseTable();
std::span<const Transition> participationTable();  // participation.cpp
std::span<const Transition> subscriptionTable();    // subscriptions.cpp
//! Citizen messages to tickets (citizen_reply.cpp): consulted outside a running flow, after
//! the global commands and before the state's own table.
std::span<const Transition> citizenReplyTable();
std::span<const Transition> replyTicketTable();     // State::ReplyTicket
std::span<const Transition> writeTicketTable();     // State::WriteTicket
//! The menu and the subscription list: no flow is running there.
bool outsideFlow(State state);
//! The tickets with an open reply window ("reply:<number>"), then "Menü".
std::vector<Choice> replyChoices(const Turn& turn);

// ---- helpers for actions ----
using Params = std::map<std::string, std::string>;

std::string render(const Turn& turn, const std::string& key, const Params& params = {});
void say(Turn& turn, const std::string& key, const Params& params = {},
         std::vector<Choice> choices = {}, bool requestLocation = false);
Choice choiceOf(const Turn& turn, const std::string& id);
std::vector<Choice> menuChoices(const Turn& turn);
std::vector<Choice> categoryChoices(const Turn& turn);
std::vector<Choice> photoChoices(const Turn& turn);
//! The choices that belong to `state` (offered again with help and after a language switch).
//! The report's steps end with "Abbrechen" while a list has room for it.
std::vector<Choice> choicesFor(const Turn& turn, State state);
std::vector<Choice> withCancel(const Turn& turn, std::vector<Choice> choices);
//! "help.<state>" with the state's choices; the state is kept.
void contextHelp(Turn& turn);

// ---- actions and guards used by more than one table ----
void discardDraft(Turn& turn);             // conversation.cpp: clear draft, "cancel.done"
void startReport(Turn& turn);              // defect_report.cpp
void startReportWithCategory(Turn& turn);  // defect_report.cpp: category typed in the menu
bool hasPhotoRoom(const Turn& turn);       // defect_report.cpp
//! A photo's caption (WhatsApp, Telegram, Matrix m.image body) becomes the description when
//! there is none, else it is appended on a new line.
void takeCaption(Turn& turn);              // defect_report.cpp
void sayPhotoLimit(Turn& turn);            // defect_report.cpp
void startLetter(Turn& turn);              // letterbox.cpp
void startParticipation(Turn& turn);       // participation.cpp
std::vector<Choice> participationChoices(const Turn& turn, State state);  // participation.cpp
// subscriptions.cpp
std::vector<Choice> subscriptionChoices(const Turn& turn);
//! Subscription words ("abos", "sub:x", "abbestellen a, b"); nullopt: not about subscriptions.
std::optional<On> classifySubscription(const Turn& turn, const std::string& word);
bool outsideDraft(const Turn& turn);
void showSubscriptions(Turn& turn);
void subscribeTopics(Turn& turn);
void unsubscribeTopics(Turn& turn);


const Category* findCategory(const Context& ctx, const std::string& id);
std::string categoryLabel(const Category& category, Lang lang);
std::string localized(const std::map<Lang, std::string>& texts, Lang lang);
std::size_t codePoints(const std::string& text);
std::string trim(const std::string& text);
std::string lower(const std::string& text);

}  // namespace bb::flows::detail
