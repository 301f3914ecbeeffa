#include "bot/oparl/poller.hpp"

#include <algorithm>
#include <thread>

#include "bot/log.hpp"
#include "bot/text/utf8.hpp"
#include "flows/subscriptions.hpp"

namespace bb::oparl {

namespace {

constexpr const char* kMeetingListKey = "meeting_list";
constexpr const char* kLastSyncKey = "last_sync";
constexpr std::size_t kResultChars = 300;

//! A parsed document, or nothing (logged without content: no body text reaches the log).
template <class T>
std::optional<T> readable(Result<T> parsed, std::size_t bytes) {
  if (!parsed) {
    log::warn("oparl_bad_json", {{"bytes", std::to_string(bytes)},
                                 {"error", toString(parsed.error().code)}});
    return std::nullopt;
  }
  if (parsed->sanitized) {
    log::info("oparl_json_sanitized", {});
  }
  return std::move(*parsed);
}

}  // namespace

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

Poller::Fetch Poller::fetch(const std::string& url, bool filtered, std::string& body) {
  HttpCall call;
  call.method = "GET";
  call.url = url;
  call.headers = {{"Accept", "application/json"}};
  call.timeout = options_.timeout;
  call.max_response_bytes = kMaxDocumentBytes;
  for (int attempt = 1; attempt <= options_.tries; ++attempt) {
    HttpReply reply = http_.send(call);
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
    body = std::move(reply.body);
    return Fetch::Ok;
  }
  return Fetch::Failed;
}

std::optional<std::string> Poller::meetingList() {
  if (auto saved = store_.oparlState(kMeetingListKey); saved && *saved) {
    return **saved;
  }
  std::string text;
  if (fetch(options_.url, false, text) != Fetch::Ok) {
    return std::nullopt;
  }
  const auto entry = readable(parseEntry(text), text.size());
  if (!entry) {
    return std::nullopt;
  }
  std::optional<std::string> meetings;
  if (entry->kind == Entry::Kind::Body) {
    meetings = entry->meeting_list;
  } else if (entry->kind == Entry::Kind::System) {
    std::string url = entry->body_list;
    for (int page = 0; !url.empty() && page < options_.max_pages && !meetings; ++page) {
      if (fetch(url, false, text) != Fetch::Ok) {
        return std::nullopt;
      }
      const auto list = readable(parseBodyPage(text), text.size());
      if (!list || list->empty) {
        return std::nullopt;
      }
      for (const BodyRef& b : list->bodies) {
        if (options_.body_id.empty() || b.id == options_.body_id) {
          meetings = b.meeting_list;
          break;
        }
      }
      url = list->next;
    }
  }
  if (!meetings || meetings->empty()) {
    log::warn("oparl_no_meeting_list", {});
    return std::nullopt;
  }
  (void)store_.setOparlState(kMeetingListKey, *meetings);
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
      std::string text;
      const Fetch f = fetch(url, filtered, text);
      if (f == Fetch::Failed) {
        return report;
      }
      ++report.pages;
      previous = url;
      url.clear();
      if (f == Fetch::Empty) {
        break;
      }
      const auto page = readable(parseMeetingPage(text), text.size());
      if (!page) {
        return report;
      }
      url = page->next;
      for (const Meeting& meeting : page->meetings) {
        ++report.meetings;
        handleMeeting(meeting, report.baseline, report);
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

void Poller::handleMeeting(const Meeting& meeting, bool baseline, PollReport& report) {
  const std::string& id = meeting.id;
  if (id.empty()) {
    return;
  }
  if (meeting.deleted) {
    withdraw(id, report);
    return;
  }
  std::vector<const TopicSetting*> topics;
  for (const std::string& org : meeting.organizations) {
    for (const TopicSetting& t : topics_) {
      for (const std::string& mapped : t.oparl_organizations) {
        if (mapped == org && std::find(topics.begin(), topics.end(), &t) == topics.end()) {
          topics.push_back(&t);
        }
      }
    }
  }
  const std::string& name = meeting.name;
  const std::string& date = meeting.date;
  const std::string& web = meeting.web;
  const bool cancelled = meeting.cancelled;
  const std::vector<AgendaItem>& items = meeting.agenda;

  for (const AgendaItem& item : items) {
    if (!item.id.empty() && item.deleted) {
      withdraw(id + "#" + item.id, report);
    }
  }
  const flows::Lang de = flows::Lang::De;
  for (const TopicSetting* topic : topics) {
    const std::string org = flows::topicLabel({topic->topic}, topic->topic.id, de);
    for (const AgendaItem& item : items) {
      if (item.deleted || !item.is_public) {
        continue;  // only public agenda items are ever broadcast
      }
      const std::string result =
          item.result.empty() ? ellipsize(item.resolution_text, kResultChars) : item.result;
      if (item.id.empty() || result.empty()) {
        continue;
      }
      NewBroadcast b;
      b.title = "TOP " + item.number + " " + item.name;
      b.body = texts_.render(de, "broadcast.oparl_result",
                             {{"organization", org}, {"meeting", name}, {"date", date},
                              {"number", item.number}, {"item", item.name}, {"result", result}});
      b.link = item.web.empty() ? web : item.web;
      announce("result:" + item.id, id + "#" + item.id, *topic, b, baseline, report);
    }
    const bool protocol = meeting.results_protocol;
    if (!cancelled && (protocol || meeting.meeting_state == "durchgeführt")) {
      NewBroadcast b;
      b.title = name;
      b.body = texts_.render(de, protocol ? "broadcast.oparl_protocol" : "broadcast.oparl_held",
                             {{"organization", org}, {"meeting", name}, {"date", date}});
      b.link = web;
      announce(std::string(protocol ? "protocol:" : "held:") + id, id, *topic, b, baseline,
               report);
    }
    if (cancelled) {
      NewBroadcast b;
      b.title = name;
      b.body = texts_.render(de, "broadcast.oparl_cancelled",
                             {{"organization", org}, {"meeting", name}, {"date", date}});
      b.link = web;
      announce("cancelled:" + id, id, *topic, b, baseline, report);
    } else if (meeting.start_time && *meeting.start_time > clock_.now() && !items.empty()) {
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
