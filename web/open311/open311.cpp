#include "web/open311/open311.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include <nlohmann/json.hpp>

#include "bot/cases/case_payload.hpp"
#include "bot/log.hpp"
#include "bot/cases/ticket_status.hpp"
#include "bot/text/utf8.hpp"

namespace bb::web {
namespace {

using json = nlohmann::ordered_json;  // keeps the spec's field order (XML too)

constexpr const char* kPrefix = "/open311/v2";

bool wantsXml(const HttpRequest& req) {
  return !req.matches.empty() && req.matches.back() == "xml";
}

std::string xmlEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(ch);
    }
  }
  return out;
}

std::string singular(const std::string& plural) {
  if (plural == "attributes") { return "attribute"; }
  if (plural == "values") { return "value"; }
  if (plural == "endpoints") { return "endpoint"; }
  if (plural == "formats") { return "format"; }
  return "item";
}

void appendXml(std::string& out, const std::string& name, const json& v) {
  out += "<" + name + ">";
  if (v.is_object()) {
    for (const auto& [k, inner] : v.items()) { appendXml(out, k, inner); }
  } else if (v.is_array()) {
    for (const auto& inner : v) { appendXml(out, singular(name), inner); }
  } else if (v.is_string()) {
    out += xmlEscape(v.get<std::string>());
  } else if (!v.is_null()) {
    out += xmlEscape(v.dump());
  }
  out += "</" + name + ">";
}

//! Open311's JSON is the "Spark" mapping of its XML: a list of `item` elements under `root`.
HttpResponse reply(const HttpRequest& req, int status, const json& body, const char* root,
                   const char* item) {
  if (wantsXml(req)) {
    std::string xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>";
    xml += std::string("<") + root + ">";
    if (body.is_array()) {
      for (const auto& v : body) { appendXml(xml, item, v); }
    } else {
      for (const auto& [k, v] : body.items()) { appendXml(xml, k, v); }
    }
    xml += std::string("</") + root + ">";
    HttpResponse r;
    r.status = status;
    r.content_type = "text/xml; charset=utf-8";
    r.body = std::move(xml);
    return r;
  }
  return HttpResponse::json(status, body.dump());
}

HttpResponse error(const HttpRequest& req, int status, const std::string& description) {
  return reply(req, status, json::array({{{"code", status}, {"description", description}}}),
               "errors", "error");
}

int httpStatusOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidInput:
    case ErrorCode::Conflict:
    case ErrorCode::TooLarge:
      return 400;
    case ErrorCode::Unauthorized:
      return 403;
    case ErrorCode::NotFound:
      return 404;
    case ErrorCode::Unavailable:
      return 503;
    default:
      return 500;
  }
}

//! Query parameters plus, for urlencoded posts, the form fields (an empty value = absent).
struct Params {
  std::multimap<std::string, std::string> all;
  explicit Params(const HttpRequest& req) : all(req.params) {
    const std::string type = req.header("content-type");
    if (!req.body.empty() && type.find("application/x-www-form-urlencoded") != std::string::npos) {
      for (auto& [k, v] : parseForm(req.body)) {
        if (all.find(k) == all.end()) { all.emplace(k, v); }
      }
    }
  }
  std::string get(const std::string& name) const {
    auto it = all.find(name);
    return it == all.end() ? std::string() : it->second;
  }
};

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const auto comma = s.find(',', start);
    const auto end = comma == std::string::npos ? s.size() : comma;
    std::string item = s.substr(start, end - start);
    item.erase(0, item.find_first_not_of(' '));
    while (!item.empty() && item.back() == ' ') { item.pop_back(); }
    if (!item.empty()) { out.push_back(item); }
    if (comma == std::string::npos) { break; }
    start = comma + 1;
  }
  return out;
}

std::optional<std::int64_t> parseNumber(const std::string& s) {
  if (s.empty() || s.size() > 15 ||
      !std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    return std::nullopt;
  }
  return std::stoll(s);
}

std::optional<double> parseCoordinate(const std::string& s, double limit) {
  if (s.empty() || s.size() > 32) { return std::nullopt; }
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (...) {
    return std::nullopt;
  }
  if (used != s.size() || !std::isfinite(v) || std::fabs(v) > limit) { return std::nullopt; }
  return v;
}

std::string label(const flows::Category& c, const std::string& lang) {
  const flows::Lang l = flows::langFromString(lang).value_or(flows::Lang::De);
  auto it = c.label.find(l);
  if (it == c.label.end()) { it = c.label.find(flows::Lang::De); }
  return it == c.label.end() ? c.id : it->second;
}

std::string question(const flows::Category& c, const std::string& lang) {
  const flows::Lang l = flows::langFromString(lang).value_or(flows::Lang::De);
  auto it = c.question.find(l);
  if (it == c.question.end()) { it = c.question.find(flows::Lang::De); }
  return it == c.question.end() ? std::string() : it->second;
}

}  // namespace

Open311Api::Open311Api(CaseService& service, const Clock& clock, Open311Options options)
    : service_(service), clock_(clock), options_(std::move(options)) {}

std::vector<Route> Open311Api::routes() {
  auto bind = [this](HttpResponse (Open311Api::*fn)(const HttpRequest&)) {
    return [this, fn](const HttpRequest& r) { return (this->*fn)(r); };
  };
  const std::string p = kPrefix;
  return {
      Route{"GET", p + "/discovery\\.(json|xml)", "open311_discovery", bind(&Open311Api::discovery)},
      Route{"GET", p + "/services\\.(json|xml)", "open311_services", bind(&Open311Api::services)},
      Route{"GET", p + "/services/([^/]+)\\.(json|xml)", "open311_service",
            bind(&Open311Api::serviceDefinition)},
      Route{"GET", p + "/requests\\.(json|xml)", "open311_requests", bind(&Open311Api::requests)},
      Route{"POST", p + "/requests\\.(json|xml)", "open311_create",
            bind(&Open311Api::createRequest)},
      Route{"GET", p + "/requests/([^/]+)\\.(json|xml)", "open311_request",
            bind(&Open311Api::request)},
      Route{"GET", p + "/servicerequestupdates\\.(json|xml)", "open311_updates",
            bind(&Open311Api::updates)},
      Route{"POST", p + "/servicerequestupdates\\.(json|xml)", "open311_post_update",
            bind(&Open311Api::postUpdate)},
  };
}

HttpResponse Open311Api::discovery(const HttpRequest& req) {
  const std::string changeset = "2026-01-01T00:00:00Z";
  json body = {
      {"changeset", changeset},
      {"contact", options_.contact},
      {"key_service", "API keys are issued by the city's IT (buergerbox apikey add)."},
      {"endpoints", json::array({{{"specification", "http://wiki.open311.org/GeoReport_v2"},
                                  {"url", options_.base_url + kPrefix},
                                  {"changeset", changeset},
                                  {"type", "production"},
                                  {"formats", json::array({"application/json", "text/xml"})}}})},
  };
  return reply(req, 200, body, "discovery", "discovery");
}

std::optional<HttpResponse> Open311Api::wrongJurisdiction(const HttpRequest& req) const {
  // Every route that takes a jurisdiction_id checks it (query or form): a client that talks to
  // the wrong city learns it at once instead of reading or writing this city's tickets.
  const std::string jurisdiction = Params(req).get("jurisdiction_id");
  if (!jurisdiction.empty() && !options_.jurisdiction_id.empty() &&
      jurisdiction != options_.jurisdiction_id) {
    return error(req, 404, "jurisdiction_id not found");
  }
  return std::nullopt;
}

Open311Paging Open311Api::paging(const HttpRequest& req) const {
  const Params params(req);
  Open311Paging p;
  p.size = options_.max_page_size;
  if (const auto s = params.get("page"); !s.empty()) {
    auto n = parseNumber(s);
    if (!n || *n < 1 || *n > 100000) {
      p.error = "page must be a positive number";
      return p;
    }
    p.page = static_cast<int>(*n);
  }
  if (const auto s = params.get("page_size"); !s.empty()) {
    auto n = parseNumber(s);
    if (!n || *n < 1 || *n > options_.max_page_size) {
      p.error = "page_size must be 1.." + std::to_string(options_.max_page_size);
      return p;
    }
    p.size = static_cast<int>(*n);
  }
  return p;
}

HttpResponse Open311Api::services(const HttpRequest& req) {
  const Params params(req);
  if (auto wrong = wrongJurisdiction(req)) { return *wrong; }
  const std::string lang = params.get("locale").empty() ? "de" : params.get("locale").substr(0, 2);
  json list = json::array();
  for (const auto& c : service_.flowData().categories) {
    const std::string other = label(c, lang == "en" ? "de" : "en");
    list.push_back({{"service_code", c.id},
                    {"service_name", label(c, lang)},
                    {"description", label(c, lang)},
                    {"metadata", !c.question.empty()},
                    {"type", "realtime"},
                    {"keywords", other},
                    {"group", c.department}});
  }
  return reply(req, 200, list, "services", "service");
}

HttpResponse Open311Api::serviceDefinition(const HttpRequest& req) {
  if (req.matches.size() < 2) { return error(req, 404, "service_code not found"); }
  if (auto wrong = wrongJurisdiction(req)) { return *wrong; }
  const flows::Category* c = service_.flowData().category(req.matches[0]);
  if (c == nullptr) { return error(req, 404, "service_code not found"); }
  const Params params(req);
  const std::string lang = params.get("locale").empty() ? "de" : params.get("locale").substr(0, 2);
  json attributes = json::array();
  if (!c->question.empty()) {
    attributes.push_back({{"variable", true},
                          {"code", "extra"},
                          {"datatype", "text"},
                          {"required", false},
                          {"datatype_description", nullptr},
                          {"order", 1},
                          {"description", question(*c, lang)},
                          {"values", json::array()}});
  }
  json body = {{"service_code", c->id}, {"attributes", attributes}};
  return reply(req, 200, body, "service_definition", "service_definition");
}

namespace {

json requestJson(const PublicTicket& t, const FlowData& flows, double grid_m,
                 const Open311Api::PlaceNamer& namer) {
  const flows::Category* c = flows.category(t.category_id);
  json r = {
      {"service_request_id", std::to_string(t.number)},
      {"status", open311Status(t.status)},
      {"status_notes", t.status_note.empty() ? json(nullptr) : json(t.status_note)},
      {"service_name", c != nullptr ? label(*c, "de") : t.category_id},
      {"service_code", t.category_id},
      {"description", t.public_description.empty() ? json(nullptr) : json(t.public_description)},
      {"agency_responsible", t.department},
      {"service_notice", nullptr},
      {"requested_datetime", w3cTime(t.created_at)},
      {"updated_datetime", w3cTime(t.closed_at ? *t.closed_at : t.updated_at)},
      {"expected_datetime", nullptr},
      {"address", nullptr},
      {"address_id", nullptr},
      {"zipcode", nullptr},
      {"lat", nullptr},
      {"long", nullptr},
      {"media_url", nullptr},
      // Extensions: our fine-grained status and the mySociety extended status.
      {"buergerbox_status", t.status},
      {"extended_status", extendedStatus(t.status)},
  };
  if (t.lat && t.lon) {
    const RoundedPoint p = roundToGrid(*t.lat, *t.lon, grid_m);
    r["lat"] = p.lat;
    r["long"] = p.lon;
    // From the rounded point, so the address tells no more than the coordinates do.
    if (namer) {
      if (auto address = namer(p.lat, p.lon)) { r["address"] = *address; }
    }
  }
  return r;
}

}  // namespace

HttpResponse Open311Api::requests(const HttpRequest& req) {
  const Params params(req);
  if (auto wrong = wrongJurisdiction(req)) { return *wrong; }
  PublicTicketQuery q;
  const std::string ids = params.get("service_request_id");
  if (!ids.empty()) {
    for (const auto& id : splitList(ids)) {
      auto n = parseNumber(id);
      if (!n) { return error(req, 400, "service_request_id must be a comma-separated list of numbers"); }
      q.numbers.push_back(*n);
    }
    if (q.numbers.size() > static_cast<std::size_t>(options_.max_page_size)) {
      return error(req, 400, "too many service_request_id values");
    }
  }
  q.category_ids = splitList(params.get("service_code"));
  const std::string status = params.get("status");
  if (!status.empty()) {
    bool open = false;
    bool closed = false;
    for (const auto& s : splitList(status)) {
      if (s == "open") {
        open = true;
      } else if (s == "closed") {
        closed = true;
      } else {
        return error(req, 400, "status must be open, closed or both");
      }
    }
    if (open != closed) { q.closed = closed; }
  }
  const auto window = std::chrono::hours(24) * options_.default_days;
  std::optional<SysTime> start;
  std::optional<SysTime> end;
  if (const auto s = params.get("start_date"); !s.empty()) {
    start = parseW3cTime(s);
    if (!start) { return error(req, 400, "start_date must be a W3C datetime with a time zone"); }
  }
  if (const auto s = params.get("end_date"); !s.empty()) {
    end = parseW3cTime(s);
    if (!end) { return error(req, 400, "end_date must be a W3C datetime with a time zone"); }
  }
  if (!end) { end = start ? *start + window : clock_.now(); }
  if (!start) { start = *end - window; }
  if (*end < *start) { return error(req, 400, "end_date is before start_date"); }
  if (*end - *start > window) {
    return error(req, 400, "the date range must not exceed " +
                               std::to_string(options_.default_days) + " days");
  }
  if (q.numbers.empty()) {
    q.start = start;
    q.end = end;
  }
  const Open311Paging page = paging(req);
  if (!page.error.empty()) { return error(req, 400, page.error); }
  q.limit = page.size;
  q.offset = (page.page - 1) * page.size;
  auto rows = service_.cases().publicTickets(q);
  if (!rows) { return error(req, 503, "temporarily unavailable"); }
  json list = json::array();
  for (const auto& t : *rows) {
    list.push_back(requestJson(t, service_.flowData(), options_.public_grid_m, place_namer_));
  }
  return reply(req, 200, list, "service_requests", "request");
}

HttpResponse Open311Api::request(const HttpRequest& req) {
  if (req.matches.size() < 2) { return error(req, 404, "service_request_id not found"); }
  if (auto wrong = wrongJurisdiction(req)) { return *wrong; }
  auto n = parseNumber(req.matches[0]);
  if (!n) { return error(req, 404, "service_request_id not found"); }
  auto row = service_.cases().publicTicket(*n);
  if (!row) { return error(req, 503, "temporarily unavailable"); }
  if (!*row || (*row)->kind != "defect") { return error(req, 404, "service_request_id not found"); }
  json list = json::array({requestJson(**row, service_.flowData(), options_.public_grid_m, place_namer_)});
  return reply(req, 200, list, "service_requests", "request");
}

HttpResponse Open311Api::createRequest(const HttpRequest& req) {
  const Params params(req);
  auto who = service_.authenticate(params.get("api_key"));
  if (!who) { return error(req, 403, "Invalid api_key received -- can't proceed with create_request."); }
  if (auto wrong = wrongJurisdiction(req)) { return *wrong; }
  const std::string code = params.get("service_code");
  if (code.empty()) { return error(req, 400, "service_code is required"); }
  const flows::Category* c = service_.flowData().category(code);
  if (c == nullptr) { return error(req, 404, "service_code not found"); }
  NewTicket t;
  t.kind = "defect";
  t.category_id = c->id;
  t.department = c->department;
  const std::string lat = params.get("lat");
  const std::string lon = params.get("long");
  if (!lat.empty() || !lon.empty()) {
    auto la = parseCoordinate(lat, 90);
    auto lo = parseCoordinate(lon, 180);
    if (!la || !lo) { return error(req, 400, "lat and long must both be WGS84 numbers"); }
    t.lat = *la;
    t.lon = *lo;
    // The same city limits as a chat report: a place outside is another authority's.
    const auto& boundary = service_.flowData().geo.boundary;
    if (!boundary.empty() && !flows::contains(boundary, flows::Point{*la, *lo})) {
      return error(req, 400, "lat/long lie outside the city limits");
    }
    // The same district routing as a chat report.
    for (const auto& d : service_.flowData().geo.districts) {
      if (flows::contains(d.area, flows::Point{*la, *lo})) {
        t.district_id = d.id;
        if (c->district_routing && !d.department.empty()) { t.department = d.department; }
        break;
      }
    }
  }
  const std::string address = params.get("address_string");
  const std::string address_id = params.get("address_id");
  if (!t.lat && address.empty() && address_id.empty()) {
    return error(req, 400, "a location is required: lat and long, address_string or address_id");
  }
  if (codePoints(address) > 300 || address_id.size() > 100) {
    return error(req, 400, "address_string is too long");
  }
  t.address_text = !address.empty() ? address : address_id;
  const std::string description = params.get("description");
  if (codePoints(description) > options_.max_description_chars) {
    return error(req, 400, "description must not exceed 4000 characters");
  }
  t.description = description;  // private: never in a public view unless staff publish it
  const std::string extra = params.get("attribute[extra]");
  if (codePoints(extra) > 1000) { return error(req, 400, "attribute[extra] is too long"); }
  t.extra_answer = extra;
  // email, phone, first_name, last_name, device_id, account_id and media_url are ignored on
  // purpose: Bürgerbox stores no contact data of third-party reporters (docs/open311.md).
  auto number = service_.createRequest(*who, std::move(t));
  if (!number) {
    if (number.error().code == ErrorCode::Unauthorized) {
      return error(req, 403, "api_key is not allowed to create requests of this service");
    }
    return error(req, httpStatusOf(number.error().code), "the request could not be stored");
  }
  json body = json::array({{{"service_request_id", std::to_string(*number)},
                            {"service_notice", nullptr},
                            {"account_id", nullptr}}});
  return reply(req, 200, body, "service_requests", "request");
}

HttpResponse Open311Api::updates(const HttpRequest& req) {
  const Params params(req);
  if (auto wrong = wrongJurisdiction(req)) { return *wrong; }
  const Open311Paging page = paging(req);
  if (!page.error.empty()) { return error(req, 400, page.error); }
  std::optional<SysTime> start;
  std::optional<SysTime> end;
  if (const auto s = params.get("start_date"); !s.empty()) {
    start = parseW3cTime(s);
    if (!start) { return error(req, 400, "start_date must be a W3C datetime with a time zone"); }
  }
  if (const auto s = params.get("end_date"); !s.empty()) {
    end = parseW3cTime(s);
    if (!end) { return error(req, 400, "end_date must be a W3C datetime with a time zone"); }
  }
  const auto window = std::chrono::hours(24) * options_.default_days;
  if (!end) { end = clock_.now(); }
  if (!start) { start = *end - window; }
  if (*end < *start) { return error(req, 400, "end_date is before start_date"); }
  auto rows = service_.cases().publicUpdates(*start, *end, page.size,
                                             (page.page - 1) * page.size);
  if (!rows) { return error(req, 503, "temporarily unavailable"); }
  json list = json::array();
  for (const auto& u : *rows) {
    list.push_back({{"update_id", std::to_string(u.id)},
                    {"service_request_id", std::to_string(u.number)},
                    {"status", extendedStatus(u.status)},
                    {"updated_datetime", w3cTime(u.at)},
                    {"description", u.note},
                    {"media_url", ""},
                    {"external_status_code", u.status}});
  }
  return reply(req, 200, list, "service_request_updates", "request_update");
}

HttpResponse Open311Api::postUpdate(const HttpRequest& req) {
  const Params params(req);
  auto who = service_.authenticate(params.get("api_key"));
  if (!who) { return error(req, 403, "Invalid api_key received -- can't proceed with post_service_request_update."); }
  if (auto wrong = wrongJurisdiction(req)) { return *wrong; }
  for (const char* required : {"service_request_id", "update_id", "status", "updated_datetime"}) {
    if (params.get(required).empty()) { return error(req, 400, std::string(required) + " is required"); }
  }
  if (!parseW3cTime(params.get("updated_datetime"))) {
    return error(req, 400, "updated_datetime must be a W3C datetime with a time zone");
  }
  auto number = parseNumber(params.get("service_request_id"));
  if (!number) { return error(req, 404, "service_request_id not found"); }
  bool known = false;
  const std::string status = statusFromExtended(params.get("status"), known);
  if (!known) { return error(req, 400, "unknown status"); }
  const std::string description = params.get("description");
  if (codePoints(description) > kMaxPublicNoteChars) {
    return error(req, 400, "description is too long");
  }
  // Idempotent by the client's update_id: a POST retried after a lost answer changes nothing
  // and tells no citizen twice.
  auto done = service_.applyUpdate(*who, *number, params.get("update_id"), status, description);
  if (!done) {
    if (done.error().code == ErrorCode::NotFound) {
      return error(req, 404, "service_request_id not found");
    }
    if (done.error().code == ErrorCode::Conflict) {
      return error(req, 400, "this status change is not allowed from the current status");
    }
    return error(req, httpStatusOf(done.error().code), "the update could not be applied");
  }
  json body = json::array({{{"update_id", params.get("update_id").substr(0, 100)}}});
  return reply(req, 200, body, "service_request_updates", "request_update");
}

}  // namespace bb::web
