#include "web/inbox/ticket_map.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "web/html.hpp"

namespace bb::web::map {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kMetresPerDegree = 111320.0;

struct XY {
  double x = 0;
  double y = 0;
};

//! Equirectangular projection of the view onto the drawing: x east, y south, in user units.
struct Projection {
  double west = 0;
  double north = 0;
  double sx = 0;  //!< units per degree of longitude (scale × cos(centre latitude))
  double sy = 0;  //!< units per degree of latitude
  int width = 0;
  int height = 0;

  XY at(geo::LatLon p) const { return XY{(p.lon - west) * sx, (north - p.lat) * sy}; }
  XY at(flows::Point p) const { return at(geo::LatLon{p.lat, p.lon}); }
  bool inside(XY p, double margin) const {
    return p.x >= -margin && p.y >= -margin && p.x <= width + margin && p.y <= height + margin;
  }
  double metresPerUnit() const { return kMetresPerDegree / sy; }
};

//! The drawing for `area`: the limits' width, a height between min and max; the area is widened
//! (never cut) to the drawing's shape, around its centre.
Projection project(const MapArea& area, const Limits& limits) {
  const double lat0 = (area.south + area.north) / 2;
  const double lon0 = (area.west + area.east) / 2;
  const double k = std::max(std::cos(lat0 * kPi / 180.0), 0.01);
  const double span_x = std::max((area.east - area.west) * k, 1e-5);  // in degrees of latitude
  const double span_y = std::max(area.north - area.south, 1e-5);
  double scale = limits.width / span_x;
  double height = span_y * scale;
  if (height > limits.max_height) {
    scale = limits.max_height / span_y;
    height = limits.max_height;
  }
  height = std::max(height, static_cast<double>(limits.min_height));
  Projection p;
  p.sx = scale * k;
  p.sy = scale;
  p.width = limits.width;
  p.height = static_cast<int>(std::lround(height));
  p.west = lon0 - p.width / p.sx / 2;
  p.north = lat0 + p.height / p.sy / 2;
  return p;
}

//! A coordinate with at most one decimal ("12", "12.5").
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", std::round(v * 10) / 10);
  std::string s = buf;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) { s.resize(s.size() - 2); }
  if (s == "-0") { s = "0"; }
  return s;
}

double segmentDistance(XY p, XY a, XY b) {
  const double dx = b.x - a.x;
  const double dy = b.y - a.y;
  const double len2 = dx * dx + dy * dy;
  double t = len2 > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2 : 0;
  t = std::clamp(t, 0.0, 1.0);
  return std::hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

//! Douglas–Peucker: the points that keep the line within `eps` units of the original.
std::vector<XY> simplify(const std::vector<XY>& in, double eps) {
  if (in.size() < 3) { return in; }
  std::vector<bool> keep(in.size(), false);
  keep.front() = keep.back() = true;
  std::vector<std::pair<std::size_t, std::size_t>> todo = {{0, in.size() - 1}};
  while (!todo.empty()) {
    const auto [a, b] = todo.back();
    todo.pop_back();
    double worst = 0;
    std::size_t at = a;
    for (std::size_t i = a + 1; i < b; ++i) {
      const double d = segmentDistance(in[i], in[a], in[b]);
      if (d > worst) {
        worst = d;
        at = i;
      }
    }
    if (worst > eps) {
      keep[at] = true;
      todo.emplace_back(a, at);
      todo.emplace_back(at, b);
    }
  }
  std::vector<XY> out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (keep[i]) { out.push_back(in[i]); }
  }
  return out;
}

std::string pathData(const std::vector<XY>& pts, bool closed) {
  std::string d;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    d += (i == 0 ? "M" : "L") + num(pts[i].x) + " " + num(pts[i].y);
  }
  return closed && !pts.empty() ? d + "Z" : d;
}

std::string ringPath(const Projection& pr, const flows::Polygon& polygon) {
  std::vector<XY> pts;
  pts.reserve(polygon.ring.size());
  for (const auto& p : polygon.ring) { pts.push_back(pr.at(p)); }
  return pathData(simplify(pts, 0.5), true);
}

std::string polygonsSvg(const Projection& pr, const std::vector<flows::Polygon>& polygons,
                        const std::string& cls) {
  std::string d;
  for (const auto& polygon : polygons) { d += ringPath(pr, polygon); }
  return d.empty() ? "" : "<path class=\"" + cls + "\" d=\"" + d + "\"/>";
}

//! Where a district's name goes: inside its top-left corner (clear of the town centre, where
//! pins gather), else its middle when only that is in view.
std::optional<XY> districtLabelAt(const Projection& pr, const flows::Polygon& ring) {
  XY lo{1e9, 1e9};
  XY hi{-1e9, -1e9};
  for (const auto& p : ring.ring) {
    const XY xy = pr.at(p);
    lo = XY{std::min(lo.x, xy.x), std::min(lo.y, xy.y)};
    hi = XY{std::max(hi.x, xy.x), std::max(hi.y, xy.y)};
  }
  const XY corner{lo.x + 6, lo.y + 16};
  if (pr.inside(corner, -10)) { return corner; }
  const XY middle{(lo.x + hi.x) / 2, (lo.y + hi.y) / 2};
  if (pr.inside(middle, -20)) { return middle; }
  return std::nullopt;
}

std::string districtsSvg(const Projection& pr, const std::vector<flows::District>& districts) {
  std::string shapes;
  std::string labels;
  for (const auto& district : districts) {
    shapes += polygonsSvg(pr, district.area, "district");
    if (district.area.empty() || district.area.front().ring.empty()) { continue; }
    if (const auto at = districtLabelAt(pr, district.area.front())) {
      labels += "<text class=\"district-label\" x=\"" + num(at->x) + "\" y=\"" + num(at->y) + "\">" +
                escapeHtml(district.name) + "</text>";
    }
  }
  return shapes + labels;
}

struct DrawnStreet {
  const std::string* name = nullptr;
  std::vector<XY> pts;
  double length = 0;
};

//! The streets in view, simplified to the drawing's resolution, longest first.
std::vector<DrawnStreet> visibleStreets(const Projection& pr,
                                        const std::vector<geo::StreetLine>& streets) {
  std::vector<DrawnStreet> out;
  for (const auto& line : streets) {
    DrawnStreet s{&line.name, {}, 0};
    bool seen = false;
    for (const auto& p : line.points) {
      const XY xy = pr.at(p);
      seen = seen || pr.inside(xy, 10);
      s.pts.push_back(xy);
    }
    if (!seen) { continue; }
    s.pts = simplify(s.pts, 0.6);
    for (std::size_t i = 1; i < s.pts.size(); ++i) {
      s.length += std::hypot(s.pts[i].x - s.pts[i - 1].x, s.pts[i].y - s.pts[i - 1].y);
    }
    if (s.length >= 2) { out.push_back(std::move(s)); }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const DrawnStreet& a, const DrawnStreet& b) { return a.length > b.length; });
  return out;
}

//! A street's name along its middle segment, when it fits and keeps clear of earlier labels.
bool placeLabel(const DrawnStreet& s, std::vector<XY>& placed, std::string& out) {
  const double text_len = static_cast<double>(s.name->size()) * 5.5;
  if (s.length < text_len + 10 || s.pts.size() < 2) { return false; }
  const std::size_t i = (s.pts.size() - 1) / 2;
  const XY a = s.pts[i];
  const XY b = s.pts[i + 1];
  const XY mid{(a.x + b.x) / 2, (a.y + b.y) / 2};
  for (const XY& q : placed) {
    if (std::hypot(q.x - mid.x, q.y - mid.y) < 60) { return false; }
  }
  double angle = std::atan2(b.y - a.y, b.x - a.x) * 180.0 / kPi;
  if (angle > 90) { angle -= 180; }
  if (angle < -90) { angle += 180; }
  placed.push_back(mid);
  out += "<text class=\"street-label\" transform=\"translate(" + num(mid.x) + " " + num(mid.y) +
         ") rotate(" + num(angle) + ")\">" + escapeHtml(*s.name) + "</text>";
  return true;
}

std::string streetsSvg(const Projection& pr, const std::vector<geo::StreetLine>& streets,
                       const Limits& limits) {
  const std::vector<DrawnStreet> shown = visibleStreets(pr, streets);
  std::string d;
  std::size_t budget = limits.max_street_points;
  for (const auto& s : shown) {
    if (s.pts.size() > budget) { break; }  // longest first: what is left out are small streets
    budget -= s.pts.size();
    d += pathData(s.pts, false);
  }
  if (d.empty()) { return ""; }
  std::string labels;
  // Names only where a street is long enough to carry one: zoomed in (a few metres per unit).
  if (pr.metresPerUnit() < 4) {
    std::vector<XY> placed;
    for (const auto& s : shown) {
      if (placed.size() >= limits.max_street_labels) { break; }
      placeLabel(s, placed, labels);
    }
  }
  return "<path class=\"streets\" d=\"" + d + "\"/>" + labels;
}

// ---- pins and clusters ----

struct Cell {
  std::vector<const Pin*> pins;
  XY sum;
};

std::string pinSvg(const Pin& pin, XY at, bool focus) {
  const std::string n = std::to_string(pin.number);
  return "<a href=\"/inbox/tickets/" + n + "\" class=\"pin st-" + escapeHtml(pin.status) +
         (focus ? " focus" : "") + "\" data-ticket=\"" + n + "\"><title>Meldung " + n + ": " +
         escapeHtml(pin.status_label) + "</title><circle cx=\"" + num(at.x) + "\" cy=\"" +
         num(at.y) + "\" r=\"" + (focus ? "11" : "8") + "\"/></a>";
}

//! The pins' area with a margin, so that the list narrowed to it holds every one of them.
MapArea clusterArea(const std::vector<const Pin*>& pins) {
  MapArea a{90, 180, -90, -180};
  for (const Pin* p : pins) {
    a.south = std::min(a.south, p->at.lat);
    a.north = std::max(a.north, p->at.lat);
    a.west = std::min(a.west, p->at.lon);
    a.east = std::max(a.east, p->at.lon);
  }
  const double pad_lat = std::max(0.0005, (a.north - a.south) * 0.1);
  const double pad_lon = std::max(0.0007, (a.east - a.west) * 0.1);
  return MapArea{a.south - pad_lat, a.west - pad_lon, a.north + pad_lat, a.east + pad_lon};
}

std::string clusterTitle(const std::vector<const Pin*>& pins, bool linked) {
  std::vector<std::pair<std::string, int>> by_status;
  for (const Pin* p : pins) {
    auto it = std::find_if(by_status.begin(), by_status.end(),
                           [p](const auto& e) { return e.first == p->status_label; });
    if (it == by_status.end()) {
      by_status.emplace_back(p->status_label, 1);
    } else {
      ++it->second;
    }
  }
  std::string t = std::to_string(pins.size()) + " Meldungen (";
  for (std::size_t i = 0; i < by_status.size(); ++i) {
    t += (i == 0 ? "" : ", ") + std::to_string(by_status[i].second) + " " + by_status[i].first;
  }
  return t + ")" + (linked ? ": in der Liste zeigen" : "");
}

std::string clusterSvg(const Cell& cell, const View& view) {
  const auto n = cell.pins.size();
  const XY at{cell.sum.x / static_cast<double>(n), cell.sum.y / static_cast<double>(n)};
  std::string status = cell.pins.front()->status;
  for (const Pin* p : cell.pins) {
    if (p->status != status) { status = "mixed"; }
  }
  const bool linked = static_cast<bool>(view.cluster_link);
  const std::string r = n < 10 ? "12" : n < 100 ? "15" : "18";
  std::string out = linked ? "<a href=\"" + escapeHtml(view.cluster_link(clusterArea(cell.pins))) +
                                 "\" class=\"cluster st-" + escapeHtml(status) + "\""
                           : "<g class=\"cluster st-" + escapeHtml(status) + "\"";
  out += " data-count=\"" + std::to_string(n) + "\"><title>" +
         escapeHtml(clusterTitle(cell.pins, linked)) + "</title><circle cx=\"" + num(at.x) +
         "\" cy=\"" + num(at.y) + "\" r=\"" + r + "\"/><text x=\"" + num(at.x) + "\" y=\"" +
         num(at.y) + "\">" + std::to_string(n) + "</text>";
  return out + (linked ? "</a>" : "</g>");
}

std::string pinsSvg(const Projection& pr, const std::vector<Pin>& pins, const View& view) {
  std::map<std::pair<long, long>, Cell> cells;
  std::string focus;
  const double cell = std::max(view.limits.cell, 8);
  for (const Pin& pin : pins) {
    const XY at = pr.at(pin.at);
    if (!pr.inside(at, 0)) { continue; }
    if (pin.number == view.focus) {
      focus = pinSvg(pin, at, true);  // drawn last, on top, never hidden in a cluster
      continue;
    }
    Cell& c = cells[{std::lround(std::floor(at.x / cell)), std::lround(std::floor(at.y / cell))}];
    c.pins.push_back(&pin);
    c.sum.x += at.x;
    c.sum.y += at.y;
  }
  std::string out;
  for (const auto& [key, c] : cells) {
    out += c.pins.size() == 1 ? pinSvg(*c.pins.front(), pr.at(c.pins.front()->at), false)
                              : clusterSvg(c, view);
  }
  return "<g class=\"pins\">" + out + focus + "</g>";
}

//! A scale bar of a round length near 100 units: staff judge distances at a glance.
std::string scaleBar(const Projection& pr) {
  int metres = 10;
  for (int m : {20, 50, 100, 200, 500, 1000, 2000, 5000}) {
    if (m / pr.metresPerUnit() <= 120) { metres = m; }
  }
  const std::string y = num(pr.height - 10.0);
  return "<g class=\"scale\"><path d=\"M10 " + y + "h" + num(metres / pr.metresPerUnit()) +
         "\"/><text x=\"10\" y=\"" + num(pr.height - 15.0) + "\">" +
         (metres >= 1000 ? std::to_string(metres / 1000) + " km" : std::to_string(metres) + " m") +
         "</text></g>";
}

//! Web Mercator tile numbers (OpenStreetMap's slippy map scheme).
double tileX(double lon, int z) { return (lon + 180.0) / 360.0 * std::ldexp(1.0, z); }
double tileY(double lat, int z) {
  const double r = lat * kPi / 180.0;
  return (1.0 - std::asinh(std::tan(r)) / kPi) / 2.0 * std::ldexp(1.0, z);
}
double tileLon(double x, int z) { return x / std::ldexp(1.0, z) * 360.0 - 180.0; }
double tileLat(double y, int z) {
  return std::atan(std::sinh(kPi * (1.0 - 2.0 * y / std::ldexp(1.0, z)))) * 180.0 / kPi;
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

//! The tiles under the drawing: the zoom whose tiles are closest to 256 units wide, lowered until
//! at most kMaxTiles cover the view. Each tile is placed by its corners; within a town the
//! difference between Mercator and the drawing's projection is below a pixel.
std::string tilesSvg(const Projection& pr, const TileLayer& tiles) {
  if (tiles.url.empty()) { return ""; }
  const double east = pr.west + pr.width / pr.sx;
  const double south = pr.north - pr.height / pr.sy;
  int z = static_cast<int>(std::lround(std::log2(360.0 * pr.sx / 256.0)));
  z = std::clamp(z, 0, 19);
  auto count = [&](int zoom) {
    const auto nx = static_cast<long>(std::floor(tileX(east, zoom)) - std::floor(tileX(pr.west, zoom))) + 1;
    const auto ny = static_cast<long>(std::floor(tileY(south, zoom)) - std::floor(tileY(pr.north, zoom))) + 1;
    return nx * ny;
  };
  while (z > 0 && count(z) > kMaxTiles) { --z; }
  std::string out = "<g class=\"tiles\" aria-hidden=\"true\">";
  const long max_index = (1L << z) - 1;
  for (long y = std::max(0L, static_cast<long>(tileY(pr.north, z)));
       y <= std::min(max_index, static_cast<long>(tileY(south, z))); ++y) {
    for (long x = std::max(0L, static_cast<long>(tileX(pr.west, z)));
         x <= std::min(max_index, static_cast<long>(tileX(east, z))); ++x) {
      const XY nw = pr.at(geo::LatLon{tileLat(static_cast<double>(y), z), tileLon(static_cast<double>(x), z)});
      const XY se = pr.at(geo::LatLon{tileLat(static_cast<double>(y + 1), z), tileLon(static_cast<double>(x + 1), z)});
      std::string url = replaceAll(tiles.url, "{z}", std::to_string(z));
      url = replaceAll(url, "{x}", std::to_string(x));
      url = replaceAll(url, "{y}", std::to_string(y));
      out += "<image href=\"" + escapeHtml(url) + "\" x=\"" + num(nw.x) + "\" y=\"" + num(nw.y) +
             "\" width=\"" + num(se.x - nw.x) + "\" height=\"" + num(se.y - nw.y) +
             "\" preserveAspectRatio=\"none\"/>";
    }
  }
  return out + "</g>";
}

}  // namespace

std::string tileOrigin(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) { return ""; }
  const auto path = url.find('/', scheme + 3);
  return path == std::string::npos ? url : url.substr(0, path);
}

std::string renderSvg(const Layers& layers, const std::vector<Pin>& pins, const View& view) {
  const Projection pr = project(view.area, view.limits);
  const std::string w = std::to_string(pr.width);
  const std::string h = std::to_string(pr.height);
  std::string out = "<svg class=\"ticket-map\" viewBox=\"0 0 " + w + " " + h + "\" width=\"" + w +
                    "\" height=\"" + h + "\" role=\"group\"><title>" + escapeHtml(view.title) +
                    "</title><rect class=\"map-bg\" width=\"" + w + "\" height=\"" + h + "\"/>" +
                    tilesSvg(pr, view.tiles);
  if (layers.districts != nullptr) { out += districtsSvg(pr, *layers.districts); }
  // Tiles draw the streets themselves: the gazetteer's lines would only double them.
  if (layers.streets != nullptr && view.tiles.url.empty()) {
    out += streetsSvg(pr, *layers.streets, view.limits);
  }
  if (layers.boundary != nullptr) { out += polygonsSvg(pr, *layers.boundary, "boundary"); }
  out += pinsSvg(pr, pins, view);
  return out + scaleBar(pr) + "</svg>";
}

std::string legend(const std::vector<Pin>& pins) {
  std::vector<std::pair<std::string, std::string>> shown;  // status id, label; first seen order
  for (const Pin& p : pins) {
    if (std::none_of(shown.begin(), shown.end(), [&p](const auto& s) { return s.first == p.status; })) {
      shown.emplace_back(p.status, p.status_label);
    }
  }
  std::string out = "<ul class=\"map-legend\" aria-label=\"Legende der Karte\">";
  for (const auto& [id, label] : shown) {
    out += "<li><span class=\"dot st-" + escapeHtml(id) + "\"></span>" + escapeHtml(label) + "</li>";
  }
  return out + "<li><span class=\"dot cluster-dot\">3</span>mehrere Meldungen nah beieinander "
               "(ein Klick zeigt sie in der Liste)</li></ul>";
}

std::optional<MapArea> townArea(const std::vector<flows::Polygon>& boundary,
                                const std::vector<Pin>& pins) {
  std::optional<MapArea> a;
  auto add = [&a](double lat, double lon) {
    if (!a) { a = MapArea{lat, lon, lat, lon}; }
    a->south = std::min(a->south, lat);
    a->north = std::max(a->north, lat);
    a->west = std::min(a->west, lon);
    a->east = std::max(a->east, lon);
  };
  for (const auto& polygon : boundary) {
    for (const auto& p : polygon.ring) { add(p.lat, p.lon); }
  }
  for (const auto& pin : pins) { add(pin.at.lat, pin.at.lon); }
  if (!a) { return std::nullopt; }
  const double pad_lat = std::max(0.002, (a->north - a->south) * 0.04);
  const double pad_lon = std::max(0.003, (a->east - a->west) * 0.04);
  return MapArea{a->south - pad_lat, a->west - pad_lon, a->north + pad_lat, a->east + pad_lon};
}

MapArea around(geo::LatLon at, double radius_m) {
  const double dlat = radius_m / kMetresPerDegree;
  const double dlon = dlat / std::max(std::cos(at.lat * kPi / 180.0), 0.01);
  return MapArea{at.lat - dlat, at.lon - dlon, at.lat + dlat, at.lon + dlon};
}

std::string formatArea(const MapArea& area) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.5f,%.5f,%.5f,%.5f", area.south, area.west, area.north,
                area.east);
  return buf;
}

std::optional<MapArea> parseArea(const std::string& text) {
  if (text.empty() || text.size() > 80) { return std::nullopt; }
  double v[4];
  const char* p = text.c_str();
  for (int i = 0; i < 4; ++i) {
    char* end = nullptr;
    v[i] = std::strtod(p, &end);
    if (end == p || !std::isfinite(v[i])) { return std::nullopt; }
    p = end;
    if (i < 3) {
      if (*p != ',') { return std::nullopt; }
      ++p;
    }
  }
  if (*p != '\0') { return std::nullopt; }
  const MapArea a{v[0], v[1], v[2], v[3]};
  const bool sane = a.south >= -90 && a.north <= 90 && a.west >= -180 && a.east <= 180 &&
                    a.south < a.north && a.west < a.east && a.north - a.south <= 1 &&
                    a.east - a.west <= 1;
  return sane ? std::optional<MapArea>(a) : std::nullopt;
}

}  // namespace bb::web::map
