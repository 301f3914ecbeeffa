#include "tests/flows/flow_test_support.hpp"

#include <algorithm>
#include <set>

namespace bb::flows::testing {

TEST_CASE("flows: lang round-trips through its string") {
  CHECK(std::string(toString(Lang::De)) == "de");
  CHECK(std::string(toString(Lang::En)) == "en");
  CHECK((langFromString("de") == Lang::De));
  CHECK((langFromString("en") == Lang::En));
  CHECK_FALSE(langFromString("fr").has_value());
  CHECK_FALSE(langFromString("").has_value());
}

TEST_CASE("flows: every state name round-trips and unknown names are rejected") {
  const State all[] = {State::New,          State::Consent,          State::Menu,
                       State::ReportCategory, State::ReportLocation,  State::ReportNearby,
                       State::ReportDuplicate, State::ReportPhoto,   State::ReportQuestion,
                       State::ReportDescription, State::ReportSummary, State::ReportChange,
                       State::EditCategory,  State::EditQuestion,    State::EditLocation,
                       State::EditPhotos,    State::EditDescription, State::LetterText,
                       State::LetterConfirm};
  std::set<std::string> names;
  for (State s : all) {
    const std::string name = toString(s);
    names.insert(name);
    CHECK((stateFromString(name) == s));
  }
  CHECK(names.size() == std::size(all));
  CHECK(std::string(toString(State::ReportPhoto)) == "report_photo");
  CHECK_FALSE(stateFromString("Report_Photo").has_value());
  CHECK_FALSE(isDraftState(State::Menu));
  CHECK_FALSE(isDraftState(State::Consent));
  CHECK(isDraftState(State::ReportCategory));
  CHECK(isDraftState(State::EditPhotos));
  CHECK(isDraftState(State::LetterConfirm));
}

TEST_CASE("flows: the engine can offer the main menu in either language") {
  const auto de = mainMenuChoices(Lang::De, catalog());
  const auto en = mainMenuChoices(Lang::En, catalog());
  // A WhatsApp list holds at most 10 rows; features add their own entries (subscriptions).
  REQUIRE(de.size() == en.size());
  REQUIRE(de.size() >= 6);
  CHECK(de.size() <= 10);
  CHECK(de[0].id == "report");
  CHECK(de[0].label == "Mangel melden");
  CHECK(en[0].label == "Report a problem");
  CHECK(en.back().id == "language");
  CHECK(std::any_of(de.begin(), de.end(), [](const Choice& c) { return c.id == "subscriptions"; }));
}

TEST_CASE("flows: a channel variant of a text is preferred, per language, before the plain key") {
  TextCatalog t;
  t.set(Lang::De, "location.prompt", "Wo? (📎 → Standort)");
  t.set(Lang::De, "location.prompt@webchat", "Wo? Tippen Sie auf „Standort senden“, {name}.");
  t.set(Lang::En, "location.prompt", "Where? (📎 → Location)");
  CHECK(t.render(Lang::De, "location.prompt", {{"name", "Anna"}}, "webchat") ==
        "Wo? Tippen Sie auf „Standort senden“, Anna.");
  CHECK(t.render(Lang::De, "location.prompt", {}, "whatsapp") == "Wo? (📎 → Standort)");
  CHECK(t.render(Lang::De, "location.prompt") == "Wo? (📎 → Standort)");
  // English has no web-chat variant: its plain text beats the German variant.
  CHECK(t.render(Lang::En, "location.prompt", {}, "webchat") == "Where? (📎 → Location)");
  // A key only German has a variant for, asked in English, falls back to the German variant.
  t.set(Lang::De, "only_de@webchat", "Nur im Web-Chat");
  t.set(Lang::De, "only_de", "Nur deutsch");
  CHECK(t.render(Lang::En, "only_de", {}, "webchat") == "Nur im Web-Chat");
}

TEST_CASE("flows: text catalog renders params, falls back to German, then to the key") {
  TextCatalog t;
  t.set(Lang::De, "hello", "Hallo {name}, Nr. {number} ({number})");
  t.set(Lang::En, "hello", "Hello {name}");
  t.set(Lang::De, "only_de", "Nur deutsch");
  CHECK(t.render(Lang::De, "hello", {{"name", "Anna"}, {"number", "7"}}) ==
        "Hallo Anna, Nr. 7 (7)");
  CHECK(t.render(Lang::En, "hello", {{"name", "Anna"}}) == "Hello Anna");
  CHECK(t.render(Lang::En, "only_de") == "Nur deutsch");
  CHECK(t.render(Lang::En, "missing.key") == "missing.key");
  CHECK(t.has(Lang::De, "only_de"));
  CHECK_FALSE(t.has(Lang::En, "only_de"));
  SUBCASE("unknown placeholders and unbalanced braces stay as they are") {
    t.set(Lang::De, "odd", "a {unknown} b { c");
    CHECK(t.render(Lang::De, "odd", {{"x", "y"}}) == "a {unknown} b { c");
  }
  SUBCASE("a parameter value is not expanded again") {
    CHECK(t.render(Lang::En, "hello", {{"name", "{name}"}}) == "Hello {name}");
  }
}

TEST_CASE("flows: point in polygon by ray casting") {
  const Polygon sq = square(48.0, 11.9, 48.1, 12.0);
  CHECK(contains(sq, {48.05, 11.95}));
  CHECK_FALSE(contains(sq, {48.15, 11.95}));
  CHECK_FALSE(contains(sq, {48.05, 12.05}));
  CHECK_FALSE(contains(sq, {47.99, 11.89}));
  SUBCASE("concave polygon: the notch is outside") {
    // A "U": the notch between lon 11.93 and 11.97 above lat 48.03 is not part of it.
    const Polygon u{{{48.0, 11.9},
                     {48.0, 12.0},
                     {48.1, 12.0},
                     {48.1, 11.97},
                     {48.03, 11.97},
                     {48.03, 11.93},
                     {48.1, 11.93},
                     {48.1, 11.9}}};
    CHECK(contains(u, {48.05, 11.91}));
    CHECK(contains(u, {48.05, 11.99}));
    CHECK(contains(u, {48.01, 11.95}));
    CHECK_FALSE(contains(u, {48.05, 11.95}));
  }
  SUBCASE("closed ring and degenerate polygons") {
    Polygon closed = sq;
    closed.ring.push_back(closed.ring.front());
    CHECK(contains(closed, {48.05, 11.95}));
    CHECK_FALSE(contains(Polygon{}, {48.05, 11.95}));
    CHECK_FALSE(contains(Polygon{{{48.0, 11.9}, {48.1, 12.0}}}, {48.05, 11.95}));
  }
  SUBCASE("an area is the union of its polygons") {
    const std::vector<Polygon> area{square(0, 0, 1, 1), square(10, 10, 11, 11)};
    CHECK(contains(area, {10.5, 10.5}));
    CHECK(contains(area, {0.5, 0.5}));
    CHECK_FALSE(contains(area, {5, 5}));
    CHECK_FALSE(contains(std::vector<Polygon>{}, {0.5, 0.5}));
  }
}

TEST_CASE("flows: haversine distance") {
  CHECK(distanceMeters({48.0, 11.9}, {48.0, 11.9}) == doctest::Approx(0.0));
  // One degree of latitude is about 111.2 km.
  CHECK(distanceMeters({48.0, 11.9}, {49.0, 11.9}) == doctest::Approx(111195).epsilon(0.001));
  // Munich Marienplatz → Ebersberg Marienplatz: about 30.6 km.
  const double d = distanceMeters({48.1374, 11.5755}, {48.0777, 11.9706});
  CHECK(d > 29500);
  CHECK(d < 30500);
  CHECK(distanceMeters({48.0777, 11.9706}, {48.1374, 11.5755}) == doctest::Approx(d));
}

TEST_CASE("flows: German and English texts have the same keys and placeholders") {
  const auto de = readJson("config/texts/de.json");
  const auto en = readJson("config/texts/en.json");
  REQUIRE(de.is_object());
  REQUIRE(en.is_object());
  CHECK(de.size() == en.size());
  const auto placeholders = [](const std::string& s) {
    std::set<std::string> names;
    for (std::size_t open = s.find('{'); open != std::string::npos; open = s.find('{', open + 1)) {
      const std::size_t close = s.find('}', open);
      if (close != std::string::npos) {
        names.insert(s.substr(open + 1, close - open - 1));
      }
    }
    return names;
  };
  for (const auto& [key, value] : de.items()) {
    INFO("key " << key);
    REQUIRE(en.contains(key));
    CHECK_FALSE(value.get<std::string>().empty());
    CHECK(placeholders(value.get<std::string>()) == placeholders(en.at(key).get<std::string>()));
  }
  // What the engine renders for the effects it runs.
  for (const char* key : {"ticket.created", "ticket.followed", "ticket.status_changed",
                          "letter.sent", "status.reply", "status.unknown_ticket",
                          "my_tickets.header", "my_tickets.item", "my_tickets.none", "stop.question",
                          "status.eingegangen", "status.in_pruefung", "status.in_bearbeitung",
                          "status.eingeplant", "status.erledigt", "status.nicht_zustaendig",
                          "status.duplikat", "status.geschlossen"}) {
    INFO("key " << key);
    CHECK(de.contains(key));
  }
  CHECK(placeholders(de.at("ticket.created").get<std::string>()) ==
        std::set<std::string>{"number"});
  CHECK(placeholders(de.at("status.reply").get<std::string>()) ==
        std::set<std::string>{"number", "status", "category"});
  CHECK(placeholders(de.at("ticket.status_changed").get<std::string>()) ==
        std::set<std::string>{"number", "status", "note"});
}

TEST_CASE("flows: shipped categories are complete") {
  const auto cats = readJson("config/categories.json");
  REQUIRE(cats.is_array());
  std::set<std::string> ids;
  for (const auto& c : cats) {
    const std::string id = c.at("id").get<std::string>();
    INFO("category " << id);
    ids.insert(id);
    CHECK_FALSE(c.at("department").get<std::string>().empty());
    CHECK_FALSE(c.at("label").at("de").get<std::string>().empty());
    CHECK_FALSE(c.at("label").at("en").get<std::string>().empty());
    CHECK(c.at("district_routing").is_boolean());
    CHECK(c.at("target_days").get<int>() > 0);
    for (const char* optional : {"question", "notice"}) {
      if (const auto it = c.find(optional); it != c.end()) {
        CHECK(it->contains("de"));
        CHECK(it->contains("en"));
      }
    }
  }
  CHECK(ids == std::set<std::string>{"schlagloch", "strassenbeleuchtung", "muell", "graffiti",
                                     "verkehrszeichen", "spielplatz", "baeume", "sonstiges"});
  const auto pothole = cats.at(0);
  CHECK(pothole.at("id") == "schlagloch");
  CHECK(pothole.at("question").at("de") == "Wie groß ist das Schlagloch ungefähr?");
  CHECK(pothole.at("notice").at("de").get<std::string>().find("112") != std::string::npos);
}

}  // namespace bb::flows::testing
