#pragma once
// The pure conversation core's vocabulary: what a flow sees (Event, Context, Conversation) and
// what it asks for (Effect). No I/O, no JSON, no channel fields: the engine in bot/ runs effects.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace bb::flows {

using SysTime = std::chrono::system_clock::time_point;

enum class Lang { De, En };
const char* toString(Lang lang);            // "de" / "en"
std::optional<Lang> langFromString(const std::string& s);

struct Point {
  double lat = 0;
  double lon = 0;
};

//! A channel-independent choice; channels render it as a button, list row or numbered option.
struct Choice {
  std::string id;
  std::string label;
};

//! One defect category from config/categories.json.
struct Category {
  std::string id;          //!< stable id, e.g. "schlagloch"
  std::string department;  //!< department that works these tickets
  std::map<Lang, std::string> label;
  std::map<Lang, std::string> question;  //!< optional extra question (empty map: none)
  std::map<Lang, std::string> notice;    //!< optional notice shown when chosen (e.g. "Gefahr: 112")
  bool district_routing = false;  //!< route to the district's department when the point is in one
  int target_days = 5;            //!< working days target for staff (inbox highlighting)
  int retention_days = 0;  //!< days after closure until anonymized; 0 = retention.closed_ticket_days
};

//! A subscription topic from the topics file: a council body or a city theme.
struct Topic {
  std::string id;  //!< stable id, e.g. "stadtrat"; consent purpose "broadcast:<id>"
  std::map<Lang, std::string> label;
};

//! A polygon's outer ring (lat/lon). Holes are not needed for city limits.
struct Polygon {
  std::vector<Point> ring;
};

struct District {
  std::string id;
  std::string name;
  std::string department;  //!< department for categories with district_routing
  std::vector<Polygon> area;
};

//! City limits and districts from the configured GeoJSON files.
struct Geo {
  std::vector<Polygon> boundary;  //!< empty: no boundary check
  std::vector<District> districts;
};

bool contains(const Polygon& polygon, Point p);
bool contains(const std::vector<Polygon>& area, Point p);
double distanceMeters(Point a, Point b);

//! Texts by language and key, `{name}` placeholders. German is the fallback language.
//! A key may have channel variants, "<key>@<channel>" (e.g. "location.prompt@webchat" names
//! the web chat's button where messengers say "📎 → Standort").
class TextCatalog {
public:
  void set(Lang lang, std::string key, std::string text);
  //! The text for `key` in `lang` (falling back to German, then to the key itself) with
  //! `{name}` placeholders replaced from `params`. With a `channel`, the variant
  //! "<key>@<channel>" is preferred in each language before the plain key.
  std::string render(Lang lang, const std::string& key,
                     const std::map<std::string, std::string>& params = {},
                     const std::string& channel = {}) const;
  bool has(Lang lang, const std::string& key) const;
  //! Every key that has a text in `lang`, sorted.
  std::vector<std::string> keys(Lang lang) const;

private:
  std::map<Lang, std::map<std::string, std::string>> texts_;
};

struct Settings {
  std::chrono::minutes idle_timeout{30};
  double duplicate_radius_m = 50;
  int max_photos = 3;
  std::size_t max_description_chars = 1000;  //!< counted in Unicode code points
  std::size_t max_letter_chars = 2000;
  int privacy_notice_version = 1;
  std::string privacy_notice_url;
  std::string letterbox_department = "buergerservice";
  //! Optional: who to contact about a place outside the city limits (named in the refusal,
  //! e.g. "das Landratsamt Ebersberg"); empty: a general refusal.
  std::string outside_responsible;
  //! How long a citizen's messages go to a ticket after staff wrote about it (a reply, or a
  //! status change with text) without the citizen naming the ticket.
  std::chrono::hours reply_window{24 * 14};
  //! Messages to a ticket closer together than this are one burst: confirmed once.
  std::chrono::minutes reply_burst{10};
  //! Citizen messages a ticket takes per local calendar day; beyond: a polite answer, no post.
  int ticket_messages_per_day = 20;
};

//! A ticket staff wrote to the citizen about: it may take the citizen's answers (the reply
//! window, Settings::reply_window from `opened_at`).
struct ReplyWindow {
  std::int64_t number = 0;
  SysTime opened_at{};  //!< the latest staff message to the citizen about it
  bool ticket_closed = false;
  //! The citizen's latest message to the ticket; none: this is the first.
  std::optional<SysTime> last_message_at;
  //! Citizen messages the ticket took today (local calendar day), for the daily cap.
  int messages_today = 0;
};

struct ParticipationContext;  // flows/participation.hpp

//! Read-only data a flow step may consult. Everything is passed in; nothing is looked up.
struct Context {
  SysTime now{};
  //! The citizen's channel ("whatsapp", "telegram", "matrix", "webchat"): picks text variants.
  std::string channel;
  const TextCatalog* texts = nullptr;
  const std::vector<Category>* categories = nullptr;
  const Geo* geo = nullptr;
  Settings settings;
  const std::vector<Topic>* topics = nullptr;  //!< subscription topics
  std::vector<std::string> subscribed;         //!< topic ids the citizen subscribed to
  //! The active participatory-budget campaign (flows/participation.hpp); null: none.
  const ParticipationContext* participation = nullptr;
  //! The citizen's reply windows, the most recently opened first (open and expired ones).
  std::vector<ReplyWindow> reply_windows;
  //! The ticket a "write:<n>" choice names or Draft::write_number holds, when the citizen
  //! reported it (opened_at epoch: staff never wrote about it); nullopt: not theirs or unknown.
  std::optional<ReplyWindow> write_ticket;
  //! The citizen chose "stop" -> everything (no ticket news, staff replies or notices);
  //! "start" turns them back on.
  bool notifications_stopped = false;
};

//! An open ticket near a reported point, found by the engine after a LookupNearby effect.
struct NearbyTicket {
  std::int64_t number = 0;
  std::string category_id;
  double distance_m = 0;
  std::string status_label;  //!< already localized
};

//! A place the gazetteer found for typed text, labelled the way people read it.
struct GeoCandidate {
  std::string label;  //!< "Marienplatz 1, 85560 Ebersberg"
  Point at;
};

//! The engine's answer to Geocode.
enum class GeocodeOutcome {
  Unavailable,  //!< no gazetteer (or it failed): the typed text is kept as it is
  Found,        //!< one clear match: places[0]
  Ambiguous,    //!< two or three candidates in places
  NotFound,     //!< nothing by that name
  Elsewhere,    //!< a postcode or town of another municipality
};

enum class EventKind {
  Text,           //!< free text (global commands are text too)
  Choice,         //!< the id of a Choice we offered
  Location,       //!< a native location
  Image,          //!< a photo received (media_id: internal id of the media job)
  Unsupported,    //!< audio, sticker, ... → polite "please send text, a photo or location"
  NearbyResult,   //!< answer of the engine to LookupNearby (nearby may be empty)
  MediaRejected,  //!< the media pipeline could not clean media_id: drop it, ask for another
  GeocodeResult,  //!< answer of the engine to Geocode (geocode, places)
};

struct Event {
  EventKind kind = EventKind::Text;
  std::string text;
  std::string choice_id;
  std::optional<Point> location;
  std::string media_id;
  std::vector<NearbyTicket> nearby;
  //! With Location: the nearest known address to the point (reverse geocoding, filled by the
  //! engine); empty label: none known near it.
  GeoCandidate near;
  double near_m = 0;
  GeocodeOutcome geocode = GeocodeOutcome::Unavailable;  //!< GeocodeResult
  std::vector<GeoCandidate> places;                      //!< GeocodeResult
  //! Text or Image: the ticket of our message the citizen answered with the channel's own
  //! reply (WhatsApp context, Telegram reply_to_message, Matrix in_reply_to); number 0: none.
  //! Its opened_at is the latest staff message (epoch when staff never wrote about it).
  ReplyWindow quoted;
};

//! The report being composed. Saved with the conversation between events.
struct Draft {
  std::string category_id;
  std::optional<Point> location;
  //! How the place reads for people: the normalized address of a typed one ("Marienplatz 1,
  //! 85560 Ebersberg"), the nearest address of a pin ("bei Marienplatz 1, ca. 20 m"), or the
  //! typed text itself when no gazetteer knows it (then address_unconfirmed).
  std::string address_text;
  bool address_unconfirmed = false;  //!< typed text the gazetteer did not find: staff check it
  int address_tries = 0;             //!< typed addresses not found in a row
  std::vector<GeoCandidate> address_choices;  //!< "Meinten Sie …?" candidates on offer
  bool editing_location = false;     //!< the place is being changed from the summary
  std::string address_typed;  //!< the text sent to Geocode, until its answer (same step)
  std::string district_id;
  std::string department;
  std::vector<std::string> photo_ids;
  std::string extra_answer;  //!< answer to the category's extra question
  std::string description;
  std::string letter_text;   //!< virtueller Briefkasten
  // Participatory budget (flows/participation.cpp); description, location, address_text and
  // photo_ids above are shared with the proposal being composed.
  std::string proposal_title;
  std::optional<std::int64_t> proposal_cost;  //!< whole euros
  std::string proposal_topic;
  std::int64_t proposal_id = 0;     //!< the proposal being looked at (browse, support, comment)
  int proposal_page = 0;            //!< browse page, 0-based
  std::string proposal_order;       //!< browse order: "new" or "top"
  // A message to the city held while the citizen picks the ticket it belongs to.
  std::string reply_text;
  std::vector<std::string> reply_media_ids;
  //! "Nachricht schreiben": the citizen's own ticket the next message goes to.
  std::int64_t write_number = 0;
  //! "stop" asked in the middle of something: the state (toString) the answer returns to;
  //! empty: the menu.
  std::string stop_return;
};

//! Everything the engine saves per conversation.
struct Conversation {
  std::string state = "new";  //!< stable snake_case state name
  Lang lang = Lang::De;
  int consent_version = 0;    //!< accepted privacy-notice version; 0 = not accepted
  Draft draft;
  SysTime last_activity{};    //!< time of the previous event; drives idle expiry
};

// ---- Effects: what a step asks the engine to do, in order, in the same transaction. ----
struct Reply {
  std::string key;   //!< text key (for tests and logs)
  std::string text;  //!< rendered text in the conversation's language
  std::vector<Choice> choices;
  bool request_location = false;
};
struct RecordConsent { int version = 0; };
struct ForgetCitizen {};  //!< declined: keep nothing but an anonymous counter
struct LookupNearby {     //!< engine answers by stepping again with EventKind::NearbyResult
  std::string category_id;
  Point at;
  double radius_m = 50;
};
//! Engine answers by stepping again with EventKind::GeocodeResult.
struct Geocode { std::string text; };
struct CreateTicket { Draft draft; };  //!< engine replies "ticket.created" with {number}
struct FollowTicket { std::int64_t number = 0; };  //!< engine replies "ticket.followed"
struct SendLetter { std::string text; std::string department; };  //!< engine replies "letter.sent"
struct QueryStatus { std::int64_t number = 0; };  //!< engine replies with the public status
struct ListMyTickets {};
//! "stop" answered: end every subscription (and withdraw its consent); with `everything` also
//! stop ticket news, staff replies and proposal notices until "start". The flow replies itself.
struct StopNotifications { bool everything = false; };
//! "start" while stopped: ticket news, staff replies and notices go out again. Subscriptions
//! stay ended (the flow says how to subscribe again). The flow replies itself.
struct StartNotifications {};
struct ExportData {};  //!< engine replies with everything stored about the citizen
struct EraseData {};   //!< engine erases personal data (tickets stay, anonymized) and confirms

// Participatory budget: the engine runs these (bot/participation.*) and replies itself.
struct SubmitProposal {  //!< store as pending moderation; engine replies with the outcome
  std::int64_t campaign_id = 0;
  Draft draft;
};
struct BrowseProposals {  //!< engine replies with a page of published proposals as choices
  std::int64_t campaign_id = 0;
  std::string order;  //!< "new" | "top"
  int page = 0;
};
struct ShowProposal { std::int64_t proposal_id = 0; };  //!< details, counts, possible actions
struct SupportProposal {  //!< one support per citizen and proposal; withdraw removes it
  std::int64_t proposal_id = 0;
  bool withdraw = false;
};
struct CommentProposal {  //!< stored as pending moderation
  std::int64_t proposal_id = 0;
  std::string text;
};

// Subscriptions (flows/subscriptions.cpp); the flow replies itself.
//! Subscribe to topics; the engine records consent "broadcast:<topic>" with the notice version.
struct Subscribe { std::vector<std::string> topics; int notice_version = 0; };
//! End these subscriptions and withdraw their consent.
struct Unsubscribe { std::vector<std::string> topics; };

// Two-way ticket conversations (flows/citizen_reply.cpp): the citizen's message goes into the
// thread of ticket `number` (never public); the flow confirms itself.
struct PostToTicket {
  std::int64_t number = 0;
  std::string text;
  std::vector<std::string> media_ids;
};

using Effect = std::variant<Reply, RecordConsent, ForgetCitizen, LookupNearby, Geocode, CreateTicket,
                            FollowTicket, SendLetter, QueryStatus, ListMyTickets,
                            StopNotifications, StartNotifications, ExportData, EraseData, Subscribe, Unsubscribe, SubmitProposal,
                            BrowseProposals, ShowProposal, SupportProposal, CommentProposal,
                            PostToTicket>;

struct StepResult {
  Conversation next;
  std::vector<Effect> effects;
};

//! The one entry point: the whole conversation (consent, menu, defect report, letterbox, status,
//! global commands, idle expiry). Pure: the same inputs give the same outputs.
StepResult step(const Conversation& current, const Event& event, const Context& ctx);

}  // namespace bb::flows
