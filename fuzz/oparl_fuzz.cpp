// libFuzzer target: the OParl parser (bot/oparl/parse.*) — the bytes as a Meeting list page, as a
// single Meeting, as the System/Body entry point and as a Body list page. Traps when a promise of
// parse.hpp breaks: every string valid UTF-8, cleaned text without control characters, blanks at
// the ends or "N/A", the date "-" or "dd.mm.yyyy", and no more entries than the input could hold.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bot/oparl/parse.hpp"
#include "bot/text/utf8.hpp"

namespace {

void utf8(const std::string& s) {
  if (!bb::isValidUtf8(s)) { __builtin_trap(); }
}

//! A cleaned field: valid UTF-8, no control character, no blank at either end, never "N/A".
void cleaned(const std::string& s) {
  utf8(s);
  for (const char c : s) {
    if (static_cast<unsigned char>(c) < 0x20) { __builtin_trap(); }
  }
  if (!s.empty() && (s.front() == ' ' || s.back() == ' ')) { __builtin_trap(); }
  if (s == "N/A") { __builtin_trap(); }
}

void date(const std::string& d) {
  if (d == "-") { return; }
  if (d.size() != 10 || d[2] != '.' || d[5] != '.') { __builtin_trap(); }
  for (const std::size_t i : {0, 1, 3, 4, 6, 7, 8, 9}) {
    if (d[i] < '0' || d[i] > '9') { __builtin_trap(); }
  }
}

void meeting(const bb::oparl::Meeting& m, std::size_t size) {
  utf8(m.id);
  utf8(m.start);
  utf8(m.web);
  utf8(m.meeting_state);
  cleaned(m.name);
  date(m.date);
  if (m.date != "-" && !m.start_time) { __builtin_trap(); }  // a date only from a parsed start
  // Each agenda item is an object ("{}", 2 bytes), each organization a string ("\"\"", 2 bytes).
  if (m.agenda.size() > size / 2 || m.organizations.size() > size / 2) { __builtin_trap(); }
  for (const std::string& o : m.organizations) { utf8(o); }
  for (const bb::oparl::AgendaItem& item : m.agenda) {
    utf8(item.id);
    utf8(item.web);
    cleaned(item.result);
    cleaned(item.resolution_text);
    cleaned(item.number);
    cleaned(item.name);
    const std::string shortened = bb::ellipsize(item.resolution_text, 300);
    utf8(shortened);
    if (shortened.size() > item.resolution_text.size() + 3) { __builtin_trap(); }  // + "…"
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  if (auto page = bb::oparl::parseMeetingPage(body)) {
    if (page->meetings.size() > size / 2) { __builtin_trap(); }
    if (page->empty && (!page->meetings.empty() || !page->next.empty())) { __builtin_trap(); }
    utf8(page->next);
    for (const bb::oparl::Meeting& m : page->meetings) { meeting(m, size); }
  }
  if (auto single = bb::oparl::parseMeeting(body)) { meeting(*single, size); }
  if (auto entry = bb::oparl::parseEntry(body)) {
    utf8(entry->id);
    utf8(entry->body_list);
    utf8(entry->meeting_list);
  }
  if (auto bodies = bb::oparl::parseBodyPage(body)) {
    if (bodies->bodies.size() > size / 2 + 1) { __builtin_trap(); }
    utf8(bodies->next);
    for (const bb::oparl::BodyRef& b : bodies->bodies) {
      utf8(b.id);
      utf8(b.meeting_list);
    }
  }
  return 0;
}
