// One test per row of the consent, expiry, global, menu and any-state tables.

#include "tests/flows/flow_test_support.hpp"

namespace bb::flows::testing {

namespace {

Conversation fresh(Lang lang = Lang::De) {
  Conversation c;
  c.lang = lang;
  return c;
}

Conversation consentShown(Lang lang = Lang::De) {
  Conversation c = fresh(lang);
  c.state = "consent";
  c.last_activity = t0() - 1min;
  return c;
}

const std::vector<std::string> kMenuIds{"report",        "letter", "participation", "my_tickets",
                                        "subscriptions", "help",   "language"};

}  // namespace

// ---- consent ----

TEST_CASE("flows: first contact shows the privacy notice whatever arrives") {
  Fixture f;
  Event event;
  SUBCASE("text") {
    event = text("Schlagloch in der Hauptstraße");
  }
  SUBCASE("location") {
    event = location(kInNorth);
  }
  SUBCASE("image") {
    event = image("m1");
  }
  SUBCASE("a global command") {
    event = text("status 12");
  }
  const auto r = f.run(fresh(), event);
  CHECK(r.next.state == "consent");
  CHECK(r.next.consent_version == 0);
  REQUIRE(r.effects.size() == 1);
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "privacy.notice");
  CHECK(reply.text.find("https://example.org/datenschutz") != std::string::npos);
  CHECK(choiceIds(reply) == std::vector<std::string>{"accept", "decline"});
  CHECK(reply.choices[0].label == "Einverstanden");
  CHECK(r.next.draft.category_id.empty());
}

TEST_CASE("flows: a conversation without consent is treated as new even in another state") {
  Fixture f;
  Conversation c = fresh();
  c.state = "report_photo";
  const auto r = f.run(c, image("m1"));
  CHECK(r.next.state == "consent");
  CHECK(onlyReply(r).key == "privacy.notice");
  CHECK(r.next.draft.photo_ids.empty());
}

TEST_CASE("flows: consent accepted records the notice version and shows the menu") {
  Fixture f;
  Event event;
  SUBCASE("choice id") {
    event = choice("accept");
  }
  SUBCASE("typed ja") {
    event = text(" Ja ");
  }
  SUBCASE("typed label") {
    event = text("einverstanden");
  }
  const auto r = f.run(consentShown(), event);
  CHECK(r.next.state == "menu");
  CHECK(r.next.consent_version == 2);
  const auto* consent = findEffect<RecordConsent>(r);
  REQUIRE(consent != nullptr);
  CHECK(consent->version == 2);
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "privacy.accepted");
  CHECK(choiceIds(reply) == kMenuIds);
}

TEST_CASE("flows: answers as people type them accept or decline the notice") {
  for (const char* yes : {"Ja bitte", "OK!", "passt", "👍", "klar", "gerne", "yes please"}) {
    Fixture f;
    CAPTURE(yes);
    const auto r = f.run(consentShown(), text(yes));
    CHECK(r.next.state == "menu");
    CHECK(r.next.consent_version == 2);
    CHECK(findEffect<RecordConsent>(r) != nullptr);
  }
  for (const char* no : {"nein danke", "👎", "no thanks", "Nö"}) {
    Fixture f;
    CAPTURE(no);
    const auto r = f.run(consentShown(), text(no));
    CHECK(r.next.state == "new");
    CHECK(findEffect<ForgetCitizen>(r) != nullptr);
  }
}

TEST_CASE("flows: a raised notice version shows the new notice before anything else") {
  Fixture f;  // the configured version is 2
  Conversation c = at(State::ReportPhoto, potholeDraft());
  c.consent_version = 1;
  // Whatever arrives, even inside a running report: the new notice, nothing else.
  for (const Event& e : {text("Schlagloch in der Hauptstraße"), image("m1"), text("status 12"),
                         location(kInNorth)}) {
    const auto r = f.run(c, e);
    CHECK(r.next.state == "consent");
    CHECK(r.next.consent_version == 1);
    CHECK(replyKeys(r) == std::vector<std::string>{"privacy.notice_updated"});
    CHECK(onlyReply(r).text.find("https://example.org/datenschutz") != std::string::npos);
    CHECK(choiceIds(onlyReply(r)) == std::vector<std::string>{"accept", "decline"});
    CHECK(r.next.draft.photo_ids.empty());
  }
  const auto shown = f.run(c, text("hallo")).next;

  // Accepting records the new version and opens the menu.
  const auto yes = f.run(shown, text("ja bitte"));
  CHECK(yes.next.state == "menu");
  CHECK(yes.next.consent_version == 2);
  REQUIRE(findEffect<RecordConsent>(yes) != nullptr);
  CHECK(findEffect<RecordConsent>(yes)->version == 2);
  CHECK(replyKeys(yes) == std::vector<std::string>{"privacy.accepted"});

  // Declining keeps the citizen (their tickets stay) and processes nothing new.
  const auto no = f.run(shown, text("nein"));
  CHECK(no.next.state == "consent");
  CHECK(no.next.consent_version == 1);
  CHECK(findEffect<ForgetCitizen>(no) == nullptr);
  CHECK(replyKeys(no) == std::vector<std::string>{"privacy.update_declined"});
  const auto later = f.run(no.next, text("Schlagloch"));
  CHECK(replyKeys(later) == std::vector<std::string>{"privacy.notice_updated"});

  // The data rights need no new consent.
  const auto exported = f.run(no.next, text("meine daten"));
  CHECK(findEffect<ExportData>(exported) != nullptr);
  const auto ask = f.run(no.next, text("daten löschen"));
  CHECK(ask.next.state == "erase_confirm");
  const auto erased = f.run(ask.next, choice("confirm"));
  CHECK(findEffect<EraseData>(erased) != nullptr);

  // The current version: no notice.
  Conversation current = at(State::Menu);
  current.consent_version = 2;
  CHECK(replyKeys(f.run(current, text("hilfe"))) != std::vector<std::string>{"privacy.notice_updated"});
}

TEST_CASE("flows: consent declined forgets the citizen") {
  Fixture f;
  Event event;
  SUBCASE("choice id") {
    event = choice("decline");
  }
  SUBCASE("typed nein") {
    event = text("Nein");
  }
  SUBCASE("abbrechen declines") {
    event = text("abbrechen");
  }
  SUBCASE("stop declines") {
    event = text("STOP");
  }
  Conversation c = consentShown(Lang::En);
  const auto r = f.run(c, event);
  CHECK(r.next.state == "new");
  CHECK(r.next.consent_version == 0);
  CHECK(findEffect<ForgetCitizen>(r) != nullptr);
  CHECK(findEffect<RecordConsent>(r) == nullptr);
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "privacy.declined");
  CHECK(reply.text.rfind("No problem", 0) == 0);  // still in the citizen's language
  CHECK(reply.choices.empty());
}

TEST_CASE("flows: language can be chosen before consenting") {
  Fixture f;
  SUBCASE("sprache offers both languages") {
    const auto r = f.run(consentShown(), text("Sprache"));
    CHECK(r.next.state == "consent");
    const Reply reply = onlyReply(r);
    CHECK(reply.key == "language.prompt");
    CHECK(choiceIds(reply) == std::vector<std::string>{"lang:de", "lang:en"});
  }
  SUBCASE("english shows the notice in English") {
    const auto r = f.run(consentShown(), choice("lang:en"));
    CHECK(r.next.state == "consent");
    CHECK(std::string(toString(r.next.lang)) == "en");
    const Reply reply = onlyReply(r);
    CHECK(reply.key == "privacy.notice");
    CHECK(reply.text.rfind("Welcome", 0) == 0);
    CHECK(reply.choices[0].label == "I agree");
  }
  SUBCASE("deutsch shows the notice in German") {
    const auto r = f.run(consentShown(Lang::En), text("Deutsch"));
    CHECK(std::string(toString(r.next.lang)) == "de");
    CHECK(onlyReply(r).text.rfind("Willkommen", 0) == 0);
  }
}

TEST_CASE("flows: anything else while the notice is open shows it again") {
  Fixture f;
  for (const Event& e : {text("hilfe"), text("status 12"), image("m1"), unsupported()}) {
    const auto r = f.run(consentShown(), e);
    CHECK(r.next.state == "consent");
    CHECK(r.effects.size() == 1);
    CHECK(onlyReply(r).key == "privacy.notice");
  }
}

// ---- idle expiry ----

TEST_CASE("flows: an idle draft expires on the next message") {
  Fixture f;
  Conversation c = at(State::ReportPhoto, potholeDraft());
  c.last_activity = t0() - 31min;
  SUBCASE("plain message: expiry notice and menu") {
    const auto r = f.run(c, image("m1"));
    CHECK(r.next.state == "menu");
    CHECK(r.next.draft.category_id.empty());
    CHECK(r.next.draft.photo_ids.empty());
    const Reply reply = onlyReply(r);
    CHECK(reply.key == "draft.expired");
    CHECK(reply.text.find("30") != std::string::npos);
    CHECK(choiceIds(reply) == kMenuIds);
  }
  SUBCASE("a global command in the same message is still honoured") {
    const auto r = f.run(c, text("status 77"));
    CHECK(r.next.state == "menu");
    CHECK(replyKeys(r) == std::vector<std::string>{"draft.expired"});
    const auto* query = findEffect<QueryStatus>(r);
    REQUIRE(query != nullptr);
    CHECK(query->number == 77);
  }
  SUBCASE("cancel after expiry does not repeat the menu") {
    const auto r = f.run(c, text("abbrechen"));
    CHECK(replyKeys(r) == std::vector<std::string>{"draft.expired"});
  }
  SUBCASE("29 minutes is not idle") {
    c.last_activity = t0() - 29min;
    const auto r = f.run(c, image("m1"));
    CHECK(r.next.state == "report_photo");
    CHECK(r.next.draft.photo_ids == std::vector<std::string>{"m1"});
  }
  SUBCASE("the menu never expires") {
    Conversation menu = at(State::Menu);
    menu.last_activity = t0() - 24h;
    const auto r = f.run(menu, choice("report"));
    CHECK(r.next.state == "report_category");
  }
  SUBCASE("engine events do not expire a draft") {
    Conversation waiting = at(State::ReportNearby, potholeDraft());
    waiting.last_activity = t0() - 31min;
    const auto r = f.run(waiting, nearby({}));
    CHECK(r.next.state == "report_photo");
  }
}

// ---- global commands ----

TEST_CASE("flows: help shows the command overview and keeps state and draft") {
  Fixture f;
  Draft d = potholeDraft();
  d.photo_ids = {"m1"};
  for (const Event& e : {text("Hilfe"), text("help"), choice("help"), text("/help")}) {
    const auto r = f.run(at(State::ReportPhoto, d), e);
    CHECK(r.next.state == "report_photo");
    CHECK(r.next.draft.photo_ids == std::vector<std::string>{"m1"});
    const Reply reply = onlyReply(r);
    CHECK(reply.key == "help.general");
    CHECK(choiceIds(reply) == std::vector<std::string>{"done", "cancel"});
  }
}

TEST_CASE("flows: cancel discards the draft and returns to the menu") {
  Fixture f;
  for (const Event& e : {text("abbrechen"), text("Cancel"), choice("cancel")}) {
    const auto r = f.run(at(State::ReportDescription, potholeDraft()), e);
    CHECK(r.next.state == "menu");
    CHECK(r.next.draft.category_id.empty());
    CHECK_FALSE(r.next.draft.location.has_value());
    const Reply reply = onlyReply(r);
    CHECK(reply.key == "cancel.done");
    CHECK(choiceIds(reply) == kMenuIds);
  }
}

TEST_CASE("flows: cancel in the menu says there is nothing to cancel") {
  Fixture f;
  const auto r = f.run(at(State::Menu), text("abbrechen"));
  CHECK(r.next.state == "menu");
  CHECK(onlyReply(r).key == "cancel.nothing");
}

TEST_CASE("flows: menu command inside a draft discards it") {
  Fixture f;
  Draft d;
  d.letter_text = "Hallo Stadt";
  const auto r = f.run(at(State::LetterConfirm, d), text("Menü"));
  CHECK(r.next.state == "menu");
  CHECK(r.next.draft.letter_text.empty());
  CHECK(onlyReply(r).key == "cancel.done");
}

TEST_CASE("flows: menu command in the menu shows the menu") {
  Fixture f;
  const auto r = f.run(at(State::Menu), text("menu"));
  CHECK(r.next.state == "menu");
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "menu.prompt");
  CHECK(choiceIds(reply) == kMenuIds);
}

TEST_CASE("flows: status N queries the public status and keeps the state") {
  Fixture f;
  for (const char* s : {"status 123", "Status #123", "  STATUS   # 123 ", "status#123"}) {
    INFO(s);
    const auto r = f.run(at(State::ReportSummary, potholeDraft()), text(s));
    CHECK(r.next.state == "report_summary");
    CHECK(r.next.draft.category_id == "schlagloch");
    REQUIRE(r.effects.size() == 1);
    const auto* query = findEffect<QueryStatus>(r);
    REQUIRE(query != nullptr);
    CHECK(query->number == 123);
  }
  SUBCASE("status with garbage is not a status query") {
    const auto r = f.run(at(State::Menu), text("status abc"));
    CHECK(findEffect<QueryStatus>(r) == nullptr);
    CHECK(onlyReply(r).key == "help.menu");
  }
}

TEST_CASE("flows: status alone and my reports list the citizen's tickets") {
  Fixture f;
  for (const Event& e : {text("status"), choice("my_tickets"), text("Meine Meldungen")}) {
    const auto r = f.run(at(State::Menu), e);
    CHECK(r.next.state == "menu");
    REQUIRE(r.effects.size() == 1);
    CHECK(findEffect<ListMyTickets>(r) != nullptr);
  }
}

TEST_CASE("flows: language command offers German and English") {
  Fixture f;
  for (const Event& e : {text("sprache"), text("Language"), choice("language")}) {
    const auto r = f.run(at(State::ReportCategory), e);
    CHECK(r.next.state == "report_category");
    const Reply reply = onlyReply(r);
    CHECK(reply.key == "language.prompt");
    CHECK(choiceIds(reply) == std::vector<std::string>{"lang:de", "lang:en"});
    CHECK(reply.choices[0].label == "Deutsch");
    CHECK(reply.choices[1].label == "English");
  }
}

TEST_CASE("flows: choosing English switches the language and repeats the state's choices") {
  Fixture f;
  const auto r = f.run(at(State::ReportPhoto, potholeDraft()), choice("lang:en"));
  CHECK(std::string(toString(r.next.lang)) == "en");
  CHECK(r.next.state == "report_photo");
  CHECK(r.next.draft.category_id == "schlagloch");
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "language.set");
  CHECK(reply.text == "All right, I will write in English from now on.");
  REQUIRE(reply.choices.size() == 2);
  CHECK(reply.choices[0].id == "skip");
  CHECK(reply.choices[0].label == "Skip");
  CHECK(reply.choices[1].label == "Cancel");
}

TEST_CASE("flows: choosing German switches back") {
  Fixture f;
  const auto r = f.run(at(State::ReportLocation, potholeDraft(), Lang::En), text("deutsch"));
  CHECK(std::string(toString(r.next.lang)) == "de");
  CHECK(r.next.state == "report_location");
  const Reply reply = onlyReply(r);
  CHECK(reply.text == "Alles klar, ab jetzt schreibe ich auf Deutsch.");
  CHECK(reply.request_location);
}

TEST_CASE("flows: stop asks what to stop and keeps the conversation to return to") {
  Fixture f;
  const auto r = f.run(at(State::ReportQuestion, potholeDraft()), text("Stop"));
  CHECK(r.next.state == "stop_choice");
  CHECK(r.next.draft.category_id == "schlagloch");
  CHECK(r.next.draft.stop_return == "report_question");
  REQUIRE(r.effects.size() == 1);
  CHECK(onlyReply(r).key == "stop.question");
}

TEST_CASE("flows: a rejected photo is removed from the draft in any state") {
  Fixture f;
  Draft d = potholeDraft();
  d.photo_ids = {"m1", "m2"};
  SUBCASE("while collecting photos the photo choices come back") {
    const auto r = f.run(at(State::ReportPhoto, d), rejected("m1"));
    CHECK(r.next.state == "report_photo");
    CHECK(r.next.draft.photo_ids == std::vector<std::string>{"m2"});
    const Reply reply = onlyReply(r);
    CHECK(reply.key == "photo.rejected");
    CHECK(choiceIds(reply) == std::vector<std::string>{"done"});
  }
  SUBCASE("later in the report the state is kept") {
    const auto r = f.run(at(State::ReportSummary, d), rejected("m2"));
    CHECK(r.next.state == "report_summary");
    CHECK(r.next.draft.photo_ids == std::vector<std::string>{"m1"});
    CHECK(onlyReply(r).key == "photo.rejected");
  }
  SUBCASE("an unknown id changes nothing but still asks for another photo") {
    const auto r = f.run(at(State::ReportPhoto, d), rejected("m9"));
    CHECK(r.next.draft.photo_ids == std::vector<std::string>{"m1", "m2"});
    CHECK(onlyReply(r).key == "photo.rejected");
  }
}

// ---- main menu ----

TEST_CASE("flows: menu report starts a fresh report with the category list") {
  Fixture f;
  Draft stale;
  stale.letter_text = "alt";
  for (const Event& e : {choice("report"), text("Mangel melden"), text("melden")}) {
    const auto r = f.run(at(State::Menu, stale), e);
    CHECK(r.next.state == "report_category");
    CHECK(r.next.draft.letter_text.empty());
    const Reply reply = onlyReply(r);
    CHECK(reply.key == "category.prompt");
    CHECK(choiceIds(reply) ==
          std::vector<std::string>{"cat:schlagloch", "cat:graffiti", "cat:baeume", "cancel"});
    CHECK(reply.choices[0].label == "Schlagloch/Straßenschaden");
  }
}

TEST_CASE("flows: a category typed in the menu starts the report with it") {
  Fixture f;
  const auto r = f.run(at(State::Menu), text("graffiti"));
  CHECK(r.next.state == "report_location");
  CHECK(r.next.draft.category_id == "graffiti");
  CHECK(r.next.draft.department == "bauhof");
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "location.prompt");
  CHECK(reply.request_location);
}

TEST_CASE("flows: menu letter asks for the message") {
  Fixture f;
  for (const Event& e : {choice("letter"), text("Nachricht an die Stadt")}) {
    const auto r = f.run(at(State::Menu), e);
    CHECK(r.next.state == "letter_text");
    const Reply reply = onlyReply(r);
    CHECK(reply.key == "letter.prompt");
    CHECK(reply.text.find("2000") != std::string::npos);
    CHECK(choiceIds(reply) == std::vector<std::string>{"cancel"});
  }
}

// ---- rows for every state ----

TEST_CASE("flows: a stale nearby result is ignored") {
  Fixture f;
  const auto r = f.run(at(State::Menu), nearby({NearbyTicket{5, "schlagloch", 10, "offen"}}));
  CHECK(r.next.state == "menu");
  CHECK(r.effects.empty());
}

TEST_CASE("flows: a photo sent after the photo step is still added") {
  Fixture f;
  Draft d = potholeDraft();
  d.photo_ids = {"m1"};
  const auto r = f.run(at(State::ReportDescription, d), image("m2"));
  CHECK(r.next.state == "report_description");
  CHECK(r.next.draft.photo_ids == std::vector<std::string>{"m1", "m2"});
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "photo.added_late");
  CHECK(reply.text.find("2") != std::string::npos);
  CHECK(choiceIds(reply) == std::vector<std::string>{"skip", "cancel"});
}

TEST_CASE("flows: a late photo beyond the limit is refused") {
  Fixture f;
  Draft d = potholeDraft();
  d.photo_ids = {"m1", "m2", "m3"};
  const auto r = f.run(at(State::ReportSummary, d), image("m4"));
  CHECK(r.next.state == "report_summary");
  CHECK(r.next.draft.photo_ids.size() == 3);
  CHECK(onlyReply(r).key == "photo.limit");
}

TEST_CASE("flows: unsupported messages get a polite hint and keep the state") {
  Fixture f;
  SUBCASE("in the menu") {
    const auto r = f.run(at(State::Menu), unsupported());
    CHECK(r.next.state == "menu");
    const Reply reply = onlyReply(r);
    CHECK(reply.key == "unsupported");
    CHECK(choiceIds(reply) == kMenuIds);
  }
  SUBCASE("while waiting for a location") {
    const auto r = f.run(at(State::ReportLocation, potholeDraft()), unsupported());
    CHECK(r.next.state == "report_location");
    CHECK(onlyReply(r).request_location);
  }
}

TEST_CASE("flows: unknown input in every state answers with that state's help") {
  Fixture f;
  const State states[] = {
      State::Menu,          State::ReportCategory, State::ReportLocation,
      State::ReportNearby,  State::ReportDuplicate, State::ReportPhoto,
      State::ReportQuestion, State::ReportDescription, State::ReportSummary,
      State::ReportChange,  State::EditCategory,   State::EditQuestion,
      State::EditLocation,  State::EditPhotos,     State::EditDescription,
      State::LetterText,    State::LetterConfirm};
  for (const State s : states) {
    const std::string name = toString(s);
    INFO("state " << name);
    Draft d = potholeDraft();
    d.letter_text = "Brief";
    const auto r = f.run(at(s, d), choice("no-such-choice"));
    CHECK(r.next.state == name);
    CHECK(r.next.draft.category_id == "schlagloch");
    CHECK(r.effects.size() == 1);
    CHECK(onlyReply(r).key == "help." + name);
  }
  SUBCASE("free text in the menu is unknown input too") {
    const auto r = f.run(at(State::Menu), text("Guten Tag"));
    CHECK(onlyReply(r).key == "help.menu");
    CHECK(choiceIds(onlyReply(r)) == kMenuIds);
  }
  SUBCASE("an unknown stored state falls back to the menu") {
    Conversation c = at(State::Menu);
    c.state = "participation_vote";
    const auto r = f.run(c, text("Guten Tag"));
    CHECK(r.next.state == "menu");
    CHECK(onlyReply(r).key == "help.menu");
  }
}

}  // namespace bb::flows::testing

namespace bb::flows::testing {

TEST_CASE("flows: data rights — export in any state, erase only after confirmation") {
  Fixture fx;
  Draft draft = potholeDraft();
  draft.photo_ids = {"17"};
  const Conversation c = at(State::ReportPhoto, draft);
  auto exported = fx.run(c, text("meine daten"));
  CHECK(exported.next.state == "report_photo");
  REQUIRE(exported.effects.size() == 1);
  CHECK(std::holds_alternative<ExportData>(exported.effects[0]));

  auto ask = fx.run(c, text("daten löschen"));
  CHECK(ask.next.state == "erase_confirm");
  CHECK(ask.next.draft.photo_ids.empty());
  CHECK(replyKeys(ask) == std::vector<std::string>{"erase.confirm"});

  auto no = fx.run(ask.next, text("nein"));
  CHECK(no.next.state == "menu");
  CHECK(no.next.consent_version == c.consent_version);
  CHECK(replyKeys(no) == std::vector<std::string>{"erase.cancelled"});

  auto other = fx.run(ask.next, text("was?"));
  CHECK(other.next.state == "menu");
  CHECK(replyKeys(other) == std::vector<std::string>{"erase.cancelled"});

  auto yes = fx.run(ask.next, choice("confirm"));
  REQUIRE(yes.effects.size() == 1);
  CHECK(std::holds_alternative<EraseData>(yes.effects[0]));
  CHECK(yes.next.consent_version == 0);
  CHECK(yes.next.state == "new");

  auto english = fx.run(c, text("delete my data"));
  CHECK(english.next.state == "erase_confirm");
}

TEST_CASE("flows: a rejected photo is named with its reason in plain words") {
  Fixture f;
  Draft d = potholeDraft();
  const std::pair<const char*, const char*> cases[] = {
      {"heic_unsupported", "photo.rejected_heic"},
      {"too_large", "photo.rejected_size"},
      {"unsupported_format", "photo.rejected_format"},
      {"download_failed:http_404", "photo.rejected_download"},
      {"corrupt_jpeg", "photo.rejected"},
      {"", "photo.rejected"},
  };
  for (const auto& [reason, key] : cases) {
    INFO(reason);
    Event e = rejected("m1");
    e.text = reason;
    const auto r = f.run(at(State::ReportPhoto, d), e);
    CHECK(onlyReply(r).key == key);
    CHECK(r.next.state == "report_photo");
  }
}

}  // namespace bb::flows::testing
