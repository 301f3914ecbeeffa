#include "bot/conversation/flow_data_check.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace bb {
namespace {

constexpr flows::Lang kLangs[] = {flows::Lang::De, flows::Lang::En};

//! Metres from `p` to the segment a-b, on a local flat projection (fine at city scale).
double segmentDistanceM(flows::Point p, flows::Point a, flows::Point b) {
  constexpr double kMetresPerDegree = 111320.0;
  const double scale = std::cos(p.lat * M_PI / 180.0);
  const double ax = (a.lon - p.lon) * kMetresPerDegree * scale;
  const double ay = (a.lat - p.lat) * kMetresPerDegree;
  const double bx = (b.lon - p.lon) * kMetresPerDegree * scale;
  const double by = (b.lat - p.lat) * kMetresPerDegree;
  const double dx = bx - ax;
  const double dy = by - ay;
  const double len2 = dx * dx + dy * dy;
  const double t = len2 == 0 ? 0 : std::clamp(-(ax * dx + ay * dy) / len2, 0.0, 1.0);
  return std::hypot(ax + t * dx, ay + t * dy);
}

bool nearBoundary(const std::vector<flows::Polygon>& boundary, flows::Point p) {
  for (const auto& polygon : boundary) {
    const auto& ring = polygon.ring;
    for (std::size_t i = 1; i < ring.size(); ++i) {
      if (segmentDistanceM(p, ring[i - 1], ring[i]) <= kBoundaryToleranceM) { return true; }
    }
  }
  return false;
}

void checkTexts(const flows::TextCatalog& texts, FlowDataFindings& out) {
  std::set<std::string> all;
  for (auto lang : kLangs) {
    for (auto& key : texts.keys(lang)) { all.insert(std::move(key)); }
  }
  for (auto lang : kLangs) {
    for (const auto& key : all) {
      if (!texts.has(lang, key)) {
        out.errors.push_back("texts: " + key + " has no " + flows::toString(lang) + " text");
      }
    }
  }
}

void checkDistricts(const flows::Geo& geo, FlowDataFindings& out) {
  if (geo.boundary.empty()) { return; }
  for (const auto& district : geo.districts) {
    std::size_t outside = 0;
    for (const auto& polygon : district.area) {
      for (const auto& p : polygon.ring) {
        if (!flows::contains(geo.boundary, p) && !nearBoundary(geo.boundary, p)) { ++outside; }
      }
    }
    if (outside > 0) {
      out.errors.push_back("districts: " + district.id + " reaches outside the boundary (" +
                           std::to_string(outside) + " corner(s) more than " +
                           std::to_string(static_cast<int>(kBoundaryToleranceM)) + " m outside)");
    }
  }
}

}  // namespace

FlowDataFindings checkFlowData(const FlowData& data) {
  FlowDataFindings out;
  checkTexts(data.texts, out);
  checkDistricts(data.geo, out);
  for (const auto& category : data.categories) {
    for (auto lang : kLangs) {
      if (category.label.count(lang) == 0) {
        out.warnings.push_back("categories: " + category.id + " has no " + flows::toString(lang) +
                               " label (the German one is shown)");
      }
    }
  }
  if (data.geo.boundary.empty()) {
    out.warnings.push_back("flows.boundary_file: not set; reports from anywhere are accepted");
  }
  return out;
}

}  // namespace bb
