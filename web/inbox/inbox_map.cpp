#include "web/inbox/inbox_map.hpp"

#include "bot/log.hpp"
#include "web/html.hpp"
#include "web/inbox/ticket_map.hpp"
#include "web/inbox/views.hpp"

namespace bb::web {
namespace {

//! The gazetteer's streets, or none (a map without streets is still a map).
geo::StreetLines streetsOf(Engine& engine) {
  geo::Gazetteer* gazetteer = engine.gazetteer();
  if (gazetteer == nullptr) { return nullptr; }
  auto lines = gazetteer->streetLines();
  if (!lines) {
    log::warn("inbox_map_streets_unavailable", {{"code", toString(lines.error().code)}});
    return nullptr;
  }
  return *lines;
}

map::Layers layersOf(const FlowData& flows, const geo::StreetLines& streets) {
  map::Layers layers;
  layers.boundary = &flows.geo.boundary;
  layers.districts = &flows.geo.districts;
  layers.streets = streets.get();
  return layers;
}

}  // namespace

std::string InboxMap::attribution() const {
  if (tiles_.url.empty() || tiles_.attribution.empty()) { return ""; }
  return "<p class=\"hint map-attribution\">" + escapeHtml(tiles_.attribution) + "</p>";
}

std::string InboxMap::listSection(
    const std::vector<TicketPlace>& places, const std::optional<MapArea>& area,
    const std::function<std::string(const MapArea&)>& cluster_link) const {
  const FlowData& flows = engine_.flowData();
  const bool truncated = places.size() > static_cast<std::size_t>(kMaxPlaces);
  std::vector<map::Pin> pins;
  for (std::size_t i = 0; i < places.size() && i < static_cast<std::size_t>(kMaxPlaces); ++i) {
    const TicketPlace& p = places[i];
    pins.push_back(map::Pin{p.number, p.status, views::statusLabel(flows, p.status), {p.lat, p.lon}});
  }
  const auto shown = area ? area : map::townArea(flows.geo.boundary, pins);
  if (!shown) { return ""; }
  const geo::StreetLines streets = streetsOf(engine_);
  map::View view;
  view.area = *shown;
  view.title = "Karte der " + std::to_string(pins.size()) + " Meldungen dieser Auswahl mit Ort";
  view.cluster_link = cluster_link;
  view.tiles = tiles_;
  std::string out = "<section class=\"map-panel\" aria-labelledby=\"map-heading\"><h2 id=\"map-heading\">"
                    "Karte</h2>" + map::renderSvg(layersOf(flows, streets), pins, view) +
                    map::legend(pins) + attribution();
  out += "<p class=\"hint\">" + std::to_string(pins.size()) +
         (pins.size() == 1 ? " Meldung" : " Meldungen") + " mit Ort" +
         (truncated ? " (die ersten " + std::to_string(kMaxPlaces) + " dieser Auswahl)" : "") +
         "; Meldungen ohne Ort stehen nur in der Liste.</p>";
  return out + "</section>";
}

std::string InboxMap::placeFigure(const TicketRecord& t) const {
  if (!t.lat || !t.lon) { return ""; }
  const FlowData& flows = engine_.flowData();
  const std::vector<map::Pin> pins = {
      map::Pin{t.number, t.status, views::statusLabel(flows, t.status), {*t.lat, *t.lon}}};
  const geo::StreetLines streets = streetsOf(engine_);
  map::View view;
  view.area = map::around(geo::LatLon{*t.lat, *t.lon}, 250);
  view.title = "Ort der Meldung " + std::to_string(t.number);
  view.focus = t.number;
  view.limits.min_height = 220;
  view.limits.max_height = 360;
  view.tiles = tiles_;
  return "<figure class=\"place-map\">" + map::renderSvg(layersOf(flows, streets), pins, view) +
         attribution() + "</figure>";
}

}  // namespace bb::web
