#include "web/chat_transcript.hpp"

#include <algorithm>
#include <limits>

namespace bb::web {

std::size_t ChatTranscripts::sizeOf(const TranscriptEntry& e) {
  return 64 + e.text.size() + e.choice_id.size() + e.photo_id.size();
}

ChatTranscripts::Session& ChatTranscripts::touch(const std::string& session) {
  auto& s = sessions_[session];
  s.touched = ++uses_;
  return s;
}

void ChatTranscripts::evict(const std::string& keep) {
  while (bytes_ > limits_.total_bytes && sessions_.size() > 1) {
    auto oldest = sessions_.end();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->first != keep && (oldest == sessions_.end() || it->second.touched < oldest->second.touched)) {
        oldest = it;
      }
    }
    if (oldest == sessions_.end()) { return; }
    bytes_ -= oldest->second.bytes;
    sessions_.erase(oldest);
  }
}

std::int64_t ChatTranscripts::seen(const std::string& session) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(session);
  return it == sessions_.end() ? 0 : it->second.fetched;
}

void ChatTranscripts::add(const std::string& session, TranscriptEntry entry) {
  std::lock_guard lock(mutex_);
  auto& s = touch(session);
  const std::size_t size = sizeOf(entry);
  s.entries.push_back(std::move(entry));
  s.bytes += size;
  bytes_ += size;
  while (s.entries.size() > limits_.entries_per_session) {
    const std::size_t gone = sizeOf(s.entries.front());
    s.entries.pop_front();
    s.bytes -= gone;
    bytes_ -= gone;
  }
  evict(session);
}

void ChatTranscripts::fetched(const std::string& session, std::int64_t id) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(session);
  if (it == sessions_.end()) {
    if (id <= 0) { return; }  // nothing to remember for a session that only polls
    it = sessions_.try_emplace(session).first;
  }
  it->second.touched = ++uses_;
  it->second.fetched = std::max(it->second.fetched, id);
}

std::vector<TranscriptEntry> ChatTranscripts::entries(const std::string& session) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(session);
  if (it == sessions_.end()) { return {}; }
  it->second.touched = ++uses_;
  return {it->second.entries.begin(), it->second.entries.end()};
}

void ChatTranscripts::forgetBefore(const std::string& session, std::int64_t oldest_outbox) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(session);
  if (it == sessions_.end()) { return; }
  auto& s = it->second;
  const std::int64_t bound = oldest_outbox > 0 ? oldest_outbox : std::numeric_limits<std::int64_t>::max();
  std::size_t cut = 0;
  for (std::size_t i = 0; i < s.entries.size(); ++i) {
    if (s.entries[i].after_outbox > 0 && s.entries[i].after_outbox < bound) { cut = i + 1; }
  }
  for (std::size_t i = 0; i < cut; ++i) {
    const std::size_t gone = sizeOf(s.entries.front());
    s.entries.pop_front();
    s.bytes -= gone;
    bytes_ -= gone;
  }
  if (oldest_outbox <= 0) { s.fetched = 0; }
}

bool ChatTranscripts::hasPhoto(const std::string& session, const std::string& photo_id) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(session);
  if (it == sessions_.end()) { return false; }
  return std::any_of(it->second.entries.begin(), it->second.entries.end(),
                     [&](const TranscriptEntry& e) { return e.photo_id == photo_id; });
}

std::size_t ChatTranscripts::totalBytes() {
  std::lock_guard lock(mutex_);
  return bytes_;
}

}  // namespace bb::web
