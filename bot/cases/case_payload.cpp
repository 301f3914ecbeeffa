#include "bot/cases/case_payload.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <regex>

#include <nlohmann/json.hpp>

#include "bot/cases/photo_urls.hpp"
#include "bot/cases/ticket_status.hpp"
#include "bot/text/timestamp.hpp"

namespace bb {
namespace {

using json = nlohmann::json;

constexpr double kMetresPerDegree = 111320.0;

double sixDecimals(double v) { return std::round(v * 1e6) / 1e6; }

struct StatusMap {
  const char* ours;
  const char* extended;
};

// clang-format off
constexpr StatusMap kStatusMap[] = {
  // ours                 mySociety extended status
  {"eingegangen",         "open"},
  {"in_pruefung",         "investigating"},
  {"in_bearbeitung",      "in_progress"},
  {"eingeplant",          "action_scheduled"},
  {"erledigt",            "fixed"},
  {"nicht_zustaendig",    "not_councils_responsibility"},
  {"duplikat",            "duplicate"},
  {"geschlossen",         "closed"},
};
// clang-format on

}  // namespace

std::string w3cTime(SysTime t) { return rfc3339Utc(t); }

std::optional<SysTime> parseW3cTime(const std::string& text) {
  static const std::regex kFull(
      R"(^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$)");
  std::smatch m;
  if (text.size() > 40 || !std::regex_match(text, m, kFull)) { return std::nullopt; }
  std::tm tm{};
  tm.tm_year = std::stoi(m[1].str()) - 1900;
  tm.tm_mon = std::stoi(m[2].str()) - 1;
  tm.tm_mday = std::stoi(m[3].str());
  if (m[4].matched) {
    tm.tm_hour = std::stoi(m[4].str());
    tm.tm_min = std::stoi(m[5].str());
    tm.tm_sec = m[6].matched ? std::stoi(m[6].str()) : 0;
  }
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60) {
    return std::nullopt;
  }
  std::time_t secs = timegm(&tm);
  if (m[7].matched && m[7].str() != "Z") {
    const std::string zone = m[7].str();
    const int hours = std::stoi(zone.substr(1, 2));
    const int minutes = std::stoi(zone.substr(4, 2));
    if (hours > 14 || minutes > 59) { return std::nullopt; }
    const std::time_t offset = static_cast<std::time_t>(hours * 3600 + minutes * 60);
    secs = zone[0] == '+' ? secs - offset : secs + offset;
  }
  return std::chrono::system_clock::from_time_t(secs);
}

RoundedPoint roundToGrid(double lat, double lon, double grid_m) {
  if (grid_m <= 0) { return RoundedPoint{sixDecimals(lat), sixDecimals(lon)}; }
  const double lat_step = grid_m / kMetresPerDegree;
  const double rlat = (std::floor(lat / lat_step) + 0.5) * lat_step;
  const double lon_step =
      grid_m / (kMetresPerDegree * std::max(0.01, std::cos(rlat * M_PI / 180.0)));
  const double rlon = (std::floor(lon / lon_step) + 0.5) * lon_step;
  return RoundedPoint{sixDecimals(rlat), sixDecimals(rlon)};
}

const char* open311Status(const std::string& status) {
  const TicketStatus* s = findTicketStatus(status);
  return s != nullptr && s->closed ? "closed" : "open";
}

const char* extendedStatus(const std::string& status) {
  for (const auto& m : kStatusMap) {
    if (status == m.ours) { return m.extended; }
  }
  return "open";
}

std::string statusFromExtended(const std::string& extended, bool& known) {
  std::string lower;
  for (char ch : extended) {
    lower.push_back(ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch);
  }
  known = true;
  if (lower == "unchanged") { return {}; }
  for (const auto& m : kStatusMap) {
    if (lower == m.extended) { return m.ours; }
  }
  // Extended statuses without a status of their own.
  if (lower == "reopen" || lower == "for_triage") { return "in_pruefung"; }
  if (lower == "planned") { return "eingeplant"; }
  if (lower == "no_further_action" || lower == "cancelled" || lower == "internal_referral") {
    return "geschlossen";
  }
  known = false;
  return {};
}

std::string casePayload(const CaseSnapshot& t, const std::string& event_type,
                        const std::string& note, SysTime at, double grid_m) {
  CaseChange change;
  change.note = note;
  return casePayload(t, event_type, change, at, grid_m);
}

namespace {

json orNull(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

}  // namespace

json serviceRequestJson(const CaseSnapshot& t, double grid_m) {
  json request = {
      {"service_request_id", std::to_string(t.number)},
      {"status", open311Status(t.status)},
      {"buergerbox_status", t.status},
      {"extended_status", extendedStatus(t.status)},
      {"service_code", t.category_id},
      {"kind", t.kind},
      {"agency_responsible", t.department},
      {"district", orNull(t.district_id)},
      {"description", orNull(t.public_description)},
      {"external_ref", orNull(t.external_ref)},
      {"requested_datetime", w3cTime(t.created_at)},
      {"updated_datetime", w3cTime(t.updated_at)},
      {"lat", nullptr},
      {"long", nullptr},
  };
  if (t.lat && t.lon) {
    const RoundedPoint p = roundToGrid(*t.lat, *t.lon, grid_m);
    request["lat"] = p.lat;
    request["long"] = p.lon;
  }
  return request;
}

CaseSnapshot snapshotOf(const PublicTicket& p) {
  CaseSnapshot s;
  s.number = p.number;
  s.kind = p.kind;
  s.category_id = p.category_id;
  s.department = p.department;
  s.district_id = p.district_id;
  s.status = p.status;
  s.lat = p.lat;
  s.lon = p.lon;
  s.created_at = p.created_at;
  s.updated_at = p.updated_at;
  s.closed_at = p.closed_at;
  s.public_description = p.public_description;
  s.external_ref = p.external_ref;
  return s;
}

json changeEntryJson(const CaseEntry& entry) {
  json stored = json::parse(entry.payload, nullptr, false);
  if (stored.is_discarded() || !stored.is_object()) { stored = json::object(); }
  json out = {{"cursor", entry.id}};
  for (const char* key : {"event", "occurred_at", "service_request", "update", "change", "merge",
                          "message"}) {
    out[key] = stored.contains(key) ? stored[key] : json(nullptr);
  }
  // Retention empties the payload of a delivered entry of an anonymized ticket.
  if (out["event"].is_null()) { out["event"] = entry.event_type; }
  if (out["occurred_at"].is_null()) { out["occurred_at"] = w3cTime(entry.created_at); }
  return out;
}

std::string casePayload(const CaseSnapshot& t, const std::string& event_type,
                        const CaseChange& change, SysTime at, double grid_m) {
  json out = {
      {"event", event_type},
      {"occurred_at", w3cTime(at)},
      {"service_request", serviceRequestJson(t, grid_m)},
      {"update", nullptr},
      {"change", nullptr},
      {"merge", nullptr},
      {"message", nullptr},
  };
  if (event_type != "created") {
    out["update"] = {
        {"status", open311Status(t.status)},
        {"buergerbox_status", t.status},
        {"description", orNull(change.note)},
        {"updated_datetime", w3cTime(at)},
    };
  }
  if (event_type == "recategorized") {
    out["change"] = {
        {"from", {{"service_code", change.from_category},
                  {"agency_responsible", change.from_department}}},
        {"to", {{"service_code", t.category_id}, {"agency_responsible", t.department}}},
    };
  } else if (event_type == "merged") {
    out["merge"] = {{"into", std::to_string(change.merged_into)}};
  } else if (event_type == "message") {
    out["message"] = {{"to", "citizen"}, {"text", change.message}};
  } else if (event_type == "citizen_message") {
    // The text stays in the thread; the forwarder adds it when the entry is sent.
    out["message"] = {{"from", "citizen"}, {"text", nullptr}, {"photos", json::array()}};
  }
  return out.dump();
}

namespace {

json photoLinks(const std::vector<CasePhoto>& list, std::int64_t number,
                const PhotoUrlSigner* signer, SysTime now) {
  json photos = json::array();
  for (const auto& p : list) {
    if (signer == nullptr) { break; }
    const PhotoLink link = signer->link(number, p.media_id, now);
    photos.push_back({{"url", link.url},
                      {"expires_at", w3cTime(link.expires_at)},
                      {"content_type", p.mime_type.empty() ? "image/jpeg" : p.mime_type}});
  }
  return photos;
}

}  // namespace

json citizenMessageJson(const CitizenThreadMessage* m, std::int64_t number,
                        const PhotoUrlSigner* signer, SysTime now) {
  if (m == nullptr) {
    return {{"from", "citizen"}, {"text", nullptr}, {"photos", json::array()}};
  }
  return {{"from", "citizen"},
          {"text", orNull(m->text)},
          {"photos", photoLinks(m->photos, number, signer, now)}};
}

json caseReportJson(const CaseReport& r, std::int64_t number, const PhotoUrlSigner* signer,
                    SysTime now) {
  json photos = photoLinks(r.photos, number, signer, now);
  json out = {
      {"description", orNull(r.description)},
      {"address", orNull(r.address)},
      {"extra_answer", orNull(r.extra_answer)},
      {"lat", nullptr},
      {"long", nullptr},
      {"photos", photos},
  };
  if (r.lat && r.lon) {
    out["lat"] = sixDecimals(*r.lat);
    out["long"] = sixDecimals(*r.lon);
  }
  return out;
}

}  // namespace bb
