#include "bot/oparl/parse.hpp"

#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "bot/security/json_limits.hpp"
#include "bot/text/local_time.hpp"
#include "bot/text/timestamp.hpp"

namespace bb::oparl {

namespace {

using json = nlohmann::json;

std::string str(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) {
    return {};
  }
  return it->get<std::string>();
}

//! Trimmed; "N/A" and whitespace-only strings count as absent (CC e-gov quirk).
std::string clean(std::string s) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20) {
      c = ' ';  // control characters (sanitized from invalid JSON) never reach a message
    }
  }
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.back())) {
    s.pop_back();
  }
  std::size_t b = 0;
  while (b < s.size() && space(s[b])) {
    ++b;
  }
  s = s.substr(b);
  return s == "N/A" ? std::string() : s;
}

bool flag(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_boolean() && it->get<bool>();
}

bool endsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

//! `type` ends in "/<name>" (1.0 and 1.1 type URLs both occur).
bool isType(const json& object, const std::string& name) {
  return endsWith(str(object, "type"), "/" + name);
}

//! An embedded list that some servers send as a single object.
std::vector<const json*> listOf(const json& object, const char* key) {
  std::vector<const json*> out;
  const auto it = object.find(key);
  if (it == object.end()) {
    return out;
  }
  if (it->is_array()) {
    for (const json& e : *it) {
      out.push_back(&e);
    }
  } else if (it->is_object()) {
    out.push_back(&*it);
  }
  return out;
}

std::string nextLink(const json& doc) {
  if (!doc.is_object()) {
    return {};
  }
  const auto links = doc.find("links");
  return links != doc.end() && links->is_object() ? str(*links, "next") : std::string();
}

//! "dd.mm.yyyy" from a start written "yyyy-mm-ddT…" that parses, else "-". Local dates for
//! Germany would need the zone database; the date part as written is enough.
//! The size and depth limits, then the JSON parser; a second try with control characters
//! escaped. Never throws.
Result<void> parseDocument(std::string_view body, json& doc, bool& sanitized) {
  if (body.size() > kMaxDocumentBytes) {
    return fail(ErrorCode::TooLarge, "oparl document larger than the limit");
  }
  if (!jsonDepthWithin(body, kMaxJsonDepth)) {
    return fail(ErrorCode::TooLarge, "oparl document nested too deep");
  }
  doc = json::parse(body, nullptr, false);
  if (doc.is_discarded()) {
    doc = json::parse(sanitizeJson(body), nullptr, false);
    if (doc.is_discarded()) {
      return fail(ErrorCode::InvalidInput, "oparl document is not JSON");
    }
    sanitized = true;
  }
  return {};
}

AgendaItem agendaItemFrom(const json& item) {
  AgendaItem out;
  out.id = str(item, "id");
  out.deleted = flag(item, "deleted");
  out.is_public = flag(item, "public");
  out.result = clean(str(item, "result"));
  out.resolution_text = clean(str(item, "resolutionText"));
  out.number = clean(str(item, "number"));
  out.name = clean(str(item, "name"));
  out.web = str(item, "web");
  return out;
}

Meeting meetingFrom(const json& meeting) {
  Meeting out;
  out.id = str(meeting, "id");
  out.deleted = flag(meeting, "deleted");
  out.name = clean(str(meeting, "name"));
  out.start = str(meeting, "start");
  out.start_time = parseTimestamp(out.start);
  out.date = out.start_time ? localDate(*out.start_time) : "-";
  out.web = str(meeting, "web");
  out.cancelled = flag(meeting, "cancelled");
  out.meeting_state = str(meeting, "meetingState");
  for (const json* org : listOf(meeting, "organization")) {
    if (org->is_string()) {
      out.organizations.push_back(org->get<std::string>());
    }
  }
  const auto protocol = meeting.find("resultsProtocol");
  out.results_protocol = protocol != meeting.end() && protocol->is_object();
  for (const json* item : listOf(meeting, "agendaItem")) {
    if (item->is_object()) {
      out.agenda.push_back(agendaItemFrom(*item));
    }
  }
  return out;
}

}  // namespace

Result<MeetingPage> parseMeetingPage(std::string_view body) {
  MeetingPage page;
  json doc;
  if (auto parsed = parseDocument(body, doc, page.sanitized); !parsed) {
    return Unexpected<Error>{parsed.error()};
  }
  if (doc.is_array() && doc.empty()) {
    page.empty = true;  // CC e-gov answers an empty result this way
    return page;
  }
  std::vector<const json*> entries;
  if (doc.is_array()) {
    for (const json& e : doc) {
      entries.push_back(&e);
    }
  } else if (doc.is_object()) {
    entries = listOf(doc, "data");
  }
  for (const json* e : entries) {
    if (e->is_object()) {
      page.meetings.push_back(meetingFrom(*e));
    }
  }
  page.next = nextLink(doc);
  return page;
}

Result<Meeting> parseMeeting(std::string_view body) {
  json doc;
  bool sanitized = false;
  if (auto parsed = parseDocument(body, doc, sanitized); !parsed) {
    return Unexpected<Error>{parsed.error()};
  }
  if (!doc.is_object()) {
    return fail(ErrorCode::InvalidInput, "oparl meeting is not an object");
  }
  return meetingFrom(doc);
}

Result<Entry> parseEntry(std::string_view body) {
  Entry entry;
  json doc;
  if (auto parsed = parseDocument(body, doc, entry.sanitized); !parsed) {
    return Unexpected<Error>{parsed.error()};
  }
  if (!doc.is_object()) {
    return fail(ErrorCode::InvalidInput, "oparl entry point is not an object");
  }
  if (isType(doc, "Body")) {
    entry.kind = Entry::Kind::Body;
  } else if (isType(doc, "System")) {
    entry.kind = Entry::Kind::System;
  }
  entry.id = str(doc, "id");
  entry.body_list = str(doc, "body");
  entry.meeting_list = str(doc, "meeting");
  return entry;
}

Result<BodyPage> parseBodyPage(std::string_view body) {
  BodyPage page;
  json doc;
  if (auto parsed = parseDocument(body, doc, page.sanitized); !parsed) {
    return Unexpected<Error>{parsed.error()};
  }
  if (doc.is_array() && doc.empty()) {
    page.empty = true;
    return page;
  }
  std::vector<const json*> entries;
  if (doc.is_object() && isType(doc, "Body")) {
    entries.push_back(&doc);  // SD.NET RIM returns a single Body instead of a list
  } else if (doc.is_array()) {
    for (const json& e : doc) {
      entries.push_back(&e);
    }
  } else if (doc.is_object()) {
    entries = listOf(doc, "data");
  }
  for (const json* e : entries) {
    if (e->is_object()) {
      page.bodies.push_back(BodyRef{str(*e, "id"), str(*e, "meeting")});
    }
  }
  page.next = nextLink(doc);
  return page;
}

std::string sanitizeJson(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  bool escaped = false;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      } else if (c < 0x20) {
        static const char* kHex = "0123456789abcdef";
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0x0F];
        continue;
      }
    } else if (c == '"') {
      in_string = true;
    }
    out += ch;
  }
  return out;
}

std::string formatTimestamp(SysTime t) { return rfc3339Utc(t, "+00:00"); }

std::optional<SysTime> parseTimestamp(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s,
                  &consumed) != 6) {
    return std::nullopt;
  }
  std::size_t i = static_cast<std::size_t>(consumed);
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      ++i;
    }
  }
  int offset_minutes = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(text.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2) {
      return std::nullopt;
    }
    if (oh < 0 || oh > 23 || om < 0 || om > 59) {
      return std::nullopt;
    }
    offset_minutes = (oh * 60 + om) * (text[i] == '-' ? -1 : 1);
  }
  // The system clock counts nanoseconds in 64 bits (years 1678..2262): beyond, the conversion
  // below would overflow. No council meets outside these years.
  if (y < 1900 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 ||
      mi < 0 || mi > 59 || s < 0 || s > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  const std::time_t utc = timegm(&tm);
  return std::chrono::system_clock::from_time_t(utc) - std::chrono::minutes(offset_minutes);
}

std::string urlEncode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.' || c == '~';
    if (plain) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  return out;
}

}  // namespace bb::oparl
