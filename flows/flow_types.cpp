#include "flows/flow_types.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace bb::flows {

namespace {

constexpr double kEarthRadiusM = 6371008.8;  // mean Earth radius (IUGG)

double radians(double degrees) {
  return degrees * std::numbers::pi / 180.0;
}

}  // namespace

const char* toString(Lang lang) {
  switch (lang) {
    case Lang::De:
      return "de";
    case Lang::En:
      return "en";
  }
  return "de";
}

std::optional<Lang> langFromString(const std::string& s) {
  if (s == "de" || s == "DE") {
    return Lang::De;
  }
  if (s == "en" || s == "EN") {
    return Lang::En;
  }
  return std::nullopt;
}

bool contains(const Polygon& polygon, Point p) {
  const auto& ring = polygon.ring;
  if (ring.size() < 3) {
    return false;
  }
  // Ray casting with lon as x and lat as y; a closed ring (first == last) works as well.
  bool inside = false;
  for (std::size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
    const Point& a = ring[i];
    const Point& b = ring[j];
    if ((a.lat > p.lat) != (b.lat > p.lat)) {
      const double crossLon = a.lon + (p.lat - a.lat) * (b.lon - a.lon) / (b.lat - a.lat);
      if (p.lon < crossLon) {
        inside = !inside;
      }
    }
  }
  return inside;
}

bool contains(const std::vector<Polygon>& area, Point p) {
  for (const auto& polygon : area) {
    if (contains(polygon, p)) {
      return true;
    }
  }
  return false;
}

double distanceMeters(Point a, Point b) {
  const double dLat = radians(b.lat - a.lat);
  const double dLon = radians(b.lon - a.lon);
  const double h = std::sin(dLat / 2) * std::sin(dLat / 2) +
                   std::cos(radians(a.lat)) * std::cos(radians(b.lat)) * std::sin(dLon / 2) *
                       std::sin(dLon / 2);
  return 2 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(h)));
}

void TextCatalog::set(Lang lang, std::string key, std::string text) {
  texts_[lang][std::move(key)] = std::move(text);
}

bool TextCatalog::has(Lang lang, const std::string& key) const {
  const auto byLang = texts_.find(lang);
  return byLang != texts_.end() && byLang->second.find(key) != byLang->second.end();
}

std::vector<std::string> TextCatalog::keys(Lang lang) const {
  std::vector<std::string> out;
  const auto byLang = texts_.find(lang);
  if (byLang == texts_.end()) { return out; }
  for (const auto& [key, text] : byLang->second) { out.push_back(key); }
  return out;
}

std::string TextCatalog::render(Lang lang, const std::string& key,
                                const std::map<std::string, std::string>& params,
                                const std::string& channel) const {
  const std::string* tmpl = nullptr;
  const std::string variant = channel.empty() ? std::string() : key + "@" + channel;
  for (Lang l : {lang, Lang::De}) {
    const auto byLang = texts_.find(l);
    if (byLang == texts_.end()) {
      continue;
    }
    for (const std::string* k : {&variant, &key}) {
      const auto it = k->empty() ? byLang->second.end() : byLang->second.find(*k);
      if (it != byLang->second.end()) {
        tmpl = &it->second;
        break;
      }
    }
    if (tmpl != nullptr) {
      break;
    }
  }
  if (tmpl == nullptr) {
    return key;
  }
  // One pass: `{name}` with a known name is replaced; anything else is copied as is, so a
  // parameter value can never inject a further placeholder.
  std::string out;
  out.reserve(tmpl->size());
  std::size_t pos = 0;
  while (pos < tmpl->size()) {
    const std::size_t open = tmpl->find('{', pos);
    if (open == std::string::npos) {
      out.append(*tmpl, pos, std::string::npos);
      break;
    }
    out.append(*tmpl, pos, open - pos);
    const std::size_t close = tmpl->find('}', open + 1);
    if (close == std::string::npos) {
      out.append(*tmpl, open, std::string::npos);
      break;
    }
    const auto param = params.find(tmpl->substr(open + 1, close - open - 1));
    if (param == params.end()) {
      out.append(*tmpl, open, close - open + 1);
    } else {
      out += param->second;
    }
    pos = close + 1;
  }
  return out;
}

}  // namespace bb::flows
