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

void askCategory(Turn& t) {
  say(t, "category.prompt", {}, categoryChoices(t));
}

void askLocation(Turn& t) {
  say(t, "location.prompt", {}, {}, true);
}

void askPhoto(Turn& t) {
  say(t, "photo.prompt", {{"max", std::to_string(t.ctx.settings.max_photos)}}, photoChoices(t));
}

void askQuestion(Turn& t) {
  const Category* category = draftCategory(t);
  const std::string question =
      category != nullptr ? localized(category->question, t.next.lang) : std::string();
  say(t, "question.prompt", {{"question", question}}, {choiceOf(t, choice::kSkip)});
}

void askDescription(Turn& t) {
  say(t, "description.prompt", {{"max", std::to_string(t.ctx.settings.max_description_chars)}},
      {choiceOf(t, choice::kSkip)});
}

void showSummary(Turn& t) {
  const Draft& draft = t.next.draft;
  const Category* category = draftCategory(t);
  std::string where = render(t, "summary.none");
  if (draft.location) {
    where = render(t, "summary.point",
                   {{"lat", fixed5(draft.location->lat)}, {"lon", fixed5(draft.location->lon)}});
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

void setPoint(Turn& t) {
  t.next.draft.location = t.event.location;
  t.next.draft.address_text.clear();
  route(t);
}

void lookupNearby(Turn& t) {
  setPoint(t);
  t.effects.emplace_back(LookupNearby{t.next.draft.category_id, *t.next.draft.location,
                                      t.ctx.settings.duplicate_radius_m});
}

void setAddress(Turn& t) {
  t.next.draft.address_text = eventText(t);
  t.next.draft.location.reset();
  route(t);
}

void sayAddressTooLong(Turn& t) {
  say(t, "location.too_long", {{"max", std::to_string(kMaxAddressChars)}}, {}, true);
}

void addressThenPhoto(Turn& t) {
  setAddress(t);
  askPhoto(t);
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
  say(t, "duplicate.prompt", {}, std::move(choices));
}

void followDuplicate(Turn& t) {
  t.effects.emplace_back(FollowTicket{t.number});
  t.next.draft = Draft{};
}

void addPhoto(Turn& t) {
  auto& ids = t.next.draft.photo_ids;
  ids.push_back(t.event.media_id);
  const bool full = static_cast<int>(ids.size()) >= t.ctx.settings.max_photos;
  say(t, full ? "photo.added_full" : "photo.added",
      {{"count", std::to_string(ids.size())}, {"max", std::to_string(t.ctx.settings.max_photos)}},
      photoChoices(t));
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

void changeAddress(Turn& t) {
  setAddress(t);
  showSummary(t);
}

// clang-format off
constexpr Transition kDefectReport[] = {
  // from                  on             guard             action             to
  {S::ReportCategory,    On::Category,  nullptr,          chooseCategory,    S::ReportLocation},
  {S::ReportLocation,    On::Location,  isOutside,        refuseOutside,     kSame},
  {S::ReportLocation,    On::Location,  nullptr,          lookupNearby,      S::ReportNearby},
  {S::ReportLocation,    On::Text,      addressTooLong,   sayAddressTooLong, kSame},
  {S::ReportLocation,    On::Text,      isPlainText,      addressThenPhoto,  S::ReportPhoto},
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
  {S::EditLocation,    On::Text,         isPlainText,       changeAddress,     S::ReportSummary},
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
