// One test per row of the defect-report and report-edit tables.

#include "tests/flows/flow_test_support.hpp"

namespace bb::flows::testing {

namespace {

Draft graffitiAt(Point p) {
  Draft d;
  d.category_id = "graffiti";
  d.location = p;
  d.department = "bauhof";
  return d;
}

Draft readyForSummary() {
  Draft d = potholeDraft();
  d.photo_ids = {"m1"};
  d.extra_answer = "etwa 30 cm";
  d.description = "Tiefes Loch vor Hausnummer 5";
  return d;
}

const std::vector<std::string> kSummaryIds{"confirm", "change", "cancel"};

}  // namespace

// ---- report_category ----

TEST_CASE("flows: choosing a category shows its notice and asks for the location") {
  Fixture f;
  for (const Event& e : {choice("cat:schlagloch"), text("Schlagloch"), text("straßenschaden")}) {
    const auto r = f.run(at(State::ReportCategory), e);
    CHECK(r.next.state == "report_location");
    CHECK(r.next.draft.category_id == "schlagloch");
    CHECK(r.next.draft.department == "tiefbau");
    CHECK(replyKeys(r) == std::vector<std::string>{"category.notice", "location.prompt"});
    const auto all = replies(r);
    CHECK(all[0]->text.find("Bei Gefahr: 110 oder 112.") != std::string::npos);
    CHECK(all[1]->request_location);
  }
  SUBCASE("a category without notice only asks for the location") {
    const auto r = f.run(at(State::ReportCategory), choice("cat:graffiti"));
    CHECK(r.next.draft.category_id == "graffiti");
    CHECK(replyKeys(r) == std::vector<std::string>{"location.prompt"});
  }
  SUBCASE("an unknown category id is unknown input") {
    const auto r = f.run(at(State::ReportCategory), choice("cat:nope"));
    CHECK(r.next.state == "report_category");
    CHECK(r.next.draft.category_id.empty());
    CHECK(onlyReply(r).key == "help.report_category");
    CHECK(onlyReply(r).choices.size() == 4);  // three categories and "Abbrechen"
    CHECK(onlyReply(r).choices.back().id == "cancel");
  }
}

// ---- report_location ----

TEST_CASE("flows: a location outside the city is refused politely") {
  Fixture f;
  Draft d;
  d.category_id = "graffiti";
  SUBCASE("general refusal") {
    const auto r = f.run(at(State::ReportLocation, d), location(kOutside));
    CHECK(r.next.state == "report_location");
    CHECK_FALSE(r.next.draft.location.has_value());
    CHECK(findEffect<LookupNearby>(r) == nullptr);
    const Reply reply = onlyReply(r);
    CHECK(reply.key == "location.outside");
    CHECK(reply.request_location);
  }
  SUBCASE("naming the responsible body when configured") {
    f.ctx.settings.outside_responsible = "das Landratsamt Ebersberg";
    const auto r = f.run(at(State::ReportLocation, d), location(kOutside));
    const Reply reply = onlyReply(r);
    CHECK(reply.key == "location.outside_named");
    CHECK(reply.text.find("das Landratsamt Ebersberg") != std::string::npos);
  }
}

TEST_CASE("flows: a location inside routes by district and looks for duplicates") {
  Fixture f;
  Draft d;
  d.category_id = "schlagloch";  // district_routing
  SUBCASE("district with its own department") {
    const auto r = f.run(at(State::ReportLocation, d), location(kInNorth));
    CHECK(r.next.state == "report_nearby");
    REQUIRE(r.next.draft.location.has_value());
    CHECK(r.next.draft.location->lat == doctest::Approx(kInNorth.lat));
    CHECK(r.next.draft.district_id == "nord");
    CHECK(r.next.draft.department == "bauhof_nord");
    REQUIRE(r.effects.size() == 1);
    const auto* lookup = findEffect<LookupNearby>(r);
    REQUIRE(lookup != nullptr);
    CHECK(lookup->category_id == "schlagloch");
    CHECK(lookup->at.lon == doctest::Approx(kInNorth.lon));
    CHECK(lookup->radius_m == doctest::Approx(50));
  }
  SUBCASE("district without department keeps the category's") {
    const auto r = f.run(at(State::ReportLocation, d), location(kInSouth));
    CHECK(r.next.draft.district_id == "sued");
    CHECK(r.next.draft.department == "tiefbau");
  }
  SUBCASE("category without district routing keeps its department") {
    const auto r = f.run(at(State::ReportLocation, graffitiAt({})), location(kInNorth));
    CHECK(r.next.draft.district_id == "nord");
    CHECK(r.next.draft.department == "bauhof");
  }
  SUBCASE("no boundary configured: no check") {
    f.geo.boundary.clear();
    const auto r = f.run(at(State::ReportLocation, d), location(kOutside));
    CHECK(r.next.state == "report_nearby");
    CHECK(r.next.draft.district_id.empty());
    CHECK(r.next.draft.department == "tiefbau");
  }
  SUBCASE("the configured radius is used") {
    f.ctx.settings.duplicate_radius_m = 120;
    const auto r = f.run(at(State::ReportLocation, d), location(kInNorth));
    CHECK(findEffect<LookupNearby>(r)->radius_m == doctest::Approx(120));
  }
}

TEST_CASE("flows: an overlong typed address is refused") {
  Fixture f;
  const auto r = f.run(at(State::ReportLocation, graffitiAt({})), text(std::string(301, 'a')));
  CHECK(r.next.state == "report_location");
  CHECK(r.next.draft.address_text.empty());
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "location.too_long");
  CHECK(reply.request_location);
}

TEST_CASE("flows: a typed address is looked up in the gazetteer") {
  Fixture f;
  Draft d;
  d.category_id = "graffiti";
  const auto r = f.run(at(State::ReportLocation, d), text("  Marienplatz 1  "));
  CHECK(r.next.state == "report_geocode");
  const auto* geocode = findEffect<Geocode>(r);
  REQUIRE(geocode != nullptr);
  CHECK(geocode->text == "Marienplatz 1");
  CHECK(replies(r).empty());
  CHECK_FALSE(r.next.draft.editing_location);
}

TEST_CASE("flows: without a gazetteer a typed address is kept as text and the photo is asked for") {
  Fixture f;
  Draft d;
  d.category_id = "graffiti";
  const auto typed = f.run(at(State::ReportLocation, d), text("  Marienplatz 1  "));
  const auto r = f.run(typed.next, geocoded(GeocodeOutcome::Unavailable));
  CHECK(r.next.state == "report_photo");
  CHECK_FALSE(r.next.draft.address_unconfirmed);
  CHECK(r.next.draft.address_text == "Marienplatz 1");
  CHECK_FALSE(r.next.draft.location.has_value());
  CHECK(r.next.draft.department == "bauhof");
  CHECK(findEffect<LookupNearby>(r) == nullptr);
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "photo.prompt");
  CHECK(reply.text.find("3") != std::string::npos);
  CHECK(choiceIds(reply) == std::vector<std::string>{"skip", "cancel"});
  SUBCASE("a keyword is not taken as an address") {
    const auto r2 = f.run(at(State::ReportLocation, d), text("weiter"));
    CHECK(r2.next.state == "report_location");
    CHECK(onlyReply(r2).key == "help.report_location");
  }
}

// ---- report_nearby ----

TEST_CASE("flows: no nearby tickets: ask for a photo") {
  Fixture f;
  const auto r = f.run(at(State::ReportNearby, potholeDraft()), nearby({}));
  CHECK(r.next.state == "report_photo");
  CHECK(onlyReply(r).key == "photo.prompt");
}

TEST_CASE("flows: nearby tickets are offered as duplicates, nearest first") {
  Fixture f;
  const auto r = f.run(at(State::ReportNearby, potholeDraft()),
                       nearby({NearbyTicket{4711, "schlagloch", 42.4, "in Bearbeitung"},
                               NearbyTicket{815, "schlagloch", 12.6, "eingegangen"}}));
  CHECK(r.next.state == "report_duplicate");
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "duplicate.prompt");
  CHECK(choiceIds(reply) == std::vector<std::string>{"dup:815", "dup:4711", "dup:none", "cancel"});
  CHECK(reply.choices[0].label == "Nr. 815: Schlagloch/Straßenschaden, 13 m (eingegangen)");
  CHECK(reply.choices[2].label == "Nein, neue Meldung");
  SUBCASE("at most nine tickets plus 'new report'") {
    std::vector<NearbyTicket> many;
    for (int i = 1; i <= 12; ++i) {
      many.push_back(NearbyTicket{i, "schlagloch", 50.0 - i, "eingegangen"});
    }
    const auto r2 = f.run(at(State::ReportNearby, potholeDraft()), nearby(many));
    const Reply reply2 = onlyReply(r2);
    REQUIRE(reply2.choices.size() == 10);
    CHECK(reply2.choices[0].id == "dup:12");
    CHECK(reply2.choices[9].id == "dup:none");
  }
}

// ---- report_duplicate ----

TEST_CASE("flows: joining a duplicate follows it and ends the report") {
  Fixture f;
  const auto r = f.run(at(State::ReportDuplicate, potholeDraft()), choice("dup:815"));
  CHECK(r.next.state == "menu");
  CHECK(r.next.draft.category_id.empty());
  REQUIRE(r.effects.size() == 1);
  const auto* follow = findEffect<FollowTicket>(r);
  REQUIRE(follow != nullptr);
  CHECK(follow->number == 815);
  CHECK(findEffect<CreateTicket>(r) == nullptr);
}

TEST_CASE("flows: 'no, new report' continues with the photo") {
  Fixture f;
  for (const Event& e : {choice("dup:none"), text("nein"), text("Nein, neue Meldung")}) {
    const auto r = f.run(at(State::ReportDuplicate, potholeDraft()), e);
    CHECK(r.next.state == "report_photo");
    CHECK(r.next.draft.category_id == "schlagloch");
    CHECK(findEffect<FollowTicket>(r) == nullptr);
    CHECK(onlyReply(r).key == "photo.prompt");
  }
}

// ---- report_photo ----

TEST_CASE("flows: a photo is added while there is room") {
  Fixture f;
  const auto r = f.run(at(State::ReportPhoto, potholeDraft()), image("m1"));
  CHECK(r.next.state == "report_photo");
  CHECK(r.next.draft.photo_ids == std::vector<std::string>{"m1"});
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "photo.added");
  CHECK(reply.text.find("1 von 3") != std::string::npos);
  CHECK(choiceIds(reply) == std::vector<std::string>{"done", "cancel"});
  SUBCASE("the last allowed photo says it was the last") {
    Draft d = potholeDraft();
    d.photo_ids = {"m1", "m2"};
    const auto r2 = f.run(at(State::ReportPhoto, d), image("m3"));
    CHECK(r2.next.draft.photo_ids.size() == 3);
    CHECK(onlyReply(r2).key == "photo.added_full");
  }
}

TEST_CASE("flows: a photo beyond the limit is refused") {
  Fixture f;
  f.ctx.settings.max_photos = 2;
  Draft d = potholeDraft();
  d.photo_ids = {"m1", "m2"};
  const auto r = f.run(at(State::ReportPhoto, d), image("m3"));
  CHECK(r.next.state == "report_photo");
  CHECK(r.next.draft.photo_ids == std::vector<std::string>{"m1", "m2"});
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "photo.limit");
  CHECK(reply.text.find("2 Fotos") != std::string::npos);
}

TEST_CASE("flows: continuing after photos asks the category's extra question") {
  Fixture f;
  for (const Event& e : {choice("skip"), choice("done"), text("Weiter"), text("überspringen")}) {
    const auto r = f.run(at(State::ReportPhoto, potholeDraft()), e);
    CHECK(r.next.state == "report_question");
    const Reply reply = onlyReply(r);
    CHECK(reply.key == "question.prompt");
    CHECK(reply.text.rfind("Wie groß ist das Schlagloch ungefähr?", 0) == 0);
    CHECK(choiceIds(reply) == std::vector<std::string>{"skip", "cancel"});
  }
}

TEST_CASE("flows: continuing after photos without a question asks for the description") {
  Fixture f;
  const auto r = f.run(at(State::ReportPhoto, graffitiAt(kInNorth)), choice("skip"));
  CHECK(r.next.state == "report_description");
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "description.prompt");
  CHECK(reply.text.find("1000") != std::string::npos);
}

TEST_CASE("flows: 'no' to the photo question skips the photo") {
  Fixture f;
  SUBCASE("with extra question") {
    const auto r = f.run(at(State::ReportPhoto, potholeDraft()), text("nein"));
    CHECK(r.next.state == "report_question");
  }
  SUBCASE("without extra question") {
    const auto r = f.run(at(State::ReportPhoto, graffitiAt(kInNorth)), text("no"));
    CHECK(r.next.state == "report_description");
  }
}

// ---- report_question ----

TEST_CASE("flows: skipping the extra question asks for the description") {
  Fixture f;
  const auto r = f.run(at(State::ReportQuestion, potholeDraft()), choice("skip"));
  CHECK(r.next.state == "report_description");
  CHECK(r.next.draft.extra_answer.empty());
  CHECK(onlyReply(r).key == "description.prompt");
}

TEST_CASE("flows: an overlong answer to the extra question is refused") {
  Fixture f;
  f.ctx.settings.max_description_chars = 10;
  const auto r = f.run(at(State::ReportQuestion, potholeDraft()), text("elf Zeichen"));
  CHECK(r.next.state == "report_question");
  CHECK(r.next.draft.extra_answer.empty());
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "description.too_long");
  CHECK(reply.text.find("11 Zeichen") != std::string::npos);
}

TEST_CASE("flows: the answer to the extra question is stored") {
  Fixture f;
  const auto r = f.run(at(State::ReportQuestion, potholeDraft()), text("etwa 30 cm"));
  CHECK(r.next.state == "report_description");
  CHECK(r.next.draft.extra_answer == "etwa 30 cm");
  CHECK(onlyReply(r).key == "description.prompt");
}

// ---- report_description ----

TEST_CASE("flows: skipping the description shows the summary") {
  Fixture f;
  const auto r = f.run(at(State::ReportDescription, potholeDraft()), text("Überspringen"));
  CHECK(r.next.state == "report_summary");
  CHECK(r.next.draft.description.empty());
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "summary.text");
  CHECK(choiceIds(reply) == kSummaryIds);
  CHECK(reply.text.find("Beschreibung: –") != std::string::npos);
}

TEST_CASE("flows: 'no' to the description shows the summary") {
  Fixture f;
  const auto r = f.run(at(State::ReportDescription, potholeDraft()), text("Nein"));
  CHECK(r.next.state == "report_summary");
  CHECK(r.next.draft.description.empty());
}

TEST_CASE("flows: an overlong description is refused, counted in code points") {
  Fixture f;
  f.ctx.settings.max_description_chars = 5;
  SUBCASE("six umlauts are six characters, not twelve bytes") {
    const auto r = f.run(at(State::ReportDescription, potholeDraft()), text("ääääää"));
    CHECK(r.next.state == "report_description");
    CHECK(r.next.draft.description.empty());
    CHECK(onlyReply(r).text.find("(6 Zeichen, höchstens 5)") != std::string::npos);
  }
  SUBCASE("five umlauts fit") {
    const auto r = f.run(at(State::ReportDescription, potholeDraft()), text("ööööö"));
    CHECK(r.next.state == "report_summary");
    CHECK(r.next.draft.description == "ööööö");
  }
}

TEST_CASE("flows: the description is stored and the summary shown") {
  Fixture f;
  Draft d = potholeDraft();
  d.photo_ids = {"m1", "m2"};
  d.extra_answer = "etwa 30 cm";
  const auto r = f.run(at(State::ReportDescription, d), text("Tiefes Loch vor Nr. 5"));
  CHECK(r.next.state == "report_summary");
  CHECK(r.next.draft.description == "Tiefes Loch vor Nr. 5");
  const Reply reply = onlyReply(r);
  CHECK(reply.text ==
        "Bitte prüfen Sie Ihre Meldung:\nKategorie: Schlagloch/Straßenschaden\n"
        "Ort: Standort 48.07000, 11.95000\nFotos: 2\nAngabe: etwa 30 cm\n"
        "Beschreibung: Tiefes Loch vor Nr. 5\n\nAbsenden?");
}

// ---- report_summary ----

TEST_CASE("flows: confirming the summary creates the ticket and resets to the menu") {
  Fixture f;
  for (const Event& e : {choice("confirm"), text("Absenden"), text("ja")}) {
    const auto r = f.run(at(State::ReportSummary, readyForSummary()), e);
    CHECK(r.next.state == "menu");
    CHECK(r.next.draft.category_id.empty());
    CHECK(r.next.draft.photo_ids.empty());
    REQUIRE(r.effects.size() == 1);
    const auto* create = findEffect<CreateTicket>(r);
    REQUIRE(create != nullptr);
    CHECK(create->draft.category_id == "schlagloch");
    CHECK(create->draft.department == "bauhof_nord");
    CHECK(create->draft.photo_ids == std::vector<std::string>{"m1"});
    CHECK(create->draft.extra_answer == "etwa 30 cm");
    CHECK(create->draft.description == "Tiefes Loch vor Hausnummer 5");
  }
}

TEST_CASE("flows: 'change' in the summary asks what to change") {
  Fixture f;
  const auto r = f.run(at(State::ReportSummary, readyForSummary()), text("Ändern"));
  CHECK(r.next.state == "report_change");
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "change.prompt");
  CHECK(choiceIds(reply) == std::vector<std::string>{"change:category", "change:location",
                                                     "change:photos", "change:description",
                                                     "back"});
}

// ---- report_change ----

TEST_CASE("flows: change category asks for the category") {
  Fixture f;
  const auto r = f.run(at(State::ReportChange, readyForSummary()), choice("change:category"));
  CHECK(r.next.state == "edit_category");
  CHECK(onlyReply(r).key == "category.prompt");
}

TEST_CASE("flows: change location asks for the location") {
  Fixture f;
  const auto r = f.run(at(State::ReportChange, readyForSummary()), text("Ort"));
  CHECK(r.next.state == "edit_location");
  CHECK(onlyReply(r).request_location);
}

TEST_CASE("flows: change photos drops the old ones and asks again") {
  Fixture f;
  const auto r = f.run(at(State::ReportChange, readyForSummary()), choice("change:photos"));
  CHECK(r.next.state == "edit_photos");
  CHECK(r.next.draft.photo_ids.empty());
  CHECK(onlyReply(r).key == "photo.prompt");
}

TEST_CASE("flows: change description asks for the description") {
  Fixture f;
  const auto r = f.run(at(State::ReportChange, readyForSummary()), choice("change:description"));
  CHECK(r.next.state == "edit_description");
  CHECK(onlyReply(r).key == "description.prompt");
}

TEST_CASE("flows: back from the change menu shows the summary unchanged") {
  Fixture f;
  const auto r = f.run(at(State::ReportChange, readyForSummary()), text("zurück"));
  CHECK(r.next.state == "report_summary");
  CHECK(r.next.draft.description == "Tiefes Loch vor Hausnummer 5");
  CHECK(onlyReply(r).key == "summary.text");
}

// ---- edit_* ----

TEST_CASE("flows: a new category with a question asks it, then returns to the summary") {
  Fixture f;
  Draft d = graffitiAt(kInNorth);
  const auto r = f.run(at(State::EditCategory, d), choice("cat:schlagloch"));
  CHECK(r.next.state == "edit_question");
  CHECK(r.next.draft.category_id == "schlagloch");
  CHECK(r.next.draft.department == "bauhof_nord");  // re-routed for the new category
  CHECK(replyKeys(r) == std::vector<std::string>{"category.notice", "question.prompt"});
}

TEST_CASE("flows: a new category without a question returns to the summary") {
  Fixture f;
  const auto r = f.run(at(State::EditCategory, readyForSummary()), choice("cat:graffiti"));
  CHECK(r.next.state == "report_summary");
  CHECK(r.next.draft.category_id == "graffiti");
  CHECK(r.next.draft.department == "bauhof");
  CHECK(r.next.draft.extra_answer.empty());  // belonged to the old category's question
  CHECK(onlyReply(r).text.find("Kategorie: Graffiti") != std::string::npos);
}

TEST_CASE("flows: skipping the question while editing returns to the summary") {
  Fixture f;
  const auto r = f.run(at(State::EditQuestion, potholeDraft()), choice("skip"));
  CHECK(r.next.state == "report_summary");
  CHECK(onlyReply(r).key == "summary.text");
}

TEST_CASE("flows: an overlong answer while editing is refused") {
  Fixture f;
  f.ctx.settings.max_description_chars = 3;
  const auto r = f.run(at(State::EditQuestion, potholeDraft()), text("viel zu lang"));
  CHECK(r.next.state == "edit_question");
  CHECK(onlyReply(r).key == "description.too_long");
}

TEST_CASE("flows: an answer while editing is stored and the summary shown") {
  Fixture f;
  const auto r = f.run(at(State::EditQuestion, potholeDraft()), text("riesig"));
  CHECK(r.next.state == "report_summary");
  CHECK(r.next.draft.extra_answer == "riesig");
  CHECK(onlyReply(r).text.find("Angabe: riesig") != std::string::npos);
}

TEST_CASE("flows: a new location outside the city is refused while editing") {
  Fixture f;
  const auto r = f.run(at(State::EditLocation, readyForSummary()), location(kOutside));
  CHECK(r.next.state == "edit_location");
  CHECK(r.next.draft.location->lat == doctest::Approx(kInNorth.lat));
  CHECK(onlyReply(r).key == "location.outside");
}

TEST_CASE("flows: a new location re-routes and returns to the summary") {
  Fixture f;
  const auto r = f.run(at(State::EditLocation, readyForSummary()), location(kInSouth));
  CHECK(r.next.state == "report_summary");
  CHECK(r.next.draft.district_id == "sued");
  CHECK(r.next.draft.department == "tiefbau");
  CHECK(findEffect<LookupNearby>(r) == nullptr);
  CHECK(onlyReply(r).text.find("Standort 48.02000, 11.95000") != std::string::npos);
}

TEST_CASE("flows: an overlong address while editing is refused") {
  Fixture f;
  const auto r = f.run(at(State::EditLocation, readyForSummary()), text(std::string(400, 'x')));
  CHECK(r.next.state == "edit_location");
  CHECK(onlyReply(r).key == "location.too_long");
}

TEST_CASE("flows: a typed address replaces the point and returns to the summary") {
  Fixture f;
  const auto typed = f.run(at(State::EditLocation, readyForSummary()), text("Bahnhofstraße 3"));
  CHECK(typed.next.state == "report_geocode");
  CHECK(typed.next.draft.editing_location);
  REQUIRE(findEffect<Geocode>(typed) != nullptr);
  const auto r = f.run(typed.next, geocoded(GeocodeOutcome::Unavailable));
  CHECK(r.next.state == "report_summary");
  CHECK_FALSE(r.next.draft.location.has_value());
  CHECK(r.next.draft.address_text == "Bahnhofstraße 3");
  CHECK(r.next.draft.district_id.empty());
  CHECK(r.next.draft.department == "tiefbau");
  CHECK(onlyReply(r).text.find("Ort: Bahnhofstraße 3") != std::string::npos);
}

TEST_CASE("flows: photos are added while editing") {
  Fixture f;
  const auto r = f.run(at(State::EditPhotos, potholeDraft()), image("n1"));
  CHECK(r.next.state == "edit_photos");
  CHECK(r.next.draft.photo_ids == std::vector<std::string>{"n1"});
  CHECK(onlyReply(r).key == "photo.added");
}

TEST_CASE("flows: photos beyond the limit are refused while editing") {
  Fixture f;
  Draft d = potholeDraft();
  d.photo_ids = {"n1", "n2", "n3"};
  const auto r = f.run(at(State::EditPhotos, d), image("n4"));
  CHECK(r.next.state == "edit_photos");
  CHECK(r.next.draft.photo_ids.size() == 3);
  CHECK(onlyReply(r).key == "photo.limit");
}

TEST_CASE("flows: done with photos while editing returns to the summary") {
  Fixture f;
  Draft d = potholeDraft();
  d.photo_ids = {"n1"};
  const auto r = f.run(at(State::EditPhotos, d), choice("done"));
  CHECK(r.next.state == "report_summary");
  CHECK(onlyReply(r).text.find("Fotos: 1") != std::string::npos);
}

TEST_CASE("flows: skipping the description while editing keeps the old one") {
  Fixture f;
  const auto r = f.run(at(State::EditDescription, readyForSummary()), choice("skip"));
  CHECK(r.next.state == "report_summary");
  CHECK(r.next.draft.description == "Tiefes Loch vor Hausnummer 5");
}

TEST_CASE("flows: an overlong description while editing is refused") {
  Fixture f;
  f.ctx.settings.max_description_chars = 4;
  const auto r = f.run(at(State::EditDescription, readyForSummary()), text("fünf!"));
  CHECK(r.next.state == "edit_description");
  CHECK(r.next.draft.description == "Tiefes Loch vor Hausnummer 5");
  CHECK(onlyReply(r).key == "description.too_long");
}

TEST_CASE("flows: a new description while editing is stored") {
  Fixture f;
  const auto r = f.run(at(State::EditDescription, readyForSummary()), text("Doch zwei Löcher"));
  CHECK(r.next.state == "report_summary");
  CHECK(r.next.draft.description == "Doch zwei Löcher");
  CHECK(onlyReply(r).text.find("Beschreibung: Doch zwei Löcher") != std::string::npos);
}

// ---- "zurück": one step back in a report ----

TEST_CASE("flows: zurück goes one step back in a report and keeps what was entered") {
  Fixture f;
  struct BackRow {
    State from;
    Draft draft;
    const char* to;
    const char* key;
  };
  Draft withPhoto = potholeDraft();
  withPhoto.photo_ids = {"m1"};
  Draft graffiti = graffitiAt(kInSouth);
  const BackRow rows[] = {
      {State::ReportCategory, Draft{}, "menu", "cancel.done"},
      {State::ReportLocation, potholeDraft(), "report_category", "category.prompt"},
      {State::ReportDuplicate, potholeDraft(), "report_location", "location.prompt"},
      {State::ReportPhoto, withPhoto, "report_location", "location.prompt"},
      {State::ReportQuestion, withPhoto, "report_photo", "photo.prompt"},
      {State::ReportDescription, withPhoto, "report_question", "question.prompt"},
      {State::ReportDescription, graffiti, "report_photo", "photo.prompt"},
      {State::ReportSummary, readyForSummary(), "report_description", "description.prompt"},
      {State::EditCategory, readyForSummary(), "report_summary", "summary.text"},
      {State::EditQuestion, readyForSummary(), "report_summary", "summary.text"},
      {State::EditLocation, readyForSummary(), "report_summary", "summary.text"},
      {State::EditPhotos, readyForSummary(), "report_summary", "summary.text"},
      {State::EditDescription, readyForSummary(), "report_summary", "summary.text"},
  };
  for (const BackRow& row : rows) {
    for (const Event& e : {text("zurück"), text("Zurück bitte"), text("back"), choice("back")}) {
      CAPTURE(toString(row.from));
      CAPTURE(e.text);
      const auto r = f.run(at(row.from, row.draft), e);
      CHECK(r.next.state == row.to);
      CHECK(replyKeys(r) == std::vector<std::string>{row.key});
      if (row.from != State::ReportCategory) {
        CHECK(r.next.draft.category_id == row.draft.category_id);
        CHECK(r.next.draft.photo_ids == row.draft.photo_ids);
      }
    }
  }
  SUBCASE("the photos step offers done when photos are kept") {
    const auto r = f.run(at(State::ReportQuestion, withPhoto), text("zurück"));
    CHECK(choiceIds(onlyReply(r)) == std::vector<std::string>{"done", "cancel"});
  }
}

// ---- a visible "Abbrechen" ----

TEST_CASE("flows: every report step offers Abbrechen while a list has room, and it discards") {
  Fixture f;
  Draft withPhoto = potholeDraft();
  withPhoto.photo_ids = {"m1"};
  struct Step {
    State state;
    Draft draft;
    Event event;  //!< leads into `state`
  };
  const Step steps[] = {
      {State::Menu, Draft{}, choice("report")},                         // → categories
      {State::ReportNearby, potholeDraft(), nearby({})},               // → photo
      {State::ReportPhoto, potholeDraft(), image("m1")},               // → photo added
      {State::ReportPhoto, potholeDraft(), choice("skip")},            // → question
      {State::ReportQuestion, potholeDraft(), text("30 cm")},          // → description
      {State::ReportDescription, withPhoto, text("Loch")},             // → summary
  };
  for (const Step& s : steps) {
    CAPTURE(toString(s.state));
    const auto r = f.run(at(s.state, s.draft), s.event);
    const auto all = replies(r);
    REQUIRE_FALSE(all.empty());
    const Reply& asked = *all.back();
    REQUIRE_FALSE(asked.choices.empty());
    CHECK(asked.choices.back().id == "cancel");
    CHECK(asked.choices.back().label == "Abbrechen");
    const auto cancelled = f.run(r.next, choice("cancel"));
    CHECK(cancelled.next.state == "menu");
    CHECK(cancelled.next.draft.category_id.empty());
    CHECK(onlyReply(cancelled).key == "cancel.done");
  }
  SUBCASE("a full list of ten keeps its rows") {
    std::vector<NearbyTicket> many;
    for (int i = 1; i <= 9; ++i) {
      many.push_back(NearbyTicket{i, "schlagloch", 10.0 + i, "eingegangen"});
    }
    const auto r = f.run(at(State::ReportNearby, potholeDraft()), nearby(many));
    CHECK(onlyReply(r).choices.size() == 10);
    CHECK(onlyReply(r).choices.back().id == "dup:none");
  }
  SUBCASE("edit steps go back to the summary instead") {
    const auto r = f.run(at(State::ReportChange, readyForSummary()), choice("change:description"));
    CHECK(choiceIds(onlyReply(r)) == std::vector<std::string>{"skip"});
  }
}

// ---- captions ----

TEST_CASE("flows: a photo's caption becomes the description when there is none") {
  Fixture f;
  Event photo = image("m1");
  photo.text = "  Loch ist ca. 30 cm tief  ";
  const auto r = f.run(at(State::ReportPhoto, potholeDraft()), photo);
  CHECK(r.next.state == "report_photo");
  CHECK(r.next.draft.photo_ids == std::vector<std::string>{"m1"});
  CHECK(r.next.draft.description == "Loch ist ca. 30 cm tief");
  SUBCASE("a second caption is appended on a new line") {
    Event second = image("m2");
    second.text = "Von der anderen Seite";
    const auto r2 = f.run(at(State::ReportPhoto, r.next.draft), second);
    CHECK(r2.next.draft.description == "Loch ist ca. 30 cm tief\nVon der anderen Seite");
  }
  SUBCASE("a photo without caption leaves the description alone") {
    const auto r2 = f.run(at(State::ReportPhoto, r.next.draft), image("m2"));
    CHECK(r2.next.draft.description == "Loch ist ca. 30 cm tief");
  }
  SUBCASE("skipping the description step keeps the caption") {
    Draft d = r.next.draft;
    const auto r2 = f.run(at(State::ReportDescription, d), choice("skip"));
    CHECK(r2.next.state == "report_summary");
    CHECK(r2.next.draft.description == "Loch ist ca. 30 cm tief");
  }
  SUBCASE("a caption that would exceed the limit is left out") {
    Fixture small;
    small.ctx.settings.max_description_chars = 10;
    const auto r2 = small.run(at(State::ReportPhoto, potholeDraft()), photo);
    CHECK(r2.next.draft.photo_ids.size() == 1);
    CHECK(r2.next.draft.description.empty());
  }
  SUBCASE("a photo sent late with a caption adds it too") {
    Draft d = readyForSummary();
    d.photo_ids.clear();
    Event late = image("m9");
    late.text = "Nachtrag";
    const auto r2 = f.run(at(State::ReportSummary, d), late);
    CHECK(r2.next.draft.description == "Tiefes Loch vor Hausnummer 5\nNachtrag");
  }
}

}  // namespace bb::flows::testing
