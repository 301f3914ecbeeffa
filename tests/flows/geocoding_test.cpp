// One test per row of the defect report's address rows: the gazetteer's answer to a typed
// address (inside, outside, another town, ambiguous, unknown twice), the "Meinten Sie …?"
// choice, the same while editing from the summary, and a pin shown as its nearest address.

#include "tests/flows/flow_test_support.hpp"

namespace bb::flows::testing {

namespace {

const GeoCandidate kMarienplatz{"Marienplatz 1, 85560 Ebersberg", kInNorth};
const GeoCandidate kBahnhof{"Bahnhofstraße 12, 85560 Ebersberg", kInSouth};
const GeoCandidate kFarAway{"Hauptstraße 1, 85567 Grafing", kOutside};

Draft graffitiDraft() {
  Draft d;
  d.category_id = "graffiti";
  d.department = "bauhof";
  return d;
}

//! The conversation after typing `text` where the location is asked (a Geocode is pending).
Conversation typed(const Fixture& f, const std::string& typedText, State from = State::ReportLocation,
                   Draft draft = graffitiDraft()) {
  const auto r = f.run(at(from, std::move(draft)), text(typedText));
  REQUIRE(r.next.state == "report_geocode");
  REQUIRE(findEffect<Geocode>(r) != nullptr);
  return r.next;
}

Draft summaryDraft() {
  Draft d = potholeDraft();
  d.address_text = "bei Marienplatz 1, ca. 20 m";
  d.description = "Loch";
  return d;
}

}  // namespace

TEST_CASE("flows: one address inside the city: its point, district and label, then duplicates") {
  Fixture f;
  const auto r = f.run(typed(f, "Marienplatzz 1"), geocoded(GeocodeOutcome::Found, {kMarienplatz}));
  CHECK(r.next.state == "report_nearby");
  REQUIRE(r.next.draft.location.has_value());
  CHECK(r.next.draft.location->lat == doctest::Approx(kInNorth.lat));
  CHECK(r.next.draft.address_text == "Marienplatz 1, 85560 Ebersberg");
  CHECK(r.next.draft.district_id == "nord");
  CHECK_FALSE(r.next.draft.address_unconfirmed);
  const auto* lookup = findEffect<LookupNearby>(r);
  REQUIRE(lookup != nullptr);
  CHECK(lookup->at.lat == doctest::Approx(kInNorth.lat));
  CHECK(lookup->category_id == "graffiti");
  SUBCASE("the summary shows the normalized address") {
    Draft d = r.next.draft;
    d.description = "Schmiererei";
    const auto s = f.run(at(State::ReportDescription, d), choice("skip"));
    CHECK(onlyReply(s).text.find("Ort: Marienplatz 1, 85560 Ebersberg") != std::string::npos);
  }
}

TEST_CASE("flows: an address outside the city limits is refused like a pin outside") {
  Fixture f;
  const auto r = f.run(typed(f, "Hauptstraße 1, Grafing"), geocoded(GeocodeOutcome::Found, {kFarAway}));
  CHECK(r.next.state == "report_location");
  CHECK(onlyReply(r).key == "location.outside");
  CHECK(onlyReply(r).request_location);
  CHECK_FALSE(r.next.draft.location.has_value());
  CHECK(r.next.draft.address_text.empty());
}

TEST_CASE("flows: an address in another town is refused like a pin outside") {
  Fixture f;
  f.ctx.settings.outside_responsible = "die Stadt München";
  const auto r =
      f.run(typed(f, "Leopoldstraße 10, 80802 München"), geocoded(GeocodeOutcome::Elsewhere));
  CHECK(r.next.state == "report_location");
  CHECK(onlyReply(r).key == "location.outside_named");
  CHECK(r.next.draft.address_text.empty());
  CHECK(findEffect<LookupNearby>(r) == nullptr);
}

TEST_CASE("flows: two or three candidates are offered as choices, outside ones left out") {
  Fixture f;
  const auto r = f.run(typed(f, "Hauptstraße 1"),
                       geocoded(GeocodeOutcome::Ambiguous, {kMarienplatz, kFarAway, kBahnhof}));
  CHECK(r.next.state == "report_address_choice");
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "location.ambiguous");
  CHECK(choiceIds(reply) == std::vector<std::string>{"addr:1", "addr:2", "addr:none", "cancel"});
  CHECK(reply.choices[0].label == kMarienplatz.label);
  CHECK(reply.choices[1].label == kBahnhof.label);
  REQUIRE(r.next.draft.address_choices.size() == 2);
  SUBCASE("one outside and one inside is a single match") {
    const auto one = f.run(typed(f, "Hauptstraße 1"),
                           geocoded(GeocodeOutcome::Ambiguous, {kFarAway, kBahnhof}));
    CHECK(one.next.state == "report_nearby");
    CHECK(one.next.draft.address_text == kBahnhof.label);
  }
}

TEST_CASE("flows: picking a candidate takes its point and checks duplicates") {
  Fixture f;
  Draft d = graffitiDraft();
  d.address_choices = {kMarienplatz, kBahnhof};
  for (const Event& e : {choice("addr:2"), text("addr:2")}) {
    const auto r = f.run(at(State::ReportAddressChoice, d), e);
    CHECK(r.next.state == "report_nearby");
    CHECK(r.next.draft.address_text == kBahnhof.label);
    CHECK(r.next.draft.district_id == "sued");
    CHECK(r.next.draft.address_choices.empty());
    CHECK(findEffect<LookupNearby>(r) != nullptr);
  }
  SUBCASE("a number nobody offered is unknown input") {
    const auto r = f.run(at(State::ReportAddressChoice, d), choice("addr:3"));
    CHECK(r.next.state == "report_address_choice");
    CHECK(onlyReply(r).key == "help.report_address_choice");
    CHECK(choiceIds(onlyReply(r)) == std::vector<std::string>{"addr:1", "addr:2", "addr:none", "cancel"});
  }
  SUBCASE("none of these asks for the address again") {
    const auto r = f.run(at(State::ReportAddressChoice, d), choice("addr:none"));
    CHECK(r.next.state == "report_location");
    CHECK(onlyReply(r).key == "location.not_found");
    CHECK(r.next.draft.address_choices.empty());
  }
  SUBCASE("zurück asks for the address again") {
    const auto r = f.run(at(State::ReportAddressChoice, d), text("zurück"));
    CHECK(r.next.state == "report_location");
  }
  SUBCASE("a new text is looked up again") {
    const auto r = f.run(at(State::ReportAddressChoice, d), text("Bahnhofstraße 12"));
    CHECK(r.next.state == "report_geocode");
    CHECK(findEffect<Geocode>(r)->text == "Bahnhofstraße 12");
  }
  SUBCASE("a pin instead of a choice") {
    const auto r = f.run(at(State::ReportAddressChoice, d), location(kInSouth));
    CHECK(r.next.state == "report_nearby");
    const auto outside = f.run(at(State::ReportAddressChoice, d), location(kOutside));
    CHECK(outside.next.state == "report_address_choice");
    CHECK(onlyReply(outside).key == "location.outside");
  }
}

TEST_CASE("flows: an unknown address is asked again with an example, then kept unconfirmed") {
  Fixture f;
  const auto first = f.run(typed(f, "ca. 30 cm"), geocoded(GeocodeOutcome::NotFound));
  CHECK(first.next.state == "report_location");
  CHECK(onlyReply(first).key == "location.not_found");
  CHECK(onlyReply(first).text.find("Marienplatz 1") != std::string::npos);
  CHECK(onlyReply(first).request_location);
  CHECK(first.next.draft.address_tries == 1);
  // The second try: typed again, still unknown.
  const auto again = f.run(first.next, text("Schlossallee 3"));
  REQUIRE(again.next.state == "report_geocode");
  const auto second = f.run(again.next, geocoded(GeocodeOutcome::NotFound));
  CHECK(second.next.state == "report_photo");
  CHECK(replyKeys(second) == std::vector<std::string>{"location.unconfirmed", "photo.prompt"});
  CHECK(second.next.draft.address_text == "Schlossallee 3");
  CHECK(second.next.draft.address_unconfirmed);
  CHECK_FALSE(second.next.draft.location.has_value());
  SUBCASE("the summary marks it unbestätigt") {
    Draft d = second.next.draft;
    const auto s = f.run(at(State::ReportDescription, d), choice("skip"));
    CHECK(onlyReply(s).text.find("Schlossallee 3 (unbestätigt)") != std::string::npos);
  }
}

TEST_CASE("flows: while editing, the gazetteer's answers return to the summary") {
  Fixture f;
  SUBCASE("found") {
    const auto r = f.run(typed(f, "Bahnhofstr 12", State::EditLocation, summaryDraft()),
                         geocoded(GeocodeOutcome::Found, {kBahnhof}));
    CHECK(r.next.state == "report_summary");
    CHECK(r.next.draft.address_text == kBahnhof.label);
    CHECK(r.next.draft.district_id == "sued");
    CHECK_FALSE(r.next.draft.editing_location);
    CHECK(onlyReply(r).key == "summary.text");
  }
  SUBCASE("another town") {
    const auto r = f.run(typed(f, "Leopoldstraße 10, 80802 München", State::EditLocation,
                               summaryDraft()),
                         geocoded(GeocodeOutcome::Elsewhere));
    CHECK(r.next.state == "edit_location");
    CHECK(onlyReply(r).key == "location.outside");
    CHECK(r.next.draft.address_text == "bei Marienplatz 1, ca. 20 m");  // unchanged
  }
  SUBCASE("unknown once, then twice") {
    const auto r = f.run(typed(f, "xyz 1", State::EditLocation, summaryDraft()),
                         geocoded(GeocodeOutcome::NotFound));
    CHECK(r.next.state == "edit_location");
    CHECK(onlyReply(r).key == "location.not_found");
    const auto again = f.run(r.next, text("xyz 2"));
    const auto kept = f.run(again.next, geocoded(GeocodeOutcome::NotFound));
    CHECK(kept.next.state == "report_summary");
    CHECK(kept.next.draft.address_unconfirmed);
    CHECK(kept.next.draft.address_text == "xyz 2");
  }
  SUBCASE("ambiguous, then a pick") {
    const auto r = f.run(typed(f, "Hauptstraße", State::EditLocation, summaryDraft()),
                         geocoded(GeocodeOutcome::Ambiguous, {kMarienplatz, kBahnhof}));
    CHECK(r.next.state == "report_address_choice");
    const auto picked = f.run(r.next, choice("addr:1"));
    CHECK(picked.next.state == "report_summary");
    CHECK(picked.next.draft.address_text == kMarienplatz.label);
    const auto none = f.run(r.next, choice("addr:none"));
    CHECK(none.next.state == "edit_location");
  }
}

TEST_CASE("flows: a pin is shown as its nearest address") {
  Fixture f;
  Event pin = location(kInNorth);
  pin.near = GeoCandidate{"Marienplatz 1", kInNorth};
  pin.near_m = 19.6;
  const auto r = f.run(at(State::ReportLocation, graffitiDraft()), pin);
  CHECK(r.next.state == "report_nearby");
  CHECK(r.next.draft.address_text == "bei Marienplatz 1, ca. 20 m");
  SUBCASE("a pin within a few metres is at the address") {
    Event at_door = location(kInNorth);
    at_door.near = GeoCandidate{"Marienplatz 1", kInNorth};
    at_door.near_m = 4;
    const auto door = f.run(at(State::ReportLocation, graffitiDraft()), at_door);
    CHECK(door.next.draft.address_text == "Marienplatz 1");
  }
  SUBCASE("no address near it: the point") {
    const auto plain = f.run(at(State::ReportLocation, graffitiDraft()), location(kInNorth));
    CHECK(plain.next.draft.address_text.empty());
  }
  SUBCASE("the summary shows it") {
    const auto s = f.run(at(State::ReportDescription, r.next.draft), choice("skip"));
    CHECK(onlyReply(s).text.find("Ort: bei Marienplatz 1, ca. 20 m") != std::string::npos);
  }
}

TEST_CASE("flows: a late gazetteer answer in another state is ignored") {
  Fixture f;
  const auto r = f.run(at(State::ReportPhoto, potholeDraft()), geocoded(GeocodeOutcome::NotFound));
  CHECK(r.next.state == "report_photo");
  CHECK(r.effects.empty());
}

}  // namespace bb::flows::testing
