#pragma once
// OParl 1.1 wire parsing, as pure functions: bytes in, typed structs out. No
// HTTP, no storage, no logging — the poller (bot/oparl/poller.*) fetches, these read, and the
// fuzz target fuzz/oparl_fuzz.cpp feeds them hostile bytes. They cope with the quirks of real
// servers: an empty list answered as a bare `[]`, a list as a bare array instead of an object with
// `data`, an embedded list sent as a single object, raw control characters inside JSON strings
// (CC e-gov), a Body list answered with a single Body (SD.NET RIM), and "N/A" for absent text.
//
// Guarantees: every string in a result is valid UTF-8 (the JSON parser refuses anything else);
// the text fields marked "cleaned" hold no control character, no leading or trailing blank and
// never "N/A". A body larger than kMaxDocumentBytes or nested deeper than kMaxJsonDepth is refused
// before the JSON parser sees it. Wrong types are absent values, never an error or an exception.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bot/result.hpp"
#include "bot/types.hpp"

namespace bb::oparl {

//! Largest OParl answer read: the HTTP client's default response cap (HttpCall).
inline constexpr std::size_t kMaxDocumentBytes = 8 * 1024 * 1024;
//! Deepest JSON nesting accepted. Real pages nest about 10 levels (page → data → meeting →
//! agendaItem / location → geojson → coordinates).
inline constexpr std::size_t kMaxJsonDepth = 64;

//! One AgendaItem (OParl 1.1 §3.9), embedded in its Meeting.
struct AgendaItem {
  std::string id;               //!< URL; empty when missing or not a string
  bool deleted = false;         //!< soft delete (spec chapter 2-08)
  bool is_public = false;       //!< `public`: only public items are ever broadcast
  std::string result;           //!< cleaned; e.g. "Einstimmig beschlossen"
  std::string resolution_text;  //!< `resolutionText`, cleaned, full length
  std::string number;           //!< cleaned; "TOP" number as printed, e.g. "1" or "Ö 3.1"
  std::string name;             //!< cleaned
  std::string web;              //!< HTML page of the item, as sent
};

//! One Meeting (OParl 1.1 §3.8), the fields the broadcasts use.
struct Meeting {
  std::string id;                          //!< URL; empty when missing or not a string
  bool deleted = false;                    //!< soft delete: only id/type/modified are reliable
  std::string name;                        //!< cleaned
  std::string start;                       //!< as sent, e.g. "2013-01-04T08:00:00+01:00"
  std::optional<SysTime> start_time;       //!< `start` parsed (parseTimestamp)
  std::string date;                        //!< "04.01.2013": the local day of `start`, or "-"
  std::string web;                         //!< HTML page of the meeting, as sent
  bool cancelled = false;                  //!< `cancelled: true`
  std::string meeting_state;               //!< `meetingState` as sent, e.g. "durchgeführt"
  std::vector<std::string> organizations;  //!< `organization` URLs (string entries only)
  bool results_protocol = false;           //!< a `resultsProtocol` File object is present
  std::vector<AgendaItem> agenda;          //!< `agendaItem` objects (a single object counts)
};

//! One page of a Meeting list (`Body.meeting`, OParl 1.1 §2.6 paginated lists).
struct MeetingPage {
  bool empty = false;             //!< the body was a bare `[]` (an empty result)
  bool sanitized = false;         //!< control characters had to be escaped to parse it
  std::vector<Meeting> meetings;  //!< the object entries of the list, in order
  std::string next;               //!< `links.next`; empty on the last page
};

//! The entry point the operator configured: a System (lists its Bodies) or a Body.
struct Entry {
  enum class Kind { System, Body, Other };
  Kind kind = Kind::Other;  //!< from `type` ("…/System", "…/Body"; 1.0 and 1.1 URLs)
  bool sanitized = false;
  std::string id;            //!< `id`
  std::string body_list;     //!< System: `body`, the URL of the Body list
  std::string meeting_list;  //!< Body: `meeting`, the URL of its Meeting list
};

//! A Body as listed by a System.
struct BodyRef {
  std::string id;            //!< `id`
  std::string meeting_list;  //!< `meeting`; may be empty
};

//! One page of a System's Body list.
struct BodyPage {
  bool empty = false;  //!< a bare `[]`
  bool sanitized = false;
  std::vector<BodyRef> bodies;  //!< object entries; a lone Body object is a list of one
  std::string next;             //!< `links.next`
};

//! A page of a Meeting list: a bare array, an object with `data` (an array, or one object), or
//! `[]`. Any other JSON value is a page without meetings. Errors: TooLarge (size, depth) and
//! InvalidInput (not JSON even after escaping control characters).
Result<MeetingPage> parseMeetingPage(std::string_view body);
//! One Meeting object (a single document, e.g. `GET /meeting/281`). InvalidInput when the JSON
//! is not an object.
Result<Meeting> parseMeeting(std::string_view body);
//! A System or Body document. InvalidInput when the JSON is not an object.
Result<Entry> parseEntry(std::string_view body);
//! A page of a Body list (also a single Body object instead of a list).
Result<BodyPage> parseBodyPage(std::string_view body);

//! Escapes raw control characters (U+0000..U+001F) inside JSON strings (CC e-gov quirk).
std::string sanitizeJson(std::string_view text);
//! `2026-11-27T22:10:00+00:00`: UTC, whole seconds (some servers reject microseconds).
std::string formatTimestamp(SysTime t);
//! Parses an OParl date-time (`2013-01-04T08:00:00+01:00`, `Z`, fractions ignored). Years
//! outside 1900..2200 or fields out of range: nullopt.
std::optional<SysTime> parseTimestamp(const std::string& text);
std::string urlEncode(const std::string& text);

}  // namespace bb::oparl
