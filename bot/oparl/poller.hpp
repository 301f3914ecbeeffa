#pragma once
// The OParl 1.1 poller (docs/broadcasts.md): from a configured System or Body URL it
// finds the Body's meeting list, then fetches it incrementally with `modified_since` (no
// microseconds), following `links.next`. It copes with the quirks of real servers: an empty
// result answered as 404 or as a bare `[]`, control characters inside JSON strings, and HTTP 5xx
// (retried). New results of organizations mapped to topics become broadcast drafts (or are sent
// at once where the topic says so); a withdrawn (deleted) object that was broadcast gets a
// correction. Each event is recorded, so nothing repeats on the next poll. The first successful
// poll is a baseline: it records what exists without announcing the past. The wire parsing is
// in bot/oparl/parse.* (pure functions, fuzzed); here are HTTP, retries and the events.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bot/subscriptions/broadcast.hpp"
#include "bot/oparl/parse.hpp"
#include "bot/ports.hpp"
#include "bot/subscriptions/subscriptions.hpp"

namespace bb::oparl {

struct PollerOptions {
  std::string url;      //!< the System (entry point) or a Body URL
  std::string body_id;  //!< with a System: the Body to follow (empty: the first one)
  int max_pages = 500;  //!< per poll, against endless `next` chains
  int tries = 3;        //!< per request, for HTTP 5xx and transport errors
  std::chrono::milliseconds retry_wait{5000};
  std::chrono::milliseconds timeout{30000};
  //! How the poller waits between tries (tests pass a no-op).
  std::function<void(std::chrono::milliseconds)> sleep;
};

struct PollReport {
  bool ok = false;        //!< false: a request failed; the sync point did not move
  bool baseline = false;  //!< the first sync: events recorded, nothing announced
  int pages = 0;
  int meetings = 0;
  int drafts = 0;       //!< broadcast drafts created for editors
  int sent = 0;         //!< broadcasts sent at once (topic send_at_once)
  int corrections = 0;  //!< corrections sent, or drafts cancelled, for withdrawn objects
};

class Poller {
public:
  Poller(HttpClient& http, BroadcastStore& store, BroadcastService& broadcasts,
         std::vector<TopicSetting> topics, const flows::TextCatalog& texts, const Clock& clock,
         PollerOptions options);

  //! One poll. Never throws.
  PollReport poll();

private:
  enum class Fetch { Ok, Empty, Failed };
  Fetch fetch(const std::string& url, bool filtered, std::string& body);
  std::optional<std::string> meetingList();
  void handleMeeting(const Meeting& meeting, bool baseline, PollReport& report);
  void announce(const std::string& key, const std::string& object_id, const TopicSetting& topic,
                const NewBroadcast& draft, bool baseline, PollReport& report);
  void withdraw(const std::string& object_id, PollReport& report);

  HttpClient& http_;
  BroadcastStore& store_;
  BroadcastService& broadcasts_;
  std::vector<TopicSetting> topics_;
  const flows::TextCatalog& texts_;
  const Clock& clock_;
  PollerOptions options_;
};

}  // namespace bb::oparl
