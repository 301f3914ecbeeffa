#pragma once
// Shared fixture for the flow tests: the real text catalogs from config/texts, a small
// hand-made category list and a square city with two districts.

#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

#include "flows/conversation.hpp"
#include "flows/flow_types.hpp"

#ifndef BB_SOURCE_DIR
#error "BB_SOURCE_DIR must point at the repository root"
#endif

namespace bb::flows::testing {

using namespace std::chrono_literals;

inline nlohmann::json readJson(const std::string& relative) {
  std::ifstream in(std::string(BB_SOURCE_DIR) + "/" + relative);
  REQUIRE_MESSAGE(in.good(), "cannot open " << relative);
  return nlohmann::json::parse(in);
}

inline const TextCatalog& catalog() {
  static const TextCatalog texts = [] {
    TextCatalog t;
    for (const auto& [lang, file] : {std::pair{Lang::De, "config/texts/de.json"},
                                     std::pair{Lang::En, "config/texts/en.json"}}) {
      const nlohmann::json json = readJson(file);
      for (const auto& [key, value] : json.items()) {
        t.set(lang, key, value.get<std::string>());
      }
    }
    return t;
  }();
  return texts;
}

inline Polygon square(double lat0, double lon0, double lat1, double lon1) {
  return Polygon{{{lat0, lon0}, {lat0, lon1}, {lat1, lon1}, {lat1, lon0}}};
}

// City: lat 48.00..48.10, lon 11.90..12.00. District "nord" (own department) is the northern
// half, district "sued" (no department) the southern half.
inline constexpr Point kInNorth{48.07, 11.95};
inline constexpr Point kInSouth{48.02, 11.95};
inline constexpr Point kOutside{48.20, 11.95};

inline SysTime t0() {
  return SysTime{} + std::chrono::hours(24 * 365 * 55);  // some fixed day in 2025
}

struct Fixture {
  std::vector<Category> categories;
  Geo geo;
  Context ctx;

  Fixture() {
    Category pothole;
    pothole.id = "schlagloch";
    pothole.department = "tiefbau";
    pothole.label = {{Lang::De, "Schlagloch/Straßenschaden"}, {Lang::En, "Pothole/road damage"}};
    pothole.question = {{Lang::De, "Wie groß ist das Schlagloch ungefähr?"},
                        {Lang::En, "Roughly how big is the pothole?"}};
    pothole.notice = {{Lang::De, "Bei Gefahr: 110 oder 112."}, {Lang::En, "In danger: 112."}};
    pothole.district_routing = true;
    Category graffiti;
    graffiti.id = "graffiti";
    graffiti.department = "bauhof";
    graffiti.label = {{Lang::De, "Graffiti"}, {Lang::En, "Graffiti"}};
    Category trees;
    trees.id = "baeume";
    trees.department = "stadtgruen";
    trees.label = {{Lang::De, "Bäume/Grünflächen"}, {Lang::En, "Trees/green spaces"}};
    trees.district_routing = true;
    categories = {pothole, graffiti, trees};

    geo.boundary = {square(48.0, 11.9, 48.1, 12.0)};
    geo.districts = {
        District{"nord", "Nord", "bauhof_nord", {square(48.05, 11.9, 48.1, 12.0)}},
        District{"sued", "Süd", "", {square(48.0, 11.9, 48.05, 12.0)}},
    };

    ctx.now = t0();
    ctx.texts = &catalog();
    ctx.categories = &categories;
    ctx.geo = &geo;
    ctx.settings.privacy_notice_url = "https://example.org/datenschutz";
    ctx.settings.privacy_notice_version = 2;
  }

  //! One step, with the checks every step must pass: the new activity time is set and every
  //! reply uses a key both catalogs have, with all placeholders filled.
  StepResult run(const Conversation& conversation, const Event& event) const {
    StepResult result = step(conversation, event, ctx);
    CHECK(result.next.last_activity == ctx.now);
    for (const Effect& effect : result.effects) {
      if (const auto* reply = std::get_if<Reply>(&effect)) {
        INFO("reply key " << reply->key);
        CHECK(catalog().has(Lang::De, reply->key));
        CHECK(catalog().has(Lang::En, reply->key));
        CHECK(reply->text != reply->key);
        CHECK(reply->text.find("{") == std::string::npos);
        for (const Choice& c : reply->choices) {
          CHECK_FALSE(c.id.empty());
          CHECK_FALSE(c.label.empty());
          CHECK(c.label.rfind("choice.", 0) != 0);
        }
      }
    }
    return result;
  }
};

//! A consented conversation in `state`, last active a minute ago.
inline Conversation at(State state, Draft draft = {}, Lang lang = Lang::De) {
  Conversation c;
  c.state = toString(state);
  c.lang = lang;
  c.consent_version = 2;
  c.draft = std::move(draft);
  c.last_activity = t0() - 1min;
  return c;
}

//! A draft with the pothole category and a point in the north district.
inline Draft potholeDraft() {
  Draft d;
  d.category_id = "schlagloch";
  d.location = kInNorth;
  d.district_id = "nord";
  d.department = "bauhof_nord";
  return d;
}

inline Event text(std::string s) {
  Event e;
  e.kind = EventKind::Text;
  e.text = std::move(s);
  return e;
}
inline Event choice(std::string id) {
  Event e;
  e.kind = EventKind::Choice;
  e.choice_id = std::move(id);
  return e;
}
inline Event location(Point p) {
  Event e;
  e.kind = EventKind::Location;
  e.location = p;
  return e;
}
inline Event image(std::string mediaId) {
  Event e;
  e.kind = EventKind::Image;
  e.media_id = std::move(mediaId);
  return e;
}
inline Event unsupported() {
  Event e;
  e.kind = EventKind::Unsupported;
  return e;
}
inline Event nearby(std::vector<NearbyTicket> tickets) {
  Event e;
  e.kind = EventKind::NearbyResult;
  e.nearby = std::move(tickets);
  return e;
}
//! The engine's answer to Geocode.
inline Event geocoded(GeocodeOutcome outcome, std::vector<GeoCandidate> places = {}) {
  Event e;
  e.kind = EventKind::GeocodeResult;
  e.geocode = outcome;
  e.places = std::move(places);
  return e;
}
inline Event rejected(std::string mediaId) {
  Event e;
  e.kind = EventKind::MediaRejected;
  e.media_id = std::move(mediaId);
  return e;
}

inline std::vector<const Reply*> replies(const StepResult& r) {
  std::vector<const Reply*> out;
  for (const Effect& effect : r.effects) {
    if (const auto* reply = std::get_if<Reply>(&effect)) {
      out.push_back(reply);
    }
  }
  return out;
}

inline std::vector<std::string> replyKeys(const StepResult& r) {
  std::vector<std::string> keys;
  for (const Reply* reply : replies(r)) {
    keys.push_back(reply->key);
  }
  return keys;
}

//! The only reply of a step (fails the test when there is not exactly one).
inline Reply onlyReply(const StepResult& r) {
  const auto all = replies(r);
  REQUIRE(all.size() == 1);
  return *all.front();
}

template <class T>
const T* findEffect(const StepResult& r) {
  for (const Effect& effect : r.effects) {
    if (const auto* e = std::get_if<T>(&effect)) {
      return e;
    }
  }
  return nullptr;
}

inline std::vector<std::string> choiceIds(const Reply& reply) {
  std::vector<std::string> ids;
  for (const Choice& c : reply.choices) {
    ids.push_back(c.id);
  }
  return ids;
}

}  // namespace bb::flows::testing
