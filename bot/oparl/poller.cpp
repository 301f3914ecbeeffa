#include "bot/oparl/poller.hpp"

#include <ctime>
#include <thread>

#include <nlohmann/json.hpp>

#include "bot/log.hpp"
#include "flows/subscriptions.hpp"

namespace bb::oparl {

namespace {

using json = nlohmann::json;

constexpr const char* kMeetingListKey = "meeting_list";
constexpr const char* kLastSyncKey = "last_sync";
constexpr std::size_t kResultChars = 300;

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
std::vector<json> listOf(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end()) {
    return {};
  }
  if (it->is_array()) {
    return std::vector<json>(it->begin(), it->end());
  }
  if (it->is_object()) {
    return {*it};
  }
  return {};
}

std::string shorten(const std::string& text, std::size_t max_code_points) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0U) != 0x80U) {
      if (count == max_code_points) {
        return text.substr(0, i) + "…";
      }
      ++count;
    }
  }
  return text;
}

std::string dateOf(const json& meeting) {
  const auto t = parseTimestamp(str(meeting, "start"));
  if (!t) {
    return "-";
  }
  // Local dates for Germany would need the zone database; the date part as written is enough.
  const std::string raw = str(meeting, "start");
  if (raw.size() >= 10) {
    return raw.substr(8, 2) + "." + raw.substr(5, 2) + "." + raw.substr(0, 4);
  }
  return "-";
}

}  // namespace

std::string sanitizeJson(const std::string& text) {
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

std::string formatTimestamp(SysTime t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
  return buf;
}

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
    offset_minutes = (oh * 60 + om) * (text[i] == '-' ? -1 : 1);
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

Poller::Poller(HttpClient& http, BroadcastStore& store, BroadcastService& broadcasts,
               std::vector<TopicSetting> topics, const flows::TextCatalog& texts,
               const Clock& clock, PollerOptions options)
    : http_(http),
      store_(store),
      broadcasts_(broadcasts),
      topics_(std::move(topics)),
      texts_(texts),
      clock_(clock),
      options_(std::move(options)) {
  if (!options_.sleep) {
    options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  }
}

Poller::Fetch Poller::fetch(const std::string& url, bool filtered, json& out) {
  HttpCall call;
  call.method = "GET";
  call.url = url;
  call.headers = {{"Accept", "application/json"}};
  call.timeout = options_.timeout;
  for (int attempt = 1; attempt <= options_.tries; ++attempt) {
    const HttpReply reply = http_.send(call);
    if (reply.status == 404 && filtered) {
      return Fetch::Empty;  // SD.NET RIM answers an empty modified_since result with 404
    }
    if (reply.status == 0 || reply.status >= 500) {
      log::warn("oparl_fetch_retry", {{"status", std::to_string(reply.status)},
                                      {"try", std::to_string(attempt)}});
      if (attempt < options_.tries) {
        options_.sleep(options_.retry_wait);
      }
      continue;
    }
    if (reply.status != 200) {
      log::warn("oparl_fetch_failed", {{"status", std::to_string(reply.status)}});
      return Fetch::Failed;
    }
    out = json::parse(reply.body, nullptr, false);
    if (out.is_discarded()) {
      out = json::parse(sanitizeJson(reply.body), nullptr, false);
      if (out.is_discarded()) {
        log::warn("oparl_bad_json", {{"bytes", std::to_string(reply.body.size())}});
        return Fetch::Failed;
      }
      log::info("oparl_json_sanitized", {});
    }
    if (out.is_array() && out.empty()) {
      return Fetch::Empty;
    }
    return Fetch::Ok;
  }
  return Fetch::Failed;
}

std::optional<std::string> Poller::meetingList() {
  if (auto saved = store_.oparlState(kMeetingListKey); saved && *saved) {
    return **saved;
  }
  json entry;
  if (fetch(options_.url, false, entry) != Fetch::Ok || !entry.is_object()) {
    return std::nullopt;
  }
  json body;
  if (isType(entry, "Body")) {
    body = entry;
  } else if (isType(entry, "System")) {
    std::string url = str(entry, "body");
    for (int page = 0; !url.empty() && page < options_.max_pages && body.is_null(); ++page) {
      json list;
      if (fetch(url, false, list) != Fetch::Ok) {
        return std::nullopt;
      }
      // SD.NET RIM returns a single Body instead of a list.
      std::vector<json> bodies;
      if (list.is_object() && isType(list, "Body")) {
        bodies.push_back(list);
      } else if (list.is_array()) {
        bodies.assign(list.begin(), list.end());
      } else if (list.is_object()) {
        bodies = listOf(list, "data");
      }
      for (const json& b : bodies) {
        if (b.is_object() && (options_.body_id.empty() || str(b, "id") == options_.body_id)) {
          body = b;
          break;
        }
      }
      const auto links = list.is_object() ? list.find("links") : list.end();
      url = list.is_object() && links != list.end() && links->is_object() ? str(*links, "next")
                                                                           : std::string();
    }
  }
  const std::string meetings = body.is_object() ? str(body, "meeting") : std::string();
  if (meetings.empty()) {
    log::warn("oparl_no_meeting_list", {});
    return std::nullopt;
  }
  (void)store_.setOparlState(kMeetingListKey, meetings);
  return meetings;
}

PollReport Poller::poll() {
  PollReport report;
  try {
    const auto list = meetingList();
    if (!list) {
      return report;
    }
    const auto last = store_.oparlState(kLastSyncKey);
    if (!last) {
      return report;
    }
    report.baseline = !*last;
    // The next sync point is taken before fetching, so nothing modified meanwhile is missed.
    const SysTime started = clock_.now();
    std::string url = *list;
    const bool filtered = !report.baseline;
    if (filtered && url.find("modified_since=") == std::string::npos) {
      url += (url.find('?') == std::string::npos ? "?" : "&");
      url += "modified_since=" + urlEncode(**last);
    }
    std::string previous;
    while (!url.empty() && url != previous && report.pages < options_.max_pages) {
      json page;
      const Fetch f = fetch(url, filtered, page);
      if (f == Fetch::Failed) {
        return report;
      }
      ++report.pages;
      previous = url;
      url.clear();
      if (f == Fetch::Empty) {
        break;
      }
      std::vector<json> data;
      if (page.is_array()) {
        data.assign(page.begin(), page.end());
      } else if (page.is_object()) {
        data = listOf(page, "data");
        const auto links = page.find("links");
        if (links != page.end() && links->is_object()) {
          url = str(*links, "next");
        }
      }
      for (const json& meeting : data) {
        if (meeting.is_object()) {
          ++report.meetings;
          handleMeeting(meeting, report.baseline, report);
        }
      }
    }
    (void)store_.setOparlState(kLastSyncKey, formatTimestamp(started));
    report.ok = true;
  } catch (const std::exception&) {
    log::warn("oparl_poll_error", {{"error", "exception"}});
  }
  log::info("oparl_poll", {{"ok", report.ok ? "1" : "0"},
                           {"baseline", report.baseline ? "1" : "0"},
                           {"pages", std::to_string(report.pages)},
                           {"meetings", std::to_string(report.meetings)},
                           {"drafts", std::to_string(report.drafts)},
                           {"sent", std::to_string(report.sent)},
                           {"corrections", std::to_string(report.corrections)}});
  return report;
}

void Poller::withdraw(const std::string& object_id, PollReport& report) {
  const std::string key = "deleted:" + object_id;
  if (auto seen = store_.oparlEventSeen(key); !seen || *seen) {
    return;
  }
  std::int64_t last = 0;
  if (auto ids = store_.oparlBroadcastsOf(object_id)) {
    for (const std::int64_t id : *ids) {
      if (auto c = broadcasts_.correct(id)) {
        ++report.corrections;
        last = *c;
      }
    }
  }
  (void)store_.recordOparlEvent(key, object_id, last, clock_.now());
}

void Poller::announce(const std::string& key, const std::string& object_id,
                      const TopicSetting& topic, const NewBroadcast& draft, bool baseline,
                      PollReport& report) {
  const std::string full_key = key + "@" + topic.topic.id;
  if (auto seen = store_.oparlEventSeen(full_key); !seen || *seen) {
    return;
  }
  std::int64_t id = 0;
  if (!baseline) {
    NewBroadcast b = draft;
    b.topic = topic.topic.id;
    b.source = "oparl";
    auto created = broadcasts_.createDraft(b);
    if (!created) {
      return;  // not recorded: tried again on the next poll
    }
    id = *created;
    if (topic.send_at_once) {
      if (broadcasts_.send(id)) { ++report.sent; }
    } else {
      ++report.drafts;
    }
  }
  (void)store_.recordOparlEvent(full_key, object_id, id, clock_.now());
}

void Poller::handleMeeting(const json& meeting, bool baseline, PollReport& report) {
  const std::string id = str(meeting, "id");
  if (id.empty()) {
    return;
  }
  if (flag(meeting, "deleted")) {
    withdraw(id, report);
    return;
  }
  std::vector<const TopicSetting*> topics;
  for (const json& org : listOf(meeting, "organization")) {
    if (!org.is_string()) {
      continue;
    }
    for (const TopicSetting& t : topics_) {
      for (const std::string& mapped : t.oparl_organizations) {
        if (mapped == org.get<std::string>() &&
            std::find(topics.begin(), topics.end(), &t) == topics.end()) {
          topics.push_back(&t);
        }
      }
    }
  }
  const std::string name = clean(str(meeting, "name"));
  const std::string date = dateOf(meeting);
  const std::string web = str(meeting, "web");
  const bool cancelled = flag(meeting, "cancelled");
  const std::vector<json> items = listOf(meeting, "agendaItem");

  for (const json& item : items) {
    if (!item.is_object()) {
      continue;
    }
    const std::string item_id = str(item, "id");
    if (item_id.empty()) {
      continue;
    }
    if (flag(item, "deleted")) {
      withdraw(id + "#" + item_id, report);
    }
  }
  const flows::Lang de = flows::Lang::De;
  for (const TopicSetting* topic : topics) {
    const std::string org = flows::topicLabel({topic->topic}, topic->topic.id, de);
    for (const json& item : items) {
      if (!item.is_object() || flag(item, "deleted") || !flag(item, "public")) {
        continue;  // only public agenda items are ever broadcast
      }
      const std::string item_id = str(item, "id");
      std::string result = clean(str(item, "result"));
      if (result.empty()) {
        result = shorten(clean(str(item, "resolutionText")), kResultChars);
      }
      if (item_id.empty() || result.empty()) {
        continue;
      }
      const std::string number = clean(str(item, "number"));
      const std::string item_name = clean(str(item, "name"));
      NewBroadcast b;
      b.title = "TOP " + number + " " + item_name;
      b.body = texts_.render(de, "broadcast.oparl_result",
                             {{"organization", org}, {"meeting", name}, {"date", date},
                              {"number", number}, {"item", item_name}, {"result", result}});
      b.link = str(item, "web").empty() ? web : str(item, "web");
      announce("result:" + item_id, id + "#" + item_id, *topic, b, baseline, report);
    }
    const json* protocol = nullptr;
    if (const auto p = meeting.find("resultsProtocol"); p != meeting.end() && p->is_object()) {
      protocol = &*p;
    }
    const std::string state = str(meeting, "meetingState");
    if (!cancelled && (protocol != nullptr || state == "durchgeführt")) {
      NewBroadcast b;
      b.title = name;
      b.body = texts_.render(de, protocol != nullptr ? "broadcast.oparl_protocol"
                                                     : "broadcast.oparl_held",
                             {{"organization", org}, {"meeting", name}, {"date", date}});
      b.link = web;
      announce(std::string(protocol != nullptr ? "protocol:" : "held:") + id, id, *topic, b,
               baseline, report);
    }
    if (cancelled) {
      NewBroadcast b;
      b.title = name;
      b.body = texts_.render(de, "broadcast.oparl_cancelled",
                             {{"organization", org}, {"meeting", name}, {"date", date}});
      b.link = web;
      announce("cancelled:" + id, id, *topic, b, baseline, report);
    } else if (const auto start = parseTimestamp(str(meeting, "start"));
               start && *start > clock_.now() && !items.empty()) {
      NewBroadcast b;
      b.title = name;
      b.body = texts_.render(de, "broadcast.oparl_agenda",
                             {{"organization", org}, {"meeting", name}, {"date", date},
                              {"count", std::to_string(items.size())}});
      b.link = web;
      announce("agenda:" + id, id, *topic, b, baseline, report);
    }
  }
}

}  // namespace bb::oparl
