// The defect report: category → location (→ duplicates) → photos → extra question →
// description → summary, and the "change" loop that returns to the summary.

#include <algorithm>
#include <charconv>
#include <cmath>

#include "flows/machine.hpp"

namespace bb::flows::detail {

namespace {

using S = State;

constexpr std::size_t kMaxAddressChars = 300;
constexpr std::size_t kMaxDuplicateChoices = 9;  // plus "new report": a WhatsApp list holds 10

std::string fixed5(double value) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed, 5);
  return std::string(buf, res.ptr);
}

const Category* draftCategory(const Turn& t) {
  return findCategory(t.ctx, t.next.draft.category_id);
}

//! District and department from the category and (when known) the point.
void route(Turn& t) {
  Draft& draft = t.next.draft;
  const Category* category = draftCategory(t);
  const District* district = nullptr;
  if (draft.location && t.ctx.geo != nullptr) {
    for (const District& d : t.ctx.geo->districts) {
      if (contains(d.area, *draft.location)) {
        district = &d;
        break;
      }
    }
  }
  draft.district_id = district != nullptr ? district->id : std::string();
  if (category != nullptr && category->district_routing && district != nullptr &&
      !district->department.empty()) {
    draft.department = district->department;
  } else {
    draft.department = category != nullptr ? category->department : std::string();
  }
}

std::string eventText(const Turn& t) {
  return trim(t.event.text);
}

// ---- guards ----

bool isOutside(const Turn& t) {
  return t.ctx.geo != nullptr && !t.ctx.geo->boundary.empty() && t.event.location &&
         !contains(t.ctx.geo->boundary, *t.event.location);
}

bool isPlainText(const Turn& t) {
  return t.on == On::Text;
}

bool addressTooLong(const Turn& t) {
  return codePoints(eventText(t)) > kMaxAddressChars;
}

bool noneNearby(const Turn& t) {
  return t.event.nearby.empty();
}

bool isEditing(const Turn& t) {
  return t.next.draft.editing_location;
}

bool insideCity(const Turn& t, Point p) {
  return t.ctx.geo == nullptr || t.ctx.geo->boundary.empty() || contains(t.ctx.geo->boundary, p);
}

//! The candidates of a GeocodeResult that lie inside the city limits.
std::vector<GeoCandidate> insidePlaces(const Turn& t) {
  std::vector<GeoCandidate> inside;
  const GeocodeOutcome g = t.event.geocode;
  if (g != GeocodeOutcome::Found && g != GeocodeOutcome::Ambiguous) {
    return inside;
  }
  for (const GeoCandidate& c : t.event.places) {
    if (insideCity(t, c.at)) {
      inside.push_back(c);
    }
  }
  return inside;
}

//! Another town's postcode or name, or places that all lie outside the city limits.
bool isElsewhere(const Turn& t) {
  const GeocodeOutcome g = t.event.geocode;
  return g == GeocodeOutcome::Elsewhere ||
         ((g == GeocodeOutcome::Found || g == GeocodeOutcome::Ambiguous) &&
          !t.event.places.empty() && insidePlaces(t).empty());
}

bool isOneInside(const Turn& t) {
  return insidePlaces(t).size() == 1;
}

bool isSeveralInside(const Turn& t) {
  return insidePlaces(t).size() >= 2;
}

bool mayRetry(const Turn& t) {
  return t.event.geocode == GeocodeOutcome::NotFound && t.next.draft.address_tries < 1;
}

bool elsewhereEditing(const Turn& t) {
  return isElsewhere(t) && isEditing(t);
}
bool oneInsideEditing(const Turn& t) {
  return isOneInside(t) && isEditing(t);
}
bool mayRetryEditing(const Turn& t) {
  return mayRetry(t) && isEditing(t);
}
bool isPick(const Turn& t) {
  return t.number >= 1 && static_cast<std::size_t>(t.number) <= t.next.draft.address_choices.size();
}
bool pickEditing(const Turn& t) {
  return isPick(t) && isEditing(t);
}

bool draftHasQuestion(const Turn& t) {
  const Category* category = draftCategory(t);
  return category != nullptr && !localized(category->question, t.next.lang).empty();
}

bool chosenHasQuestion(const Turn& t) {
  const Category* category = findCategory(t.ctx, t.category_id);
  return category != nullptr && !localized(category->question, t.next.lang).empty();
}

bool textTooLong(const Turn& t) {
  return codePoints(eventText(t)) > t.ctx.settings.max_description_chars;
}

// ---- actions ----

// The asking actions run after the row set t.state to the step they ask for.
void askCategory(Turn& t) {
  say(t, "category.prompt", {}, choicesFor(t, t.state));
}

void askLocation(Turn& t) {
  say(t, "location.prompt", {}, {}, true);
}

void askPhoto(Turn& t) {
  say(t, "photo.prompt", {{"max", std::to_string(t.ctx.settings.max_photos)}},
      choicesFor(t, t.state));
}

void askQuestion(Turn& t) {
  const Category* category = draftCategory(t);
  const std::string question =
      category != nullptr ? localized(category->question, t.next.lang) : std::string();
  say(t, "question.prompt", {{"question", question}}, choicesFor(t, t.state));
}

void askDescription(Turn& t) {
  say(t, "description.prompt", {{"max", std::to_string(t.ctx.settings.max_description_chars)}},
      choicesFor(t, t.state));
}

void showSummary(Turn& t) {
  const Draft& draft = t.next.draft;
  const Category* category = draftCategory(t);
  std::string where = render(t, "summary.none");
  if (draft.location && !draft.address_text.empty()) {
    where = draft.address_text;
  } else if (draft.location) {
    where = render(t, "summary.point",
                   {{"lat", fixed5(draft.location->lat)}, {"lon", fixed5(draft.location->lon)}});
  } else if (draft.address_unconfirmed) {
    where = render(t, "address.unconfirmed", {{"address", draft.address_text}});
  } else if (!draft.address_text.empty()) {
    where = draft.address_text;
  }
  const std::string extra =
      draft.extra_answer.empty() ? std::string()
                                 : render(t, "summary.extra", {{"answer", draft.extra_answer}});
  const std::string what =
      category != nullptr ? categoryLabel(*category, t.next.lang) : draft.category_id;
  say(t, "summary.text",
      {{"category", what},
       {"location", where},
       {"photos", std::to_string(draft.photo_ids.size())},
       {"extra", extra},
       {"description", draft.description.empty() ? render(t, "summary.none") : draft.description}},
      choicesFor(t, State::ReportSummary));
}

void setCategory(Turn& t) {
  t.next.draft.category_id = t.category_id;
  t.next.draft.extra_answer.clear();
  route(t);
  const Category* category = draftCategory(t);
  if (category != nullptr) {
    const std::string notice = localized(category->notice, t.next.lang);
    if (!notice.empty()) {
      say(t, "category.notice", {{"notice", notice}});
    }
  }
}

void chooseCategory(Turn& t) {
  setCategory(t);
  askLocation(t);
}

void refuseOutside(Turn& t) {
  const std::string& responsible = t.ctx.settings.outside_responsible;
  if (responsible.empty()) {
    say(t, "location.outside", {}, {}, true);
  } else {
    say(t, "location.outside_named", {{"responsible", responsible}}, {}, true);
  }
}

void clearAddressSearch(Draft& draft) {
  draft.address_unconfirmed = false;
  draft.address_tries = 0;
  draft.address_choices.clear();
  draft.address_typed.clear();
  draft.editing_location = false;
}

//! A pin: the point, shown as its nearest known address ("bei Marienplatz 1, ca. 20 m").
void setPoint(Turn& t) {
  Draft& draft = t.next.draft;
  draft.location = t.event.location;
  draft.address_text.clear();
  // Within a few metres the pin is at the address itself; farther, "bei …, ca. N m".
  constexpr double kAtAddressM = 10;
  if (!t.event.near.label.empty() && t.event.near_m < kAtAddressM) {
    draft.address_text = t.event.near.label;
  } else if (!t.event.near.label.empty()) {
    draft.address_text = render(t, "location.near",
                                {{"address", t.event.near.label},
                                 {"distance", std::to_string(std::lround(t.event.near_m))}});
  }
  clearAddressSearch(draft);
  route(t);
}

//! A typed address the gazetteer found: its point and its normalized label.
void setPlace(Turn& t, const GeoCandidate& place) {
  Draft& draft = t.next.draft;
  draft.location = place.at;
  draft.address_text = place.label;
  clearAddressSearch(draft);
  route(t);
}

void askNearby(Turn& t) {
  t.effects.emplace_back(LookupNearby{t.next.draft.category_id, *t.next.draft.location,
                                      t.ctx.settings.duplicate_radius_m});
}

void lookupNearby(Turn& t) {
  setPoint(t);
  t.effects.emplace_back(LookupNearby{t.next.draft.category_id, *t.next.draft.location,
                                      t.ctx.settings.duplicate_radius_m});
}

//! Typed text kept as it is: no gazetteer (unconfirmed = false), or not found twice (true).
void setAddress(Turn& t, bool unconfirmed) {
  Draft& draft = t.next.draft;
  draft.address_text = draft.address_typed.empty() ? eventText(t) : draft.address_typed;
  draft.location.reset();
  clearAddressSearch(draft);
  draft.address_unconfirmed = unconfirmed;
  route(t);
}

void sendGeocode(Turn& t) {
  t.next.draft.address_typed = eventText(t);
  t.effects.emplace_back(Geocode{t.next.draft.address_typed});
}

void geocodeTyped(Turn& t) {
  t.next.draft.editing_location = false;
  sendGeocode(t);
}

void editGeocode(Turn& t) {
  t.next.draft.editing_location = true;
  sendGeocode(t);
}

void refuseElsewhere(Turn& t) {
  t.next.draft.address_typed.clear();
  t.next.draft.address_choices.clear();
  refuseOutside(t);
}

void placeThenNearby(Turn& t) {
  setPlace(t, insidePlaces(t).front());
  askNearby(t);
}

void placeThenSummary(Turn& t) {
  setPlace(t, insidePlaces(t).front());
  showSummary(t);
}

void offerPlaces(Turn& t) {
  Draft& draft = t.next.draft;
  draft.address_choices = insidePlaces(t);
  if (draft.address_choices.size() > 3) {
    draft.address_choices.resize(3);
  }
  draft.address_typed.clear();
  std::vector<Choice> choices;
  for (std::size_t i = 0; i < draft.address_choices.size(); ++i) {
    choices.push_back(Choice{choice::kAddressPrefix + std::to_string(i + 1),
                             draft.address_choices[i].label});
  }
  choices.push_back(choiceOf(t, choice::kAddressNone));
  say(t, "location.ambiguous", {}, withCancel(t, std::move(choices)));
}

void askAddressAgain(Turn& t) {
  ++t.next.draft.address_tries;
  t.next.draft.address_typed.clear();
  t.next.draft.address_choices.clear();
  say(t, "location.not_found", {}, {}, true);
}

void retypeAddress(Turn& t) {
  t.next.draft.address_choices.clear();
  say(t, "location.not_found", {}, {}, true);
}

void keepUnconfirmedThenPhoto(Turn& t) {
  const bool unconfirmed = t.event.geocode != GeocodeOutcome::Unavailable;
  setAddress(t, unconfirmed);
  if (unconfirmed) {
    say(t, "location.unconfirmed");
  }
  askPhoto(t);
}

void keepUnconfirmedThenSummary(Turn& t) {
  setAddress(t, t.event.geocode != GeocodeOutcome::Unavailable);
  showSummary(t);
}

void pickThenNearby(Turn& t) {
  const GeoCandidate place = t.next.draft.address_choices[static_cast<std::size_t>(t.number - 1)];
  setPlace(t, place);
  askNearby(t);
}

void pickThenSummary(Turn& t) {
  const GeoCandidate place = t.next.draft.address_choices[static_cast<std::size_t>(t.number - 1)];
  setPlace(t, place);
  showSummary(t);
}

void sayAddressTooLong(Turn& t) {
  say(t, "location.too_long", {{"max", std::to_string(kMaxAddressChars)}}, {}, true);
}


void offerDuplicates(Turn& t) {
  std::vector<NearbyTicket> nearby = t.event.nearby;
  std::stable_sort(nearby.begin(), nearby.end(), [](const auto& a, const auto& b) {
    return a.distance_m < b.distance_m;
  });
  if (nearby.size() > kMaxDuplicateChoices) {
    nearby.resize(kMaxDuplicateChoices);
  }
  std::vector<Choice> choices;
  for (const NearbyTicket& ticket : nearby) {
    const Category* category = findCategory(t.ctx, ticket.category_id);
    const std::string label = render(
        t, "duplicate.item",
        {{"number", std::to_string(ticket.number)},
         {"category", category != nullptr ? categoryLabel(*category, t.next.lang)
                                          : ticket.category_id},
         {"distance", std::to_string(std::lround(ticket.distance_m))},
         {"status", ticket.status_label}});
    choices.push_back(Choice{choice::kDuplicatePrefix + std::to_string(ticket.number), label});
  }
  choices.push_back(choiceOf(t, choice::kNewReport));
  say(t, "duplicate.prompt", {}, withCancel(t, std::move(choices)));
}

void followDuplicate(Turn& t) {
  t.effects.emplace_back(FollowTicket{t.number});
  t.next.draft = Draft{};
}

void addPhoto(Turn& t) {
  auto& ids = t.next.draft.photo_ids;
  ids.push_back(t.event.media_id);
  takeCaption(t);
  const bool full = static_cast<int>(ids.size()) >= t.ctx.settings.max_photos;
  say(t, full ? "photo.added_full" : "photo.added",
      {{"count", std::to_string(ids.size())}, {"max", std::to_string(t.ctx.settings.max_photos)}},
      choicesFor(t, t.state));
}

void restartPhotos(Turn& t) {
  t.next.draft.photo_ids.clear();
  askPhoto(t);
}

void sayTextTooLong(Turn& t) {
  say(t, "description.too_long",
      {{"max", std::to_string(t.ctx.settings.max_description_chars)},
       {"length", std::to_string(codePoints(eventText(t)))}},
      {choiceOf(t, choice::kSkip)});
}

void saveAnswer(Turn& t) {
  t.next.draft.extra_answer = eventText(t);
  askDescription(t);
}

void saveDescription(Turn& t) {
  t.next.draft.description = eventText(t);
  showSummary(t);
}

void createTicket(Turn& t) {
  t.effects.emplace_back(CreateTicket{t.next.draft});
  t.next.draft = Draft{};
}

void askChange(Turn& t) {
  say(t, "change.prompt", {}, choicesFor(t, State::ReportChange));
}

void recategorizeAsk(Turn& t) {
  setCategory(t);
  askQuestion(t);
}

void changeCategory(Turn& t) {
  setCategory(t);
  showSummary(t);
}

void changeAnswer(Turn& t) {
  t.next.draft.extra_answer = eventText(t);
  showSummary(t);
}

void changePoint(Turn& t) {
  setPoint(t);
  showSummary(t);
}


// clang-format off
constexpr Transition kDefectReport[] = {
  // from                  on             guard             action             to
  // "zurück": one step back; what was entered there is kept until it is answered again. These
  // rows come first: an On::Text row below takes any text, "zurück" included.
  {S::ReportCategory,    On::Back,      nullptr,          discardDraft,      S::Menu},
  {S::ReportLocation,    On::Back,      nullptr,          askCategory,       S::ReportCategory},
  {S::ReportDuplicate,   On::Back,      nullptr,          askLocation,       S::ReportLocation},
  {S::ReportPhoto,       On::Back,      nullptr,          askLocation,       S::ReportLocation},
  {S::ReportQuestion,    On::Back,      nullptr,          askPhoto,          S::ReportPhoto},
  {S::ReportDescription, On::Back,      draftHasQuestion, askQuestion,       S::ReportQuestion},
  {S::ReportDescription, On::Back,      nullptr,          askPhoto,          S::ReportPhoto},
  {S::ReportSummary,     On::Back,      nullptr,          askDescription,    S::ReportDescription},
  {S::ReportCategory,    On::Category,  nullptr,          chooseCategory,    S::ReportLocation},
  {S::ReportLocation,    On::Location,  isOutside,        refuseOutside,     kSame},
  {S::ReportLocation,    On::Location,  nullptr,          lookupNearby,      S::ReportNearby},
  {S::ReportLocation,    On::Text,      addressTooLong,   sayAddressTooLong, kSame},
  {S::ReportLocation,    On::Text,      isPlainText,      geocodeTyped,      S::ReportGeocode},
  // The gazetteer's answer to a typed address (editing: back to the summary afterwards).
  {S::ReportGeocode,     On::Geocoded,  elsewhereEditing, refuseElsewhere,   S::EditLocation},
  {S::ReportGeocode,     On::Geocoded,  isElsewhere,      refuseElsewhere,   S::ReportLocation},
  {S::ReportGeocode,     On::Geocoded,  oneInsideEditing, placeThenSummary,  S::ReportSummary},
  {S::ReportGeocode,     On::Geocoded,  isOneInside,      placeThenNearby,   S::ReportNearby},
  {S::ReportGeocode,     On::Geocoded,  isSeveralInside,  offerPlaces,       S::ReportAddressChoice},
  {S::ReportGeocode,     On::Geocoded,  mayRetryEditing,  askAddressAgain,   S::EditLocation},
  {S::ReportGeocode,     On::Geocoded,  mayRetry,         askAddressAgain,   S::ReportLocation},
  {S::ReportGeocode,     On::Geocoded,  isEditing,        keepUnconfirmedThenSummary, S::ReportSummary},
  {S::ReportGeocode,     On::Geocoded,  nullptr,          keepUnconfirmedThenPhoto,   S::ReportPhoto},
  {S::ReportAddressChoice, On::AddressPick, pickEditing,  pickThenSummary,   S::ReportSummary},
  {S::ReportAddressChoice, On::AddressPick, isPick,       pickThenNearby,    S::ReportNearby},
  {S::ReportAddressChoice, On::No,      isEditing,        retypeAddress,     S::EditLocation},
  {S::ReportAddressChoice, On::No,      nullptr,          retypeAddress,     S::ReportLocation},
  {S::ReportAddressChoice, On::Back,    isEditing,        retypeAddress,     S::EditLocation},
  {S::ReportAddressChoice, On::Back,    nullptr,          retypeAddress,     S::ReportLocation},
  {S::ReportAddressChoice, On::Location, isOutside,       refuseOutside,     kSame},
  {S::ReportAddressChoice, On::Location, isEditing,       changePoint,       S::ReportSummary},
  {S::ReportAddressChoice, On::Location, nullptr,         lookupNearby,      S::ReportNearby},
  {S::ReportAddressChoice, On::Text,    addressTooLong,   sayAddressTooLong, kSame},
  {S::ReportAddressChoice, On::Text,    isPlainText,      sendGeocode,       S::ReportGeocode},
  {S::ReportNearby,      On::Nearby,    noneNearby,       askPhoto,          S::ReportPhoto},
  {S::ReportNearby,      On::Nearby,    nullptr,          offerDuplicates,   S::ReportDuplicate},
  {S::ReportDuplicate,   On::Duplicate, nullptr,          followDuplicate,   S::Menu},
  {S::ReportDuplicate,   On::No,        nullptr,          askPhoto,          S::ReportPhoto},
  {S::ReportPhoto,       On::Image,     hasPhotoRoom,     addPhoto,          kSame},
  {S::ReportPhoto,       On::Image,     nullptr,          sayPhotoLimit,     kSame},
  {S::ReportPhoto,       On::Next,      draftHasQuestion, askQuestion,       S::ReportQuestion},
  {S::ReportPhoto,       On::Next,      nullptr,          askDescription,    S::ReportDescription},
  {S::ReportPhoto,       On::No,        draftHasQuestion, askQuestion,       S::ReportQuestion},
  {S::ReportPhoto,       On::No,        nullptr,          askDescription,    S::ReportDescription},
  {S::ReportQuestion,    On::Next,      nullptr,          askDescription,    S::ReportDescription},
  {S::ReportQuestion,    On::Text,      textTooLong,      sayTextTooLong,    kSame},
  {S::ReportQuestion,    On::Text,      nullptr,          saveAnswer,        S::ReportDescription},
  {S::ReportDescription, On::Next,      nullptr,          showSummary,       S::ReportSummary},
  {S::ReportDescription, On::No,        nullptr,          showSummary,       S::ReportSummary},
  {S::ReportDescription, On::Text,      textTooLong,      sayTextTooLong,    kSame},
  {S::ReportDescription, On::Text,      nullptr,          saveDescription,   S::ReportSummary},
  {S::ReportSummary,     On::Yes,       nullptr,          createTicket,      S::Menu},
  {S::ReportSummary,     On::Change,    nullptr,          askChange,         S::ReportChange},
};

// After "change" in the summary: each edit returns to the summary.
constexpr Transition kReportEdit[] = {
  // from                on                guard              action             to
  {S::EditCategory,    On::Back,         nullptr,           showSummary,       S::ReportSummary},
  {S::EditQuestion,    On::Back,         nullptr,           showSummary,       S::ReportSummary},
  {S::EditLocation,    On::Back,         nullptr,           showSummary,       S::ReportSummary},
  {S::EditPhotos,      On::Back,         nullptr,           showSummary,       S::ReportSummary},
  {S::EditDescription, On::Back,         nullptr,           showSummary,       S::ReportSummary},
  {S::ReportChange,    On::EditCategory, nullptr,           askCategory,       S::EditCategory},
  {S::ReportChange,    On::EditLocation, nullptr,           askLocation,       S::EditLocation},
  {S::ReportChange,    On::EditPhotos,   nullptr,           restartPhotos,     S::EditPhotos},
  {S::ReportChange,    On::EditText,     nullptr,           askDescription,    S::EditDescription},
  {S::ReportChange,    On::Back,         nullptr,           showSummary,       S::ReportSummary},
  {S::EditCategory,    On::Category,     chosenHasQuestion, recategorizeAsk,   S::EditQuestion},
  {S::EditCategory,    On::Category,     nullptr,           changeCategory,    S::ReportSummary},
  {S::EditQuestion,    On::Next,         nullptr,           showSummary,       S::ReportSummary},
  {S::EditQuestion,    On::Text,         textTooLong,       sayTextTooLong,    kSame},
  {S::EditQuestion,    On::Text,         nullptr,           changeAnswer,      S::ReportSummary},
  {S::EditLocation,    On::Location,     isOutside,         refuseOutside,     kSame},
  {S::EditLocation,    On::Location,     nullptr,           changePoint,       S::ReportSummary},
  {S::EditLocation,    On::Text,         addressTooLong,    sayAddressTooLong, kSame},
  {S::EditLocation,    On::Text,         isPlainText,       editGeocode,       S::ReportGeocode},
  {S::EditPhotos,      On::Image,        hasPhotoRoom,      addPhoto,          kSame},
  {S::EditPhotos,      On::Image,        nullptr,           sayPhotoLimit,     kSame},
  {S::EditPhotos,      On::Next,         nullptr,           showSummary,       S::ReportSummary},
  {S::EditDescription, On::Next,         nullptr,           showSummary,       S::ReportSummary},
  {S::EditDescription, On::Text,         textTooLong,       sayTextTooLong,    kSame},
  {S::EditDescription, On::Text,         nullptr,           saveDescription,   S::ReportSummary},
};
// clang-format on

}  // namespace

void startReport(Turn& t) {
  t.next.draft = Draft{};
  askCategory(t);
}

void startReportWithCategory(Turn& t) {
  t.next.draft = Draft{};
  chooseCategory(t);
}

void takeCaption(Turn& t) {
  const std::string caption = trim(t.event.text);
  if (caption.empty()) {
    return;
  }
  std::string& description = t.next.draft.description;
  const std::string joined = description.empty() ? caption : description + "\n" + caption;
  // A caption that would make the description too long is left out rather than cut mid-word;
  // the citizen can still type the description at its step.
  if (codePoints(joined) <= t.ctx.settings.max_description_chars) {
    description = joined;
  }
}

bool hasPhotoRoom(const Turn& t) {
  return static_cast<int>(t.next.draft.photo_ids.size()) < t.ctx.settings.max_photos;
}

void sayPhotoLimit(Turn& t) {
  say(t, "photo.limit", {{"max", std::to_string(t.ctx.settings.max_photos)}},
      choicesFor(t, t.state));
}

std::span<const Transition> defectReportTable() {
  return kDefectReport;
}

std::span<const Transition> reportEditTable() {
  return kReportEdit;
}

}  // namespace bb::flows::detail
