// The inbox map: the SVG drawing (pins, clusters, no foreign URLs, bounded size with a
// city-sized gazetteer), the street lines built from the gazetteer's addresses, and the list and
// ticket pages that show it.

#include "web/inbox_fixture.hpp"

#include <chrono>
#include <set>

#include "bot/geo/street_lines.hpp"
#include "support/stores_of.hpp"
#include "web/inbox/ticket_map.hpp"

namespace bb::test {
namespace {

using web::map::Pin;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

int occurrences(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

//! Every href="..." of a piece of HTML/SVG.
std::vector<std::string> hrefs(const std::string& html) {
  static const std::regex kHref(R"re(href="([^"]*)")re");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), kHref); it != std::sregex_iterator();
       ++it) {
    out.push_back((*it)[1].str());
  }
  return out;
}

//! The ticket numbers of the drawn pins and the counts of the drawn clusters.
struct Marks {
  std::vector<std::int64_t> pins;
  std::vector<int> clusters;
  int total() const {
    int n = static_cast<int>(pins.size());
    for (int c : clusters) { n += c; }
    return n;
  }
};

Marks marksOf(const std::string& svg) {
  static const std::regex kPin(R"re(class="pin [^"]*" data-ticket="([0-9]+)")re");
  static const std::regex kCluster(R"re(class="cluster [^"]*" data-count="([0-9]+)")re");
  Marks m;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), kPin); it != std::sregex_iterator();
       ++it) {
    m.pins.push_back(std::stoll((*it)[1].str()));
  }
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), kCluster);
       it != std::sregex_iterator(); ++it) {
    m.clusters.push_back(std::stoi((*it)[1].str()));
  }
  return m;
}

std::string unescapeAmp(std::string s) {
  for (auto pos = s.find("&amp;"); pos != std::string::npos; pos = s.find("&amp;", pos + 1)) {
    s.replace(pos, 5, "&");
  }
  return s;
}

//! The demo town's layers (config/ebersberg, as the harness loads them).
web::map::Layers demoLayers(const FlowData& flows, const std::vector<geo::StreetLine>* streets) {
  return web::map::Layers{&flows.geo.boundary, &flows.geo.districts, streets};
}

//! A synthetic city of `streets` × `per_street` addresses on a grid over about 8 × 8 km.
std::vector<geo::StreetPoints> syntheticCity(int streets, int per_street) {
  std::vector<geo::StreetPoints> out;
  for (int s = 0; s < streets; ++s) {
    geo::StreetPoints street;
    street.name = "Teststraße " + std::to_string(s);
    const bool east_west = s % 2 == 0;
    const double base_lat = 48.04 + 0.07 * ((s * 37) % streets) / streets;
    const double base_lon = 11.92 + 0.1 * ((s * 53) % streets) / streets;
    for (int i = 0; i < per_street; ++i) {
      const double along = 0.00025 * i;
      const double side = (i % 2 == 0 ? 1 : -1) * 0.00008;  // houses on both sides
      street.points.push_back(east_west ? geo::LatLon{base_lat + side, base_lon + along}
                                        : geo::LatLon{base_lat + along, base_lon + side});
    }
    out.push_back(std::move(street));
  }
  return out;
}

TEST_CASE_TEMPLATE("inbox map: one pin per located ticket, titled, and no URL but the ticket links", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  EngineHarness h(B::backend);
  std::vector<Pin> pins;
  // Twelve tickets on a 4 × 3 grid about 800 m apart: none share a grid cell of the drawing.
  for (int i = 0; i < 12; ++i) {
    pins.push_back(Pin{1000 + i, i % 2 == 0 ? "eingegangen" : "in_bearbeitung",
                       i % 2 == 0 ? "Eingegangen" : "In Bearbeitung",
                       geo::LatLon{48.055 + 0.007 * (i / 4), 11.935 + 0.011 * (i % 4)}});
  }
  web::map::View view;
  view.area = *web::map::townArea(h.flows.geo.boundary, pins);
  view.title = "Karte der Meldungen";
  view.cluster_link = [](const MapArea& a) { return "/inbox?gebiet=" + web::map::formatArea(a); };
  const std::string svg = web::map::renderSvg(demoLayers(h.flows, nullptr), pins, view);

  CHECK(svg.rfind("<svg class=\"ticket-map\"", 0) == 0);
  CHECK(contains(svg, "<title>Karte der Meldungen</title>"));
  CHECK(contains(svg, "class=\"boundary\""));
  CHECK(occurrences(svg, "class=\"district\"") == 2);
  CHECK(contains(svg, ">Oberndorf</text>"));
  const Marks marks = marksOf(svg);
  CHECK(marks.clusters.empty());
  REQUIRE(marks.pins.size() == pins.size());
  for (const Pin& p : pins) {
    const std::string n = std::to_string(p.number);
    CHECK(std::count(marks.pins.begin(), marks.pins.end(), p.number) == 1);
    CHECK(contains(svg, "<a href=\"/inbox/tickets/" + n + "\" class=\"pin st-" + p.status));
    CHECK(contains(svg, "<title>Meldung " + n + ": " + p.status_label + "</title>"));
  }
  CHECK_FALSE(contains(svg, "http"));
  CHECK_FALSE(contains(svg, "//"));
  for (const auto& href : hrefs(svg)) { CHECK(href.rfind("/inbox/tickets/", 0) == 0); }
  CHECK(hrefs(svg).size() == pins.size());
  // The legend names each status shown, in German.
  const std::string legend = web::map::legend(pins);
  CHECK(contains(legend, "st-eingegangen\"></span>Eingegangen"));
  CHECK(contains(legend, "st-in_bearbeitung\"></span>In Bearbeitung"));
  CHECK(contains(legend, "mehrere Meldungen nah beieinander"));
}

TEST_CASE_TEMPLATE("inbox map: dense pins become one cluster with their count, linking the list narrowed "
          "to them", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  EngineHarness h(B::backend);
  std::vector<Pin> pins;
  for (int i = 0; i < 5; ++i) {  // five reports within 20 m of the Marienplatz
    pins.push_back(Pin{200 + i, i == 0 ? "erledigt" : "eingegangen", i == 0 ? "Erledigt" : "Eingegangen",
                       geo::LatLon{48.0777 + 0.00003 * i, 11.9706 + 0.00004 * i}});
  }
  pins.push_back(Pin{300, "eingegangen", "Eingegangen", geo::LatLon{48.05, 12.01}});  // Oberndorf
  web::map::View view;
  view.area = *web::map::townArea(h.flows.geo.boundary, pins);
  view.title = "Karte";
  view.cluster_link = [](const MapArea& a) {
    return "/inbox?status=open&gebiet=" + web::map::formatArea(a);
  };
  const std::string svg = web::map::renderSvg(demoLayers(h.flows, nullptr), pins, view);
  const Marks marks = marksOf(svg);
  CHECK(marks.pins == std::vector<std::int64_t>{300});
  REQUIRE(marks.clusters == std::vector<int>{5});
  CHECK(marks.total() == 6);
  CHECK(contains(svg, "class=\"cluster st-mixed\""));
  CHECK(contains(svg, "<title>5 Meldungen (1 Erledigt, 4 Eingegangen): in der Liste zeigen</title>"));
  CHECK(contains(svg, ">5</text>"));
  // The cluster's link narrows the list to an area that holds each of its five tickets.
  static const std::regex kLink(R"re(<a href="/inbox\?status=open&amp;gebiet=([^"]+)" class="cluster)re");
  std::smatch m;
  REQUIRE(std::regex_search(svg, m, kLink));
  const auto area = web::map::parseArea(m[1].str());
  REQUIRE(area);
  for (int i = 0; i < 5; ++i) {
    CHECK(pins[i].at.lat > area->south);
    CHECK(pins[i].at.lat < area->north);
    CHECK(pins[i].at.lon > area->west);
    CHECK(pins[i].at.lon < area->east);
  }
  CHECK_FALSE(pins[5].at.lon < area->east);
  CHECK_FALSE(contains(svg, "http"));
}

TEST_CASE("inbox map: the area parameter takes four numbers of a sensible area, nothing else") {
  const auto a = web::map::parseArea("48.07700,11.96000,48.08000,11.97500");
  REQUIRE(a);
  CHECK(a->south == doctest::Approx(48.077));
  CHECK(a->east == doctest::Approx(11.975));
  CHECK(web::map::formatArea(*a) == "48.07700,11.96000,48.08000,11.97500");
  for (const std::string bad :
       {"", "1,2,3", "48,11,47,12", "48,12,49,11", "48,11,49,12,5", "48,11,50,12", "x,11,49,12",
        "48,11,49,12x", "nan,11,49,12", "48,11,inf,12", "-91,11,-90,12", "48 ,11,49,12 "}) {
    CAPTURE(bad);
    CHECK_FALSE(web::map::parseArea(bad));
  }
}

TEST_CASE("inbox map: street lines follow the addresses along the street and split at gaps") {
  geo::StreetPoints street{"Eberhardstraße", {}};
  // Shuffled points on an east–west street, houses on both sides, with a 400 m gap after the
  // fifth house.
  for (int i : {3, 0, 7, 1, 9, 4, 2, 8, 6, 5}) {
    const double lon = 11.96 + 0.0003 * i + (i >= 5 ? 0.0055 : 0);
    street.points.push_back(geo::LatLon{48.077 + (i % 2 == 0 ? 0.00008 : -0.00008), lon});
  }
  const auto lines = geo::buildStreetLines({street, geo::StreetPoints{"Am Priel", {{48.076, 11.972}}}});
  REQUIRE(lines.size() == 2);  // the single point of "Am Priel" draws nothing
  for (const auto& line : lines) {
    CHECK(line.name == "Eberhardstraße");
    REQUIRE(line.points.size() == 5);
    for (std::size_t i = 1; i < line.points.size(); ++i) {
      CHECK(line.points[i].lon > line.points[i - 1].lon);  // in order along the street
    }
    // Smoothed: the inner points lie closer to the street's middle than the houses do.
    for (std::size_t i = 1; i + 1 < line.points.size(); ++i) {
      CHECK(std::abs(line.points[i].lat - 48.077) < 0.00005);
    }
  }
  CHECK(lines[0].points.back().lon < lines[1].points.front().lon);
}

TEST_CASE_TEMPLATE("inbox map: a city-sized gazetteer keeps the map small", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  EngineHarness h(B::backend);
  // 1,500 streets with 16 addresses each (24,000 addresses): a town of 30,000–60,000 people.
  const auto lines = geo::buildStreetLines(syntheticCity(1500, 16));
  REQUIRE(lines.size() == 1500);
  std::vector<Pin> pins;
  for (int i = 0; i < 2000; ++i) {  // as many tickets as the list's map takes
    pins.push_back(Pin{i + 1, "eingegangen", "Eingegangen",
                       geo::LatLon{48.045 + 0.00003 * ((i * 7919) % 2000), 11.925 + 0.00004 * ((i * 104729) % 2000)}});
  }
  web::map::View town;
  town.area = *web::map::townArea(h.flows.geo.boundary, pins);
  town.title = "Karte";
  town.cluster_link = [](const MapArea& a) { return "/inbox?gebiet=" + web::map::formatArea(a); };
  const auto start = std::chrono::steady_clock::now();
  const std::string svg = web::map::renderSvg(demoLayers(h.flows, &lines), pins, town);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start).count();
  MESSAGE("town map: " << svg.size() << " bytes, " << ms << " ms (Debug+ASan)");
  CHECK(svg.size() < 200 * 1024);
  const Marks marks = marksOf(svg);
  CHECK(marks.total() == 2000);  // every ticket counted, in at most one mark per grid cell
  CHECK(marks.pins.size() + marks.clusters.size() <= 16 * 14);
  CHECK(occurrences(svg, "class=\"streets\"") == 1);
  CHECK_FALSE(contains(svg, "http"));

  web::map::View place;
  place.area = web::map::around(geo::LatLon{48.07, 11.97}, 250);
  place.title = "Ort";
  place.focus = 1;
  place.limits.max_height = 360;
  const Pin here{1, "eingegangen", "Eingegangen", geo::LatLon{48.07, 11.97}};
  const std::string near = web::map::renderSvg(demoLayers(h.flows, &lines), {here}, place);
  MESSAGE("place map: " << near.size() << " bytes");
  CHECK(near.size() < 40 * 1024);
  CHECK(contains(near, "class=\"pin st-eingegangen focus\" data-ticket=\"1\""));
  CHECK(contains(near, "class=\"street-label\""));  // zoomed in: streets carry their names
}

TEST_CASE_TEMPLATE("inbox map: the gazetteer's street lines are built once per import", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  EngineHarness h(B::backend);
  auto gazetteer = test::gazetteerOf(h);
  auto empty = gazetteer->streetLines();
  REQUIRE(empty);
  CHECK((*empty)->empty());
  geo::GazetteerImport data;
  data.source = "test";
  data.format = "csv";
  for (int i = 0; i < 6; ++i) {
    data.addresses.push_back(geo::AddressRecord{"Marienplatz", std::to_string(i + 1), "85560",
                                                "Ebersberg", {48.0777 + 0.0001 * i, 11.9706 + 0.00012 * i}});
  }
  data.streets.push_back(geo::StreetRecord{"Am Priel", "85560", "Ebersberg", {48.076, 11.972}});
  h.clock.advance(std::chrono::seconds(1));
  REQUIRE(gazetteer->replace(data));
  auto first = gazetteer->streetLines();
  REQUIRE(first);
  REQUIRE((*first)->size() == 1);
  CHECK((*first)->front().name == "Marienplatz");
  CHECK((*first)->front().points.size() == 6);
  auto again = gazetteer->streetLines();
  REQUIRE(again);
  CHECK(again->get() == first->get());  // cached
  data.addresses.resize(3);
  h.clock.advance(std::chrono::seconds(1));
  REQUIRE(gazetteer->replace(data));
  auto after = gazetteer->streetLines();
  REQUIRE(after);
  CHECK(after->get() != first->get());
  CHECK((*after)->front().points.size() == 3);
}

//! Ticket `number` moved to `at` (the harness reports every ticket at the Marktplatz).
void placeTicket(InboxFixture& f, std::int64_t number, std::optional<geo::LatLon> at) {
  // Shortest round-trip text: the same doubles on both backends.
  const std::string lat = at ? fmt::format("{}", at->lat) : "NULL";
  const std::string lon = at ? fmt::format("{}", at->lon) : "NULL";
  f.h.execute("UPDATE tickets SET lat = " + lat + ", lon = " + lon +
              " WHERE number = " + std::to_string(number));
}

TEST_CASE_TEMPLATE("inbox map: the list draws every located ticket of the filter, a cluster narrows the "
          "list, the ticket page draws its place", B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  InboxFixture f(B::backend, 2);  // two rows per page: the map still shows the tickets of every page
  std::vector<std::int64_t> numbers;
  for (int i = 0; i < 6; ++i) {
    numbers.push_back(f.report("map-" + std::to_string(i), i < 5 ? "muell" : "strassenbeleuchtung",
                               "Meldung " + std::to_string(i)));
  }
  // Three close together at the Marienplatz, one in Oberndorf, one without a point, one lamp.
  placeTicket(f, numbers[0], geo::LatLon{48.07770, 11.97060});
  placeTicket(f, numbers[1], geo::LatLon{48.07775, 11.97068});
  placeTicket(f, numbers[2], geo::LatLon{48.07780, 11.97052});
  placeTicket(f, numbers[3], geo::LatLon{48.05200, 12.00500});
  placeTicket(f, numbers[4], std::nullopt);
  placeTicket(f, numbers[5], geo::LatLon{48.08500, 11.95500});
  f.account("chefin", "admin", {});
  const auto cookie = f.login("chefin");

  const auto all = f.call("GET", "/inbox?status=all", cookie);
  REQUIRE(all.status == 200);
  Marks marks = marksOf(all.body);
  CHECK(marks.total() == 5);
  CHECK(marks.clusters == std::vector<int>{3});
  CHECK(std::set<std::int64_t>(marks.pins.begin(), marks.pins.end()) ==
        std::set<std::int64_t>{numbers[3], numbers[5]});
  CHECK(contains(all.body, "<h2 id=\"map-heading\">Karte</h2>"));
  CHECK(contains(all.body, "5 Meldungen mit Ort"));
  CHECK_FALSE(contains(all.body, "http://"));
  CHECK_FALSE(contains(all.body, "https://"));

  // The category filter applies to the map as it does to the list.
  const auto muell = f.call("GET", "/inbox?status=all&category=muell", cookie);
  marks = marksOf(muell.body);
  CHECK(marks.total() == 4);
  CHECK(std::count(marks.pins.begin(), marks.pins.end(), numbers[5]) == 0);

  // The cluster's link: the list of those three tickets, the filter kept.
  static const std::regex kLink(R"re(<a href="(/inbox\?[^"]+)" class="cluster)re");
  std::smatch m;
  REQUIRE(std::regex_search(muell.body, m, kLink));
  const std::string zoom = unescapeAmp(m[1].str());
  CHECK(contains(zoom, "category=muell"));
  const auto narrowed = f.call("GET", zoom, f.login("chefin"));
  REQUIRE(narrowed.status == 200);
  CHECK(contains(narrowed.body, "Nur Meldungen im gewählten Kartenausschnitt"));
  CHECK(contains(narrowed.body, "name=\"gebiet\""));  // the filter form keeps the area
  static const std::regex kRow(R"re(<td class="num"><a href="/inbox/tickets/([0-9]+)">)re");
  std::set<std::int64_t> listed;
  std::string page = narrowed.body;
  for (auto it = std::sregex_iterator(page.begin(), page.end(), kRow); it != std::sregex_iterator(); ++it) {
    listed.insert(std::stoll((*it)[1].str()));
  }
  CHECK(listed.size() == 2);  // page size 2 of the three
  for (auto n : listed) { CHECK((n == numbers[0] || n == numbers[1] || n == numbers[2])); }
  marks = marksOf(narrowed.body);
  CHECK(marks.total() == 3);  // zoomed in: the three, all pages
  CHECK(std::count(marks.pins.begin(), marks.pins.end(), numbers[3]) == 0);

  // A broken area is ignored, not an error.
  const auto junk = f.call("GET", "/inbox?status=all&gebiet=1,2,x", cookie);
  CHECK(junk.status == 200);
  CHECK(marksOf(junk.body).total() == 5);
  CHECK_FALSE(contains(junk.body, "Kartenausschnitt"));

  // The ticket page: the place drawn, the pin titled, no link to another site.
  const auto ticket = f.call("GET", "/inbox/tickets/" + std::to_string(numbers[3]), cookie);
  REQUIRE(ticket.status == 200);
  CHECK(contains(ticket.body, "<figure class=\"place-map\"><svg class=\"ticket-map\""));
  CHECK(contains(ticket.body, "<title>Ort der Meldung " + std::to_string(numbers[3]) + "</title>"));
  CHECK(marksOf(ticket.body).pins == std::vector<std::int64_t>{numbers[3]});
  CHECK(contains(ticket.body, "<span class=\"coords\">48.05200, 12.00500</span>"));
  CHECK_FALSE(contains(ticket.body, "openstreetmap.org"));
  CHECK_FALSE(contains(ticket.body, "http://"));
  CHECK_FALSE(contains(ticket.body, "https://"));
  // Without a point: no map, no coordinates.
  const auto unplaced = f.call("GET", "/inbox/tickets/" + std::to_string(numbers[4]), cookie);
  CHECK_FALSE(contains(unplaced.body, "place-map"));
}

}  // namespace

namespace {

struct Tile {
  int z = 0;
  long x = 0;
  long y = 0;
  double left = 0, top = 0, width = 0, height = 0;
};

std::vector<Tile> tilesOf(const std::string& svg) {
  static const std::regex kImage(
      R"re(<image href="https://tiles\.stadt\.example/(\d+)/(\d+)/(\d+)\.png" x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" height="([\d.]+)" preserveAspectRatio="none"/>)re");
  std::vector<Tile> out;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), kImage); it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    out.push_back(Tile{std::stoi(m[1].str()), std::stol(m[2].str()), std::stol(m[3].str()), std::stod(m[4].str()),
                       std::stod(m[5].str()), std::stod(m[6].str()), std::stod(m[7].str())});
  }
  return out;
}

//! OpenStreetMap's slippy-map tile of a point (wiki.openstreetmap.org/wiki/Slippy_map_tilenames).
std::pair<long, long> slippyTile(double lat, double lon, int z) {
  const double n = std::ldexp(1.0, z);
  const double r = lat * 3.14159265358979323846 / 180.0;
  return {static_cast<long>((lon + 180.0) / 360.0 * n),
          static_cast<long>((1.0 - std::asinh(std::tan(r)) / 3.14159265358979323846) / 2.0 * n)};
}

}  // namespace

TEST_CASE_TEMPLATE("inbox map: with the city's tile server its tiles lie under the drawing and cover it", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  EngineHarness h(B::backend);
  const Pin marktplatz{7, "eingegangen", "Eingegangen", geo::LatLon{48.0777, 11.9706}};
  web::map::View place;
  place.area = web::map::around(marktplatz.at, 250);
  place.limits.min_height = 220;
  place.limits.max_height = 360;
  place.tiles.url = "https://tiles.stadt.example/{z}/{x}/{y}.png";
  const std::string svg = web::map::renderSvg(demoLayers(h.flows, nullptr), {marktplatz}, place);
  const auto tiles = tilesOf(svg);
  REQUIRE_FALSE(tiles.empty());
  CHECK(tiles.size() <= static_cast<std::size_t>(web::map::kMaxTiles));
  // 500 m on the 360 units of the drawing's height: 1.4 m a unit, closest to zoom 16 (1.6 m a
  // pixel at this latitude; zoom 17 has 0.8), so a tile is drawn about 295 units wide.
  CHECK(tiles[0].z == 16);
  CHECK(std::all_of(tiles.begin(), tiles.end(), [](const Tile& t) { return t.z == 16; }));
  const auto [px, py] = slippyTile(48.0777, 11.9706, 16);
  CHECK(px == 34947);
  CHECK(py == 22760);
  const auto centre = std::find_if(tiles.begin(), tiles.end(),
                                   [&](const Tile& t) { return t.x == px && t.y == py; });
  REQUIRE(centre != tiles.end());
  // The pin's tile contains the pin: its mark is drawn at the view's centre.
  CHECK(centre->left <= 320);
  CHECK(centre->left + centre->width >= 320);
  CHECK(centre->width > 280);
  CHECK(centre->width < 310);
  // Together they cover the whole drawing; neighbours meet without gaps.
  double min_x = 1e9, min_y = 1e9, max_x = -1e9, max_y = -1e9;
  for (const auto& t : tiles) {
    min_x = std::min(min_x, t.left);
    min_y = std::min(min_y, t.top);
    max_x = std::max(max_x, t.left + t.width);
    max_y = std::max(max_y, t.top + t.height);
    for (const auto& n : tiles) {
      if (n.y == t.y && n.x == t.x + 1) { CHECK(std::abs(n.left - (t.left + t.width)) < 0.25); }
      if (n.x == t.x && n.y == t.y + 1) { CHECK(std::abs(n.top - (t.top + t.height)) < 0.25); }
    }
  }
  static const std::regex kViewBox(R"re(viewBox="0 0 (\d+) (\d+)")re");
  std::smatch vb;
  REQUIRE(std::regex_search(svg, vb, kViewBox));
  CHECK(min_x <= 0);
  CHECK(min_y <= 0);
  CHECK(max_x >= std::stod(vb[1].str()));
  CHECK(max_y >= std::stod(vb[2].str()));
  // Tiles come first, the marks are drawn over them.
  CHECK(svg.find("<image") < svg.find("class=\"pin"));

  // The whole town on the list's map: a smaller zoom, never more than kMaxTiles.
  web::map::View town;
  town.area = *web::map::townArea(h.flows.geo.boundary, {marktplatz});
  town.tiles = place.tiles;
  const auto town_tiles = tilesOf(web::map::renderSvg(demoLayers(h.flows, nullptr), {marktplatz}, town));
  REQUIRE_FALSE(town_tiles.empty());
  CHECK(town_tiles.size() <= static_cast<std::size_t>(web::map::kMaxTiles));
  CHECK(town_tiles[0].z < 16);

  // Without a tile server: no image at all.
  place.tiles = {};
  CHECK_FALSE(contains(web::map::renderSvg(demoLayers(h.flows, nullptr), {marktplatz}, place), "<image"));
}

TEST_CASE_TEMPLATE("inbox map: the pages load tiles only from the configured tile server, named in the CSP", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  InboxFixture f(B::backend);
  const auto number = std::to_string(f.report("anna", "muell", "Sperrmüll"));
  f.account("chefin", "admin", {});
  {
    const auto cookie = f.login("chefin");
    const auto plain = f.call("GET", "/inbox/tickets/" + number, cookie);
    REQUIRE(plain.status == 200);
    CHECK_FALSE(contains(plain.body, "<image"));
    CHECK(InboxFixture::header(plain, "Content-Security-Policy").find("img-src 'self' blob: data:;") !=
          std::string::npos);
  }
  f.options.tile_url = "https://tiles.stadt.example/{z}/{x}/{y}.png";
  f.options.tile_attribution = "Kartendaten © OpenStreetMap-Mitwirkende";
  f.restart();
  const auto cookie = f.login("chefin");
  const auto ticket = f.call("GET", "/inbox/tickets/" + number, cookie);
  REQUIRE(ticket.status == 200);
  const auto tiles = tilesOf(ticket.body);
  REQUIRE_FALSE(tiles.empty());
  const auto [px, py] = slippyTile(kMarktplatz.lat, kMarktplatz.lon, tiles[0].z);
  CHECK(std::any_of(tiles.begin(), tiles.end(), [&](const Tile& t) { return t.x == px && t.y == py; }));
  CHECK(contains(ticket.body, "<p class=\"hint map-attribution\">Kartendaten © OpenStreetMap-Mitwirkende</p>"));
  CHECK(InboxFixture::header(ticket, "Content-Security-Policy")
            .find("img-src 'self' https://tiles.stadt.example blob: data:;") != std::string::npos);
  const auto list = f.call("GET", "/inbox?status=all", cookie);
  CHECK_FALSE(tilesOf(list.body).empty());
  CHECK(contains(list.body, "map-attribution"));
  // No other origin anywhere in the page.
  static const std::regex kOrigin(R"re(https?://[^/"]+)re");
  for (auto it = std::sregex_iterator(ticket.body.begin(), ticket.body.end(), kOrigin);
       it != std::sregex_iterator(); ++it) {
    CHECK(it->str() == "https://tiles.stadt.example");
  }
}

}  // namespace bb::test
