// Whole conversations, step by step, the way the engine drives them.

#include "tests/flows/flow_test_support.hpp"

namespace bb::flows::testing {

namespace {

//! Threads one conversation through steps; the clock moves a little with every message.
struct Chat {
  Fixture f;
  Conversation conversation;
  StepResult last;

  StepResult send(const Event& event, std::chrono::seconds later = 20s) {
    f.ctx.now += later;
    last = f.run(conversation, event);
    conversation = last.next;
    return last;
  }
  std::string state() const { return conversation.state; }
  std::vector<std::string> keys() const { return replyKeys(last); }
};

//! A chat that has already accepted the privacy notice.
Chat consented() {
  Chat chat;
  chat.send(text("Hallo"));
  chat.send(choice("accept"));
  REQUIRE(chat.state() == "menu");
  return chat;
}

}  // namespace

TEST_CASE("flows scenario: full report with location, photo, answer and description") {
  Chat chat;
  chat.send(text("Hallo, da ist ein Loch in der Straße"));
  CHECK(chat.keys() == std::vector<std::string>{"privacy.notice"});
  chat.send(choice("accept"));
  CHECK(chat.conversation.consent_version == 2);
  chat.send(choice("report"));
  CHECK(chat.state() == "report_category");
  chat.send(choice("cat:schlagloch"));
  CHECK(chat.keys() == std::vector<std::string>{"category.notice", "location.prompt"});
  chat.send(location(kInNorth));
  CHECK(chat.state() == "report_nearby");
  const auto* lookup = findEffect<LookupNearby>(chat.last);
  REQUIRE(lookup != nullptr);
  chat.send(nearby({}), 0s);
  CHECK(chat.state() == "report_photo");
  chat.send(image("media-1"));
  chat.send(choice("done"));
  CHECK(chat.state() == "report_question");
  chat.send(text("so groß wie ein Teller"));
  CHECK(chat.state() == "report_description");
  chat.send(text("Direkt vor der Bushaltestelle"));
  CHECK(chat.state() == "report_summary");
  const Reply summary = onlyReply(chat.last);
  CHECK(summary.text.find("Fotos: 1") != std::string::npos);
  CHECK(summary.text.find("Angabe: so groß wie ein Teller") != std::string::npos);
  chat.send(choice("confirm"));
  CHECK(chat.state() == "menu");
  const auto* create = findEffect<CreateTicket>(chat.last);
  REQUIRE(create != nullptr);
  CHECK(create->draft.category_id == "schlagloch");
  REQUIRE(create->draft.location.has_value());
  CHECK(create->draft.location->lat == doctest::Approx(kInNorth.lat));
  CHECK(create->draft.district_id == "nord");
  CHECK(create->draft.department == "bauhof_nord");
  CHECK(create->draft.photo_ids == std::vector<std::string>{"media-1"});
  CHECK(create->draft.extra_answer == "so groß wie ein Teller");
  CHECK(create->draft.description == "Direkt vor der Bushaltestelle");
  CHECK(chat.conversation.draft.category_id.empty());
}

TEST_CASE("flows scenario: skip the photo, typed address, Matrix-style text answers") {
  Chat chat = consented();
  chat.send(text("Mangel melden"));
  chat.send(text("Graffiti"));
  CHECK(chat.state() == "report_location");
  chat.send(text("Rathausplatz 1"));
  CHECK(chat.state() == "report_geocode");
  chat.send(geocoded(GeocodeOutcome::Unavailable), 0s);  // no gazetteer: kept as typed
  CHECK(chat.state() == "report_photo");
  chat.send(text("überspringen"));
  CHECK(chat.state() == "report_description");
  chat.send(text("skip"));
  CHECK(chat.state() == "report_summary");
  CHECK(onlyReply(chat.last).text.find("Ort: Rathausplatz 1") != std::string::npos);
  chat.send(text("Absenden"));
  const auto* create = findEffect<CreateTicket>(chat.last);
  REQUIRE(create != nullptr);
  CHECK(create->draft.photo_ids.empty());
  CHECK(create->draft.address_text == "Rathausplatz 1");
  CHECK_FALSE(create->draft.location.has_value());
  CHECK(create->draft.department == "bauhof");
  CHECK(create->draft.description.empty());
}

TEST_CASE("flows scenario: cancel midway discards everything") {
  Chat chat = consented();
  chat.send(choice("report"));
  chat.send(choice("cat:graffiti"));
  chat.send(location(kInSouth));
  chat.send(nearby({}), 0s);
  chat.send(image("m1"));
  chat.send(text("Abbrechen"));
  CHECK(chat.state() == "menu");
  CHECK(chat.keys() == std::vector<std::string>{"cancel.done"});
  CHECK(chat.conversation.draft.photo_ids.empty());
  CHECK(chat.conversation.draft.category_id.empty());
  CHECK(findEffect<CreateTicket>(chat.last) == nullptr);
  chat.send(choice("report"));
  CHECK(chat.state() == "report_category");
}

TEST_CASE("flows scenario: an abandoned draft expires with the fake clock") {
  Chat chat = consented();
  chat.send(choice("report"));
  chat.send(choice("cat:graffiti"));
  chat.send(text("Am Bahnhof"));
  chat.send(geocoded(GeocodeOutcome::Unavailable), 0s);
  CHECK(chat.state() == "report_photo");
  chat.send(image("m1"), 31min);
  CHECK(chat.state() == "menu");
  CHECK(chat.keys() == std::vector<std::string>{"draft.expired"});
  CHECK(chat.conversation.draft.address_text.empty());
  CHECK(chat.conversation.draft.photo_ids.empty());
  chat.send(image("m2"), 31min);  // the menu does not expire again
  CHECK(chat.keys() == std::vector<std::string>{"help.menu"});
}

TEST_CASE("flows scenario: outside the city limits, then a point inside") {
  Chat chat = consented();
  chat.send(choice("report"));
  chat.send(choice("cat:baeume"));
  chat.send(location(kOutside));
  CHECK(chat.state() == "report_location");
  CHECK(chat.keys() == std::vector<std::string>{"location.outside"});
  chat.send(location(kInSouth));
  CHECK(chat.state() == "report_nearby");
  CHECK(chat.conversation.draft.district_id == "sued");
  CHECK(chat.conversation.draft.department == "stadtgruen");
}

TEST_CASE("flows scenario: a duplicate is offered and joined") {
  Chat chat = consented();
  chat.send(choice("report"));
  chat.send(choice("cat:schlagloch"));
  chat.send(location(kInNorth));
  chat.send(nearby({NearbyTicket{2417, "schlagloch", 18, "in Bearbeitung"}}), 0s);
  CHECK(chat.state() == "report_duplicate");
  const Reply offer = onlyReply(chat.last);
  CHECK(offer.text.rfind("Ist es eine dieser Meldungen?", 0) == 0);
  CHECK(choiceIds(offer) == std::vector<std::string>{"dup:2417", "dup:none", "cancel"});
  chat.send(choice("dup:2417"));
  CHECK(chat.state() == "menu");
  const auto* follow = findEffect<FollowTicket>(chat.last);
  REQUIRE(follow != nullptr);
  CHECK(follow->number == 2417);
  CHECK(findEffect<CreateTicket>(chat.last) == nullptr);
  CHECK(chat.conversation.draft.category_id.empty());
}

TEST_CASE("flows scenario: language switch in the middle of a report") {
  Chat chat = consented();
  chat.send(choice("report"));
  chat.send(text("language"));
  CHECK(chat.state() == "report_category");
  chat.send(choice("lang:en"));
  CHECK(std::string(toString(chat.conversation.lang)) == "en");
  const Reply switched = onlyReply(chat.last);
  CHECK(switched.text == "All right, I will write in English from now on.");
  REQUIRE(switched.choices.size() == 4);  // three categories and "Cancel"
  CHECK(switched.choices[0].label == "Pothole/road damage");
  CHECK(switched.choices[3].label == "Cancel");
  chat.send(text("pothole"));
  CHECK(chat.state() == "report_location");
  CHECK(replies(chat.last)[0]->text.find("In danger: 112.") != std::string::npos);
  CHECK(replies(chat.last)[1]->text.rfind("Where is it?", 0) == 0);
  chat.send(text("sprache"));
  chat.send(text("Deutsch"));
  CHECK(std::string(toString(chat.conversation.lang)) == "de");
  CHECK(chat.state() == "report_location");
}

TEST_CASE("flows scenario: status of an own and of someone else's ticket") {
  Chat chat = consented();
  // The flow only asks; the engine answers with the public status (and never the content of
  // someone else's ticket), so both look the same here.
  chat.send(text("status 12"));
  CHECK(findEffect<QueryStatus>(chat.last)->number == 12);
  chat.send(text("Status #9876"));
  CHECK(findEffect<QueryStatus>(chat.last)->number == 9876);
  chat.send(text("status"));
  CHECK(findEffect<ListMyTickets>(chat.last) != nullptr);
  CHECK(chat.state() == "menu");
}

TEST_CASE("flows scenario: change the location from the summary and submit") {
  Chat chat = consented();
  chat.send(choice("report"));
  chat.send(choice("cat:graffiti"));
  chat.send(text("Hauptstraße 1"));
  chat.send(geocoded(GeocodeOutcome::Unavailable), 0s);
  chat.send(choice("skip"));
  chat.send(text("An der Wand der Schule"));
  CHECK(chat.state() == "report_summary");
  chat.send(choice("change"));
  chat.send(choice("change:location"));
  CHECK(chat.state() == "edit_location");
  chat.send(location(kInNorth));
  CHECK(chat.state() == "report_summary");
  chat.send(choice("confirm"));
  const auto* create = findEffect<CreateTicket>(chat.last);
  REQUIRE(create != nullptr);
  CHECK(create->draft.address_text.empty());
  CHECK(create->draft.location.has_value());
  CHECK(create->draft.district_id == "nord");
  CHECK(create->draft.description == "An der Wand der Schule");
}

TEST_CASE("flows scenario: a letter to the city") {
  Chat chat = consented();
  chat.send(choice("letter"));
  chat.send(text("Bitte mehr Fahrradständer am Bahnhof."));
  CHECK(chat.state() == "letter_confirm");
  chat.send(choice("send"));
  const auto* send = findEffect<SendLetter>(chat.last);
  REQUIRE(send != nullptr);
  CHECK(send->text == "Bitte mehr Fahrradständer am Bahnhof.");
  CHECK(send->department == "buergerservice");
  CHECK(chat.state() == "menu");
}

TEST_CASE("flows scenario: declining and writing again starts over") {
  Chat chat;
  chat.send(text("Hallo"));
  chat.send(choice("decline"));
  CHECK(findEffect<ForgetCitizen>(chat.last) != nullptr);
  CHECK(chat.state() == "new");
  chat.send(text("Doch noch mal"));
  CHECK(chat.keys() == std::vector<std::string>{"privacy.notice"});
  CHECK(chat.state() == "consent");
}

TEST_CASE("flows scenario: the same inputs give the same outputs") {
  Fixture f;
  const Conversation c = at(State::ReportDescription, potholeDraft());
  const auto a = f.run(c, text("Tiefes Loch"));
  const auto b = f.run(c, text("Tiefes Loch"));
  CHECK(a.next.state == b.next.state);
  CHECK(a.next.draft.description == b.next.draft.description);
  CHECK(onlyReply(a).text == onlyReply(b).text);
}

}  // namespace bb::flows::testing
