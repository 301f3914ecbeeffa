#pragma once
// The citizen's side of a web chat session, so that a reload shows the whole conversation.
//
// The bot's side is in the outbox (durable, erased with the citizen); what the citizen typed,
// picked or uploaded is kept here, in memory only: bounded per session and in total, never
// logged, never written to disk, gone when the process ends or the session is evicted. Each
// entry remembers the newest bot message the session had received when it was sent, so both
// sides interleave as the citizen saw them.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace bb::web {

struct TranscriptEntry {
  enum class Kind { Text, Choice, Photo, Location };
  Kind kind = Kind::Text;
  std::string text;       //!< Text: the message; Choice: the label the page showed
  std::string choice_id;  //!< Choice
  std::string photo_id;   //!< Photo: the cleaned image's content id
  std::optional<double> accuracy_m;  //!< Location (the coordinates themselves are not kept)
  //! The newest outbox row the session had fetched when the entry was sent (0: none yet), taken
  //! with seen() before the event goes on: a poll may fetch the bot's answer before add() runs.
  std::int64_t after_outbox = 0;
};

struct TranscriptLimits {
  std::size_t entries_per_session = 200;
  std::size_t total_bytes = 32 * 1024 * 1024;  //!< all sessions together; least recent go first
};

class ChatTranscripts {
public:
  explicit ChatTranscripts(TranscriptLimits limits = {}) : limits_(limits) {}

  //! The newest outbox row the session fetched so far (0: none).
  std::int64_t seen(const std::string& session);
  //! Appends an entry; its after_outbox is kept as the caller took it from seen().
  void add(const std::string& session, TranscriptEntry entry);
  //! The session fetched bot messages up to outbox row `id`.
  void fetched(const std::string& session, std::int64_t id);
  //! The session's entries, oldest first.
  std::vector<TranscriptEntry> entries(const std::string& session);
  //! Drops the entries that answer bot messages which no longer exist (erasure, retention):
  //! every entry up to the last one whose after_outbox lies below `oldest_outbox` (0: the
  //! citizen has no bot messages at all any more).
  void forgetBefore(const std::string& session, std::int64_t oldest_outbox);
  //! True when the session sent the photo with this content id (and still has it).
  bool hasPhoto(const std::string& session, const std::string& photo_id);

  std::size_t totalBytes();

private:
  struct Session {
    std::deque<TranscriptEntry> entries;
    std::int64_t fetched = 0;
    std::uint64_t touched = 0;  //!< use counter for least-recently-used eviction
    std::size_t bytes = 0;
  };
  static std::size_t sizeOf(const TranscriptEntry& e);
  Session& touch(const std::string& session);
  void evict(const std::string& keep);

  TranscriptLimits limits_;
  std::mutex mutex_;
  std::map<std::string, Session> sessions_;
  std::uint64_t uses_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace bb::web
