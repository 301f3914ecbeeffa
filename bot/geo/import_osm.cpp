#include "bot/geo/import_osm.hpp"

#include <filesystem>
#include <map>
#include <set>

#include <osmium/handler.hpp>
#include <osmium/handler/node_locations_for_ways.hpp>
#include <osmium/index/map/flex_mem.hpp>
#include <osmium/io/pbf_input.hpp>
#include <osmium/visitor.hpp>

namespace bb::geo {

namespace {

using LocationIndex = osmium::index::map::FlexMem<osmium::unsigned_object_id_type,
                                                  osmium::Location>;
using LocationHandler = osmium::handler::NodeLocationsForWays<LocationIndex>;

//! The tags that make a named object a place people name, in the order they are asked; the
//! tag's value is the place's kind.
constexpr const char* kPlaceKeys[] = {"amenity", "railway", "public_transport", "leisure",
                                      "tourism", "shop",    "office",           "historic",
                                      "place"};

std::string tag(const osmium::TagList& tags, const char* key) {
  const char* value = tags.get_value_by_key(key);
  return value != nullptr ? std::string(value) : std::string();
}

//! A place's kind, or "" when the object is not a place; stations are "station" whatever
//! tag says so.
std::string placeKind(const osmium::TagList& tags) {
  for (const char* key : kPlaceKeys) {
    std::string value = tag(tags, key);
    if (value.empty() || value == "no") {
      continue;
    }
    const std::string k = key;
    if ((k == "railway" || k == "public_transport") && value != "station" && value != "halt") {
      continue;
    }
    return (k == "railway" || k == "public_transport") ? "station" : value;
  }
  return {};
}

struct StreetGeometry {
  std::size_t nodes = 0;  //!< of the longest way seen so far
  LatLon middle;
};

class Collector : public osmium::handler::Handler {
public:
  explicit Collector(GazetteerImport& out) : out_(out) {}

  void node(const osmium::Node& n) {
    if (n.location().valid()) {
      take(n.tags(), LatLon{n.location().lat(), n.location().lon()});
    }
  }

  void way(const osmium::Way& w) {
    const osmium::WayNodeList& nodes = w.nodes();
    std::vector<LatLon> points;
    // A closed outline repeats its first node at the end: count it once.
    const std::size_t n = nodes.size() > 1 && w.is_closed() ? nodes.size() - 1 : nodes.size();
    for (std::size_t i = 0; i < n; ++i) {
      if (nodes[i].location().valid()) {
        points.push_back(LatLon{nodes[i].location().lat(), nodes[i].location().lon()});
      }
    }
    if (points.empty()) {
      return;
    }
    const std::string highway = tag(w.tags(), "highway");
    const std::string name = tag(w.tags(), "name");
    if (!highway.empty() && !name.empty()) {
      StreetGeometry& g = highways_[name];
      if (points.size() > g.nodes) {
        g = StreetGeometry{points.size(), points[points.size() / 2]};
      }
      return;
    }
    LatLon centre;
    for (const LatLon& p : points) {
      centre.lat += p.lat / static_cast<double>(points.size());
      centre.lon += p.lon / static_cast<double>(points.size());
    }
    take(w.tags(), centre);
  }

  //! Streets known only by their geometry become street records (in the town most addresses
  //! name); streets with numbered addresses are found through those.
  void finish() {
    std::set<std::string> numbered;
    std::map<std::string, int> towns;
    for (const AddressRecord& a : out_.addresses) {
      numbered.insert(a.street);
      if (!a.city.empty()) {
        ++towns[a.city];
      }
    }
    std::string town;
    int most = 0;
    for (const auto& [name, count] : towns) {
      if (count > most) {
        town = name;
        most = count;
      }
    }
    for (const auto& [name, geometry] : highways_) {
      if (numbered.count(name) == 0) {
        out_.streets.push_back(StreetRecord{name, "", town, geometry.middle});
      }
    }
  }

private:
  void take(const osmium::TagList& tags, LatLon at) {
    const std::string number = tag(tags, "addr:housenumber");
    std::string street = tag(tags, "addr:street");
    if (street.empty()) {
      street = tag(tags, "addr:place");
    }
    if (!number.empty() && !street.empty()) {
      out_.addresses.push_back(AddressRecord{street, number, tag(tags, "addr:postcode"),
                                             tag(tags, "addr:city"), at});
    }
    const std::string name = tag(tags, "name");
    if (!name.empty()) {
      std::string kind = placeKind(tags);
      if (!kind.empty()) {
        out_.places.push_back(PlaceRecord{name, std::move(kind), at});
      }
    }
  }

  GazetteerImport& out_;
  std::map<std::string, StreetGeometry> highways_;
};

}  // namespace

Result<GazetteerImport> readOsmPbf(const std::string& path) {
  GazetteerImport out;
  out.format = "osm";
  out.licence = kOsmLicence;
  out.source = "OpenStreetMap extract " + std::filesystem::path(path).filename().string();
  try {
    osmium::io::Reader reader(path, osmium::osm_entity_bits::node | osmium::osm_entity_bits::way);
    const std::string timestamp = reader.header().get("osmosis_replication_timestamp");
    if (!timestamp.empty()) {
      out.source += " of " + timestamp;
    }
    LocationIndex index;
    LocationHandler locations(index);
    // A town cut from a region can name nodes outside the cut: those points are skipped.
    locations.ignore_errors();
    Collector collector(out);
    osmium::apply(reader, locations, collector);
    reader.close();
    collector.finish();
  } catch (const std::exception& e) {
    return fail(ErrorCode::InvalidInput, std::string("not a readable .osm.pbf file: ") + e.what());
  }
  if (out.addresses.empty() && out.streets.empty() && out.places.empty()) {
    return fail(ErrorCode::InvalidInput, "no addresses, streets or places in the extract");
  }
  return out;
}

}  // namespace bb::geo
