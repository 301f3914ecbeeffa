#include "bot/conversation/flow_data.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "config/json_error.hpp"
#include "flows/subscriptions.hpp"

namespace bb {
namespace {

using json = nlohmann::json;

std::optional<std::string> readWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) { return std::nullopt; }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

//! The parsed text, or a located syntax error ("12:5: JSON syntax error ...").
Result<json> parseJson(const std::string& text) {
  json root = json::parse(text, nullptr, false);
  if (root.is_discarded()) {
    return fail(ErrorCode::InvalidInput, config::jsonSyntaxError(text).value_or("JSON syntax error"));
  }
  return root;
}

std::map<flows::Lang, std::string> langMap(const json& j) {
  std::map<flows::Lang, std::string> out;
  if (!j.is_object()) { return out; }
  for (const auto& [key, value] : j.items()) {
    auto lang = flows::langFromString(key);
    if (lang && value.is_string()) { out[*lang] = value.get<std::string>(); }
  }
  return out;
}

Result<flows::Polygon> ring(const json& coords) {
  flows::Polygon p;
  if (!coords.is_array()) { return fail(ErrorCode::InvalidInput, "ring is not an array"); }
  for (const auto& pt : coords) {
    if (!pt.is_array() || pt.size() < 2 || !pt[0].is_number() || !pt[1].is_number()) {
      return fail(ErrorCode::InvalidInput, "position is not [lon, lat]");
    }
    p.ring.push_back(flows::Point{pt[1].get<double>(), pt[0].get<double>()});  // GeoJSON: lon, lat
  }
  if (p.ring.size() < 4) { return fail(ErrorCode::InvalidInput, "ring has fewer than 4 positions"); }
  return p;
}

Result<void> addGeometry(const json& geometry, std::vector<flows::Polygon>& out) {
  if (!geometry.is_object()) { return fail(ErrorCode::InvalidInput, "geometry missing"); }
  const std::string type = geometry.value("type", "");
  const json& coords = geometry.contains("coordinates") ? geometry["coordinates"] : json();
  if (type == "Polygon") {
    if (!coords.is_array() || coords.empty()) { return fail(ErrorCode::InvalidInput, "empty polygon"); }
    auto r = ring(coords[0]);
    if (!r) { return fail(r.error().code, r.error().detail); }
    out.push_back(*r);
    return {};
  }
  if (type == "MultiPolygon") {
    if (!coords.is_array()) { return fail(ErrorCode::InvalidInput, "bad multipolygon"); }
    for (const auto& poly : coords) {
      if (!poly.is_array() || poly.empty()) { return fail(ErrorCode::InvalidInput, "empty polygon"); }
      auto r = ring(poly[0]);
      if (!r) { return fail(r.error().code, r.error().detail); }
      out.push_back(*r);
    }
    return {};
  }
  return fail(ErrorCode::InvalidInput, "geometry must be Polygon or MultiPolygon");
}

std::vector<const json*> features(const json& root) {
  std::vector<const json*> out;
  if (root.value("type", "") == "FeatureCollection" && root.contains("features") &&
      root["features"].is_array()) {
    for (const auto& f : root["features"]) { out.push_back(&f); }
  } else {
    out.push_back(&root);
  }
  return out;
}

}  // namespace

const flows::Category* FlowData::category(const std::string& id) const {
  for (const auto& c : categories) {
    if (c.id == id) { return &c; }
  }
  return nullptr;
}

std::string FlowData::topicLabel(const std::string& id, flows::Lang lang) const {
  return flows::topicLabel(topics, id, lang);
}

flows::Context FlowData::context(SysTime now) const {
  flows::Context ctx;
  ctx.now = now;
  ctx.texts = &texts;
  ctx.categories = &categories;
  ctx.geo = &geo;
  ctx.settings = settings;
  ctx.topics = &topics;
  return ctx;
}

Result<std::vector<flows::Category>> parseCategories(const std::string& json_text) {
  auto parsed = parseJson(json_text);
  if (!parsed) { return fail(parsed.error().code, parsed.error().detail); }
  const json& root = *parsed;
  if (!root.is_array()) {
    return fail(ErrorCode::InvalidInput, "categories: expected a JSON array");
  }
  std::vector<flows::Category> out;
  for (const auto& c : root) {
    if (!c.is_object() || !c.contains("id") || !c["id"].is_string() || !c.contains("department") ||
        !c["department"].is_string() || !c.contains("label")) {
      return fail(ErrorCode::InvalidInput, "categories: each needs id, department and label");
    }
    flows::Category cat;
    cat.id = c["id"].get<std::string>();
    cat.department = c["department"].get<std::string>();
    cat.label = langMap(c["label"]);
    if (c.contains("question")) { cat.question = langMap(c["question"]); }
    if (c.contains("notice")) { cat.notice = langMap(c["notice"]); }
    cat.district_routing = c.value("district_routing", false);
    cat.target_days = c.value("target_days", 5);
    cat.retention_days = c.value("retention_days", 0);
    if (cat.retention_days < 0) {
      return fail(ErrorCode::InvalidInput, "categories: " + cat.id + " has a negative retention_days");
    }
    if (cat.label.count(flows::Lang::De) == 0) {
      return fail(ErrorCode::InvalidInput, "categories: " + cat.id + " has no German label");
    }
    out.push_back(std::move(cat));
  }
  if (out.empty()) { return fail(ErrorCode::InvalidInput, "categories: none defined"); }
  return out;
}

Result<void> parseTexts(const std::string& json_text, flows::Lang lang, flows::TextCatalog& into) {
  auto parsed = parseJson(json_text);
  if (!parsed) { return fail(parsed.error().code, parsed.error().detail); }
  const json& root = *parsed;
  if (!root.is_object()) {
    return fail(ErrorCode::InvalidInput, "texts: expected a JSON object of key → text");
  }
  for (const auto& [key, value] : root.items()) {
    if (!value.is_string()) { return fail(ErrorCode::InvalidInput, "texts: " + key + " is not a string"); }
    into.set(lang, key, value.get<std::string>());
  }
  return {};
}

Result<std::vector<flows::Polygon>> parseGeoJsonPolygons(const std::string& json_text) {
  auto parsed = parseJson(json_text);
  if (!parsed) { return fail(parsed.error().code, parsed.error().detail); }
  const json& root = *parsed;
  if (!root.is_object()) {
    return fail(ErrorCode::InvalidInput, "geojson: not a JSON object");
  }
  std::vector<flows::Polygon> out;
  for (const json* f : features(root)) {
    const json& geometry = f->value("type", "") == "Feature" ? (*f)["geometry"] : *f;
    if (auto r = addGeometry(geometry, out); !r) { return fail(r.error().code, "geojson: " + r.error().detail); }
  }
  return out;
}

Result<std::vector<flows::District>> parseDistricts(const std::string& json_text) {
  auto parsed = parseJson(json_text);
  if (!parsed) { return fail(parsed.error().code, parsed.error().detail); }
  const json& root = *parsed;
  if (!root.is_object()) {
    return fail(ErrorCode::InvalidInput, "districts: not a JSON object");
  }
  std::vector<flows::District> out;
  for (const json* f : features(root)) {
    if (f->value("type", "") != "Feature" || !f->contains("properties")) {
      return fail(ErrorCode::InvalidInput, "districts: expected Features with properties");
    }
    const json& props = (*f)["properties"];
    flows::District d;
    d.id = props.value("id", "");
    d.name = props.value("name", d.id);
    d.department = props.value("department", "");
    if (d.id.empty()) { return fail(ErrorCode::InvalidInput, "districts: a feature has no id"); }
    if (auto r = addGeometry((*f)["geometry"], d.area); !r) {
      return fail(r.error().code, "districts: " + d.id + ": " + r.error().detail);
    }
    out.push_back(std::move(d));
  }
  return out;
}

Result<FlowData> loadFlowData(const config::Config& config) {
  FlowData data;
  const auto& fc = config.flows;
  auto file = [](const std::string& path) -> Result<std::string> {
    auto text = readWhole(path);
    if (!text) { return fail(ErrorCode::NotFound, "cannot read " + path); }
    return *text;
  };
  auto cats_text = file(fc.categories_file);
  if (!cats_text) { return fail(cats_text.error().code, cats_text.error().detail); }
  auto cats = parseCategories(*cats_text);
  if (!cats) { return fail(cats.error().code, config::inFile(fc.categories_file, cats.error().detail)); }
  data.categories = std::move(*cats);
  if (const std::string& tf = config.subscriptions.topics_file; !tf.empty()) {
    auto text = file(tf);
    if (!text) { return fail(text.error().code, text.error().detail); }
    auto topics = parseTopics(*text);
    if (!topics) { return fail(topics.error().code, config::inFile(tf, topics.error().detail)); }
    data.topic_settings = std::move(*topics);
    for (const auto& t : data.topic_settings) { data.topics.push_back(t.topic); }
  }
  for (auto lang : {flows::Lang::De, flows::Lang::En}) {
    const std::string path = fc.texts_dir + "/" + flows::toString(lang) + ".json";
    auto text = file(path);
    if (!text) { return fail(text.error().code, text.error().detail); }
    if (auto r = parseTexts(*text, lang, data.texts); !r) {
      return fail(r.error().code, config::inFile(path, r.error().detail));
    }
  }
  if (!fc.boundary_file.empty()) {
    auto text = file(fc.boundary_file);
    if (!text) { return fail(text.error().code, text.error().detail); }
    auto polys = parseGeoJsonPolygons(*text);
    if (!polys) { return fail(polys.error().code, config::inFile(fc.boundary_file, polys.error().detail)); }
    data.geo.boundary = std::move(*polys);
  }
  if (!fc.districts_file.empty()) {
    auto text = file(fc.districts_file);
    if (!text) { return fail(text.error().code, text.error().detail); }
    auto districts = parseDistricts(*text);
    if (!districts) { return fail(districts.error().code, config::inFile(fc.districts_file, districts.error().detail)); }
    data.geo.districts = std::move(*districts);
  }
  auto& s = data.settings;
  s.idle_timeout = std::chrono::minutes(fc.idle_timeout_minutes);
  s.reply_window = std::chrono::hours(24 * fc.reply_window_days);
  s.ticket_messages_per_day = fc.ticket_messages_per_day;
  s.duplicate_radius_m = fc.duplicate_radius_m;
  s.privacy_notice_version = config.privacy.notice_version;
  s.privacy_notice_url = config.privacy.notice_url;
  s.letterbox_department = fc.letterbox_department;
  s.outside_responsible = fc.outside_responsible;
  return data;
}

}  // namespace bb
