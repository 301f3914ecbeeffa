#include "bot/cases/case_payload.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <regex>

#include <nlohmann/json.hpp>

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
  json request = {
      {"service_request_id", std::to_string(t.number)},
      {"status", open311Status(t.status)},
      {"buergerbox_status", t.status},
      {"extended_status", extendedStatus(t.status)},
      {"service_code", t.category_id},
      {"kind", t.kind},
      {"agency_responsible", t.department},
      {"district", t.district_id.empty() ? json(nullptr) : json(t.district_id)},
      {"description", t.public_description.empty() ? json(nullptr) : json(t.public_description)},
      {"external_ref", t.external_ref.empty() ? json(nullptr) : json(t.external_ref)},
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
  json out = {
      {"event", event_type},
      {"occurred_at", w3cTime(at)},
      {"service_request", request},
      {"update", nullptr},
  };
  if (event_type != "created") {
    out["update"] = {
        {"status", open311Status(t.status)},
        {"buergerbox_status", t.status},
        {"description", note.empty() ? json(nullptr) : json(note)},
        {"updated_datetime", w3cTime(at)},
    };
  }
  return out.dump();
}

}  // namespace bb
