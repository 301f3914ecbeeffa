#pragma once
// The inbox map: tickets on the town, drawn on the server as inline SVG from the configured city
// boundary and districts and the gazetteer's streets. Nothing is loaded from elsewhere: no
// scripts, no fonts, not even an XML namespace URL (inline SVG in HTML needs none); tiles only
// when the city names its own tile server (inbox.tile_url), as <image> elements under the
// drawing, placed by the server: no map script.
//
// Projection: equirectangular around the view's centre latitude (x scaled by cos(lat)), which
// is exact enough for a town. Pins are coloured by status; pins that fall into one grid cell of
// the drawing (about 40 px) become one cluster with their count, so the number of drawn marks
// stays bounded however many tickets there are. A pin links to its ticket, a cluster to the list
// narrowed to the cluster's area. Pure: no I/O.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bot/conversation/flow_data.hpp"
#include "bot/geo/gazetteer.hpp"
#include "bot/staff/inbox_store.hpp"

namespace bb::web::map {

//! One ticket on the map.
struct Pin {
  std::int64_t number = 0;
  std::string status;        //!< status id, for the colour (class "st-<id>")
  std::string status_label;  //!< German, for the pin's title
  geo::LatLon at;
};

//! What the town looks like. Null members are not drawn.
struct Layers {
  const std::vector<flows::Polygon>* boundary = nullptr;
  const std::vector<flows::District>* districts = nullptr;
  const std::vector<geo::StreetLine>* streets = nullptr;
};

//! Size bounds of one drawing.
struct Limits {
  int width = 640;        //!< SVG user units (the page scales it to its column)
  int min_height = 260;
  int max_height = 520;
  int cell = 40;          //!< grid cell for clustering, in user units
  std::size_t max_street_points = 6000;  //!< vertices of all streets together
  std::size_t max_street_labels = 30;    //!< names written along streets (zoomed-in views)
};

//! The city's own tile server (inbox.tile_url): "https://tiles.stadt.example/{z}/{x}/{y}.png",
//! Web Mercator tiles of 256 px as OpenStreetMap's. Empty url: no tiles.
struct TileLayer {
  std::string url;
  std::string attribution;  //!< shown under the map ("Kartendaten © OpenStreetMap-Mitwirkende")
};

//! Tiles drawn for one map at most (a wider view takes a smaller zoom).
inline constexpr int kMaxTiles = 48;

struct View {
  MapArea area;                //!< at least this is shown (widened to the drawing's shape)
  std::string title;           //!< the SVG's <title>
  //! Link of a cluster: the list narrowed to `area`. Empty: clusters are not links.
  std::function<std::string(const MapArea&)> cluster_link;
  std::int64_t focus = 0;      //!< a ticket drawn larger (the ticket page); 0: none
  Limits limits;
  TileLayer tiles;
};

//! "https://tiles.stadt.example" of a tile URL template: what the inbox's CSP allows as img-src.
std::string tileOrigin(const std::string& url);

//! The inline <svg> for `pins` on `layers`.
std::string renderSvg(const Layers& layers, const std::vector<Pin>& pins, const View& view);

//! The German legend below the map: a swatch per status shown, and what a number means.
std::string legend(const std::vector<Pin>& pins);

//! The area a town map shows: the boundary and every pin (either may be empty), with a margin.
//! nullopt when there is neither.
std::optional<MapArea> townArea(const std::vector<flows::Polygon>& boundary,
                                const std::vector<Pin>& pins);

//! `radius_m` around `at` (the ticket page).
MapArea around(geo::LatLon at, double radius_m);

//! "48.07700,11.96000,48.08000,11.97500" (south, west, north, east) and back; parsing refuses
//! anything that is not four numbers of a sensible, at most one degree large area.
std::string formatArea(const MapArea& area);
std::optional<MapArea> parseArea(const std::string& text);

}  // namespace bb::web::map
