#include "bot/conversation/engine.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "bot/cases/ticket_status.hpp"
#include "bot/conversation/codec.hpp"
#include "bot/conversation/followers.hpp"
#include "bot/conversation/ownership.hpp"
#include "bot/conversation/step.hpp"
#include "bot/conversation/step_effects.hpp"
#include "bot/log.hpp"
#include "bot/participation/participation.hpp"
#include "bot/runtime/threads.hpp"
#include "bot/security/provider_id.hpp"
#include "config/config.hpp"
#include "bot/text/local_time.hpp"
#include "flows/conversation.hpp"

namespace bb {
namespace {

constexpr int kRescanPage = 500;
constexpr int kMaxLookupRounds = 3;
constexpr double kNearAddressRadiusM = 150;  //!< farther than this a pin is shown as a point
constexpr int kMaxReplyWindows = 20;  //!< the latest ones; a citizen picks among 9 at most

flows::ReplyWindow toFlowWindow(const ReplyWindowRecord& r) {
  return flows::ReplyWindow{r.number, r.opened_at, r.ticket_closed, r.last_message_at,
                            r.messages_today};
}

//! Local (Berlin) midnight of the day `now` falls on: the daily cap counts from there.
SysTime localDayStart(SysTime now) {
  return parseLocalDate(localIsoDate(now)).value_or(now - std::chrono::hours(24));
}

std::string trim(const std::string& s) {
  auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) { return {}; }
  auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

//! Only Matrix shows choices as a numbered list ("1. Schlagloch"); the other channels show
//! buttons or list rows, where a typed number is an answer of its own (a size, a house number).
bool showsNumberedChoices(Channel channel) {
  return channel == Channel::Matrix;
}

//! The id of the offered choice numbered `digits` ("2" → the second), if there is one.
std::optional<std::string> numberedChoice(const std::string& digits,
                                          const std::vector<flows::Choice>& offered) {
  if (offered.empty() || digits.empty() || digits.size() > 2 ||
      !std::all_of(digits.begin(), digits.end(),
                   [](unsigned char ch) { return std::isdigit(ch) != 0; })) {
    return std::nullopt;
  }
  const auto n = static_cast<std::size_t>(std::stoul(digits));
  if (n < 1 || n > offered.size()) { return std::nullopt; }
  return offered[n - 1].id;
}

//! A typed number answering numbered choices ("2") becomes that choice, for Matrix, where the
//! options are a numbered text list and typing the number is how one picks.
flows::Event toFlowEvent(const InboundEvent& e, const std::vector<flows::Choice>& offered) {
  flows::Event out;
  switch (e.kind) {
    case InboundKind::Text: {
      out.kind = flows::EventKind::Text;
      out.text = e.text;
      if (!showsNumberedChoices(e.channel)) { break; }
      if (const auto n = numberedChoice(trim(e.text), offered)) {
        out.kind = flows::EventKind::Choice;
        out.choice_id = *n;
        out.text.clear();
      }
      break;
    }
    case InboundKind::Choice:
      out.kind = flows::EventKind::Choice;
      out.choice_id = e.choice_id;
      // "#<n>": a button whose id did not fit the channel (Telegram's 64-byte callback data).
      if (const auto n = numberedChoice(e.choice_id.size() > 1 && e.choice_id[0] == '#'
                                            ? e.choice_id.substr(1)
                                            : std::string(),
                                        offered)) {
        out.choice_id = *n;
      }
      break;
    case InboundKind::Location:
      out.kind = flows::EventKind::Location;
      if (e.location) { out.location = flows::Point{e.location->lat, e.location->lon}; }
      break;
    case InboundKind::Image:
      out.kind = flows::EventKind::Image;
      out.text = e.text;
      break;
    case InboundKind::MediaRejected:
      out.kind = flows::EventKind::MediaRejected;
      if (e.media) { out.media_id = e.media->ref; }
      out.text = e.text;  // the reason code
      break;
    default:
      out.kind = flows::EventKind::Unsupported;
      break;
  }
  return out;
}

constexpr std::string_view kCheckedPhotoPrefix = "media:";

//! The internal event of a photo the media pipeline cleaned: an image whose reference is the
//! media row ("media:<id>") instead of a channel's media id.
bool isCheckedPhoto(const InboundEvent& e) {
  return e.kind == InboundKind::Image && e.media &&
         e.media->ref.rfind(kCheckedPhotoPrefix, 0) == 0;
}

//! Events the citizen sent (they open a channel's reply window); not receipts or internal ones.
bool fromCitizen(const InboundEvent& e) {
  const InboundKind kind = e.kind;
  if (isCheckedPhoto(e)) { return false; }
  return kind == InboundKind::Text || kind == InboundKind::Choice ||
         kind == InboundKind::Location || kind == InboundKind::Image ||
         kind == InboundKind::Unsupported;
}

//! The media row of an inbound image: a channel reference to fetch and clean later, or content
//! already cleaned at the edge ("sha256:<content id>", the web chat's uploads).
NewMedia mediaRow(const MediaRef& ref, std::int64_t event_id) {
  NewMedia media;
  media.id = event_id;
  media.mime_type = ref.mime_type;
  const std::string prefix = "sha256:";
  if (ref.ref.rfind(prefix, 0) == 0) {
    media.content_id = ref.ref.substr(prefix.size());
    media.source_ref = "upload";
  } else {
    media.source_ref = ref.ref;
  }
  return media;
}

std::int64_t shardKeyOf(const std::string& raw_hmac) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8 && i < raw_hmac.size(); ++i) {
    v = (v << 8) | static_cast<unsigned char>(raw_hmac[i]);
  }
  return static_cast<std::int64_t>(v >> 1);  // non-negative
}

//! Several instances: an earlier event of the citizen that another instance stored may not be
//! in this worker's queue yet (that instance's notice is still on the way), while the citizen's
//! next message, stored here, already is. True when such an event waits (or the store cannot
//! tell): the worker then reads its conversations' events again, in the database's order.
bool precededElsewhere(Store& store, const EngineOptions& options, const PendingEvent& event) {
  if (options.ownership == nullptr) { return false; }  // one instance: the queue is the order
  auto earlier = store.pendingEventsOf(event.pseudonym, event.id - 1);
  return !earlier || !earlier->empty();
}

}  // namespace

Result<EngineKeys> engineKeys(const std::string& pseudonym_hex, const std::string& encryption_hex,
                              const std::string& previous_hex) {
  EngineKeys keys;
  auto p = crypto::fromHex(pseudonym_hex);
  if (!p || p->size() != 32) { return fail(ErrorCode::InvalidInput, "privacy.pseudonym_key: 64 hex"); }
  keys.pseudonym_key = *p;
  auto e = crypto::keyFromHex(encryption_hex);
  if (!e) { return fail(ErrorCode::InvalidInput, "privacy.encryption_key: 64 hex"); }
  keys.encryption_key = *e;
  for (const auto& hex : config::splitKeyList(previous_hex)) {
    auto previous = crypto::keyFromHex(hex);
    if (!previous) {
      return fail(ErrorCode::InvalidInput, "privacy.previous_encryption_keys: 64 hex each");
    }
    keys.previous_encryption_keys.push_back(*previous);
  }
  return keys;
}

const crypto::Key* EngineKeys::keyFor(const std::string& key_id) const {
  if (key_id == crypto::keyId(encryption_key)) { return &encryption_key; }
  for (const auto& key : previous_encryption_keys) {
    if (key_id == crypto::keyId(key)) { return &key; }
  }
  return nullptr;
}

Engine::Engine(Store& store, const Clock& clock, Random& random, const FlowData& flows,
               EngineKeys keys, EngineOptions options)
    : store_(store),
      clock_(clock),
      random_(random),
      flows_(flows),
      replies_(flows),
      keys_(std::move(keys)),
      options_(std::move(options)) {
  const int n = std::max(1, options_.workers);
  for (int i = 0; i < n; ++i) { shards_.push_back(std::make_unique<Shard>()); }
  sender_limit_.configure(options_.sender_messages_per_minute);
}

Engine::~Engine() { stop(); }

std::string Engine::pseudonymOf(Channel channel, const std::string& user_id) const {
  return crypto::toHex(crypto::hmacSha256(keys_.pseudonym_key,
                                          std::string(toString(channel)) + ":" + user_id));
}

std::string Engine::providerIdHash(Channel channel, const std::string& provider_id) const {
  // The web chat's ids are random values of our own (no identity in them): kept as they are.
  if (channel == Channel::WebChat) { return provider_id; }
  return crypto::providerIdHash(keys_.pseudonym_key, toString(channel), provider_id);
}

Result<std::string> Engine::openAddress(const std::string& address_ct, const std::string& key_id) const {
  const crypto::Key* key = keys_.keyFor(key_id);
  if (key == nullptr) {
    return fail(ErrorCode::Internal, "address sealed under an unknown key id " + key_id +
                                         " (set privacy.previous_encryption_keys)");
  }
  return crypto::open(*key, address_ct);
}

std::string Engine::followTokenHash(const std::string& token) { return crypto::sha256Hex(token); }

std::size_t Engine::shardOf(std::int64_t shard_key) const {
  return static_cast<std::size_t>(shard_key) % shards_.size();
}

Result<IngestReport> Engine::ingest(const std::vector<InboundEvent>& events) {
  std::vector<NewInboundEvent> rows;
  rows.reserve(events.size());
  const SysTime now = clock_.now();
  for (const auto& raw_event : events) {
    // The channel's ids leave memory only as keyed hashes (the dedup key, the receipt's match).
    InboundEvent e = raw_event;
    e.external_id = providerIdHash(e.channel, raw_event.external_id);
    e.reply_to = providerIdHash(e.channel, raw_event.reply_to);
    NewInboundEvent row;
    row.channel = e.channel;
    row.external_id = e.external_id;
    row.received_at = now;
    if (e.kind == InboundKind::DeliveryStatus) {
      row.delivery = e.delivery.value_or(DeliveryStatus{});
      row.delivery->provider_message_id =
          providerIdHash(e.channel, row.delivery->provider_message_id);
      row.pseudonym = "";
    } else {
      const std::string raw = crypto::hmacSha256(keys_.pseudonym_key,
                                                 std::string(toString(e.channel)) + ":" + e.user_id);
      row.pseudonym = crypto::toHex(raw);
      row.shard_key = shardKeyOf(raw);
      auto sealed = crypto::seal(keys_.encryption_key, e.chat_id);
      row.payload = encodeStoredInbound(e, sealed.ciphertext, sealed.key_id);
    }
    rows.push_back(std::move(row));
  }
  auto stored = store_.ingest(rows, [this](const std::vector<IngestedEvent>& committed) {
    onCommitted(committed);
  });
  if (!stored) { return fail(stored.error().code, stored.error().detail); }
  IngestReport report;
  for (const auto& s : *stored) {
    if (s.duplicate) {
      ++report.duplicates;
    } else {
      ++report.accepted;
    }
  }
  return report;
}

Result<void> Engine::ingestInternal(const std::string& pseudonym, InboundEvent e) {
  auto citizen = store_.citizen(pseudonym);
  if (!citizen) { return fail(citizen.error().code, citizen.error().detail); }
  if (!*citizen) { return {}; }  // erased meanwhile: nobody to tell
  auto raw = crypto::fromHex(pseudonym);
  if (!raw) { return fail(ErrorCode::Internal, "bad pseudonym"); }
  e.channel = (*citizen)->channel;
  NewInboundEvent row;
  row.channel = e.channel;
  row.external_id = e.external_id;
  row.pseudonym = pseudonym;
  row.shard_key = shardKeyOf(*raw);
  row.received_at = clock_.now();
  row.payload = encodeStoredInbound(e, (*citizen)->address_ct, (*citizen)->key_id);
  auto stored = store_.ingest({row}, [this](const std::vector<IngestedEvent>& committed) {
    onCommitted(committed);
  });
  if (!stored) { return fail(stored.error().code, stored.error().detail); }
  return {};
}

Result<void> Engine::ingestMediaRejected(const std::string& pseudonym, std::int64_t media_id,
                                         const std::string& reason) {
  InboundEvent e;
  e.external_id = "media-rejected:" + std::to_string(media_id);
  e.kind = InboundKind::MediaRejected;
  e.media = MediaRef{std::to_string(media_id), "", ""};
  e.text = reason;  // an error code of the pipeline, never user content
  return ingestInternal(pseudonym, std::move(e));
}

Result<void> Engine::ingestMediaReady(const std::string& pseudonym, std::int64_t media_id,
                                      const std::string& content_id, const std::string& mime_type) {
  InboundEvent e;
  e.external_id = "media-ready:" + std::to_string(media_id);
  e.kind = InboundKind::Image;
  e.media = MediaRef{std::string(kCheckedPhotoPrefix) + std::to_string(media_id), mime_type,
                     content_id};
  return ingestInternal(pseudonym, std::move(e));
}

Result<void> Engine::ingestMediaOutcome(const std::string& pseudonym, std::int64_t media_id,
                                        bool ready, const std::string& content_id,
                                        const std::string& mime_type, const std::string& reason) {
  return ready ? ingestMediaReady(pseudonym, media_id, content_id, mime_type)
               : ingestMediaRejected(pseudonym, media_id, reason);
}

void Engine::onCommitted(const std::vector<IngestedEvent>& events) {
  // Runs on the storage writer thread in commit order, so pushes keep arrival order.
  for (const auto& e : events) {
    if (!e.needs_processing || !owns(e.shard_key)) { continue; }  // else another instance's
    // Read after owns(): a conversation just taken over shows a new generation here.
    const std::uint64_t generation = ownershipGeneration();
    Shard& shard = *shards_[shardOf(e.shard_key)];
    {
      std::lock_guard lock(shard.mutex);
      if (shard.overflow || shard.queue.size() >= options_.queue_capacity ||
          shard.ownership_seen != generation) {
        shard.overflow = true;  // the rescan will read it from the database, in order
        ++shard.drops;
      } else {
        shard.queue.push_back(PendingEvent{e.id, e.pseudonym, e.shard_key, e.payload});
        shard.last_pushed = std::max(shard.last_pushed, e.id);
      }
    }
    shard.cv.notify_one();
  }
}

Result<void> Engine::start() {
  if (auto parked = loadParked(); !parked) { return parked; }
  stopping_.store(false);
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    threads_.emplace_back([this, i] { workerLoop(i); });
  }
  return {};
}

void Engine::stop() {
  stopping_.store(true);
  for (auto& s : shards_) {
    std::lock_guard lock(s->mutex);
    s->cv.notify_all();
  }
  for (auto& t : threads_) {
    if (t.joinable()) { t.join(); }
  }
  threads_.clear();
}

std::size_t Engine::queueDepth() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s->mutex);
    n += s->queue.size();
  }
  return n;
}

bool Engine::waitIdle(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    bool idle = true;
    for (const auto& s : shards_) {
      std::lock_guard lock(s->mutex);
      if (!s->queue.empty() || s->overflow || s->busy) { idle = false; }
    }
    if (idle) {
      auto pending = store_.pendingEvents(0, 1);
      if (pending && pending->empty()) { return true; }
    }
    if (std::chrono::steady_clock::now() >= deadline) { return false; }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void Engine::recheckPending() {
  for (auto& s : shards_) {
    {
      std::lock_guard lock(s->mutex);
      s->overflow = true;
      ++s->drops;  // a rescan running now may have read before those events committed
    }
    s->cv.notify_one();
  }
}

bool Engine::owns(std::int64_t shard_key) const {
  return options_.ownership == nullptr || options_.ownership->fenceFor(shard_key).has_value();
}

std::uint64_t Engine::ownershipGeneration() const {
  return options_.ownership == nullptr ? 0 : options_.ownership->generation();
}

void Engine::rescan(std::size_t index) {
  Shard& shard = *shards_[index];
  // Instances sharing the database commit events side by side, so a lower id may become visible
  // after a higher one: read every pending event of this worker's conversations again, from the
  // start (the queue is only a copy of the database's, and empty whenever a rescan runs).
  const bool from_start = options_.ownership != nullptr;
  bool taken_over = false;
  std::uint64_t drops_at_start = 0;
  {
    std::lock_guard lock(shard.mutex);
    drops_at_start = shard.drops;
    const std::uint64_t generation = ownershipGeneration();
    taken_over = shard.ownership_seen != generation;
    shard.ownership_seen = generation;
    if (from_start) {
      shard.queue.clear();
      shard.scan_cursor = 0;
      shard.last_pushed = 0;
    }
  }
  // Conversations taken over may have events another instance parked.
  while (taken_over && !reloadParked(index)) {
    if (!pause(std::chrono::milliseconds(200))) { return; }
  }
  for (;;) {
    if (stopping_.load()) { return; }
    auto page = store_.pendingEvents(shard.scan_cursor, kRescanPage);
    if (!page) {
      log::warn("engine_rescan_failed", {{"detail", page.error().detail}});
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    std::lock_guard lock(shard.mutex);
    for (const auto& e : *page) {
      shard.scan_cursor = e.id;
      if (shardOf(e.shard_key) != index || e.id <= shard.last_pushed || !owns(e.shard_key)) {
        continue;
      }
      if (shard.queue.size() >= options_.queue_capacity) { return; }  // resume when drained
      shard.queue.push_back(e);
      shard.last_pushed = e.id;
    }
    if (static_cast<int>(page->size()) < kRescanPage) {
      if (shard.drops == drops_at_start) {
        shard.overflow = false;  // everything committed so far is queued; pushes resume
        return;
      }
      drops_at_start = shard.drops;  // events dropped meanwhile have higher ids: scan on
    }
  }
}

void Engine::workerLoop(std::size_t index) {
  setThreadName("bb-flow-" + std::to_string(index));
  lowerThreadPriority(kBackgroundNice);
  Shard& shard = *shards_[index];
  for (;;) {
    std::optional<PendingEvent> event;
    bool need_rescan = false;
    {
      std::unique_lock lock(shard.mutex);
      shard.busy = false;
      const auto wait = shard.parked.empty()
                            ? std::chrono::milliseconds(500)
                            : std::min(std::chrono::milliseconds(500), options_.parked_check);
      shard.cv.wait_for(lock, wait, [&] {
        return stopping_.load() || !shard.queue.empty() || shard.overflow;
      });
      if (stopping_.load()) { return; }
      if (shard.ownership_seen != ownershipGeneration()) {
        need_rescan = true;  // conversations taken over: their earlier events come first
      } else if (!shard.queue.empty()) {
        event = std::move(shard.queue.front());
        shard.queue.pop_front();
      } else if (shard.overflow) {
        need_rescan = true;
      } else if (shard.parked.empty()) {
        continue;
      }
      shard.busy = true;
    }
    if (need_rescan) {
      rescan(index);
      continue;
    }
    resumeRetried(index);  // staff retried or discarded a parked citizen: queue them again
    if (!event || !owns(event->shard_key)) { continue; }  // another instance took it over
    if (shard.parked.contains(event->pseudonym)) {
      parkBehind(index, *event);  // an earlier event of the citizen is parked: order holds
    } else if (precededElsewhere(store_, options_, *event)) {
      // The rescan reads every pending event again from the database, in order: the earlier
      // one first, then this one and the rest of the queue.
      std::lock_guard lock(shard.mutex);
      shard.queue.clear();
      shard.overflow = true;
    } else {
      process(*event);
    }
  }
}

struct Engine::LoadedConversation {
  SavedConversation saved;  //!< a fresh one for first contact, after a decline or when unreadable
  bool stored = false;      //!< a conversation row exists
};

struct Engine::FlowOutcome {
  flows::Conversation next;
  std::vector<flows::Effect> effects;  //!< without the lookups the engine answered
};

void Engine::process(const PendingEvent& pending) {
  const auto stored = decodeStoredInbound(pending.payload);
  const SysTime now = clock_.now();
  if (!stored) {
    // Unreadable payload: mark processed so it cannot block the conversation forever.
    log::error("engine_bad_payload", {{"event", std::to_string(pending.id)}});
    StepCommit commit;
    commit.event_id = pending.id;
    commit.pseudonym = pending.pseudonym;
    commit.now = now;
    (void)commitOrPark(pending, commit);
    return;
  }
  // Load
  Step step(pending, stored->event, now);
  const LoadedConversation loaded = loadConversation(pending.pseudonym);
  loadSender(step, *stored);
  if (settledWithoutFlow(step, loaded)) { return; }
  // Step
  const FlowOutcome flow = runFlow(step, loaded);
  // Apply effects
  step.lang = flow.next.lang;
  applyEffects(flow.effects, step,
               EffectServices{store_, flows_, replies_, random_, participation_,
                              subscriptions_, options_.public_url,
                              [this, &pending] { return reserveTicketNumber(pending); }});
  if (step.failed) {
    parkUnfinished(pending, *step.failed);
    return;
  }
  const std::vector<std::string> erased_media = closeStep(step, flow.next);
  // Commit
  commitProcessed(step, loaded.saved.flow.state, flow.next.state, erased_media);
}

Engine::LoadedConversation Engine::loadConversation(const std::string& pseudonym) {
  LoadedConversation loaded;
  auto conv = store_.conversation(pseudonym);
  if (conv && *conv) {
    loaded.stored = true;
    if (auto decoded = decodeConversation((*conv)->state, (*conv)->data)) {
      loaded.saved = std::move(*decoded);
    }
  }
  return loaded;
}

void Engine::loadSender(Step& step, const StoredInbound& stored) {
  const InboundEvent& event = step.event;
  CitizenRecord& citizen = step.citizen;
  citizen.pseudonym = step.pending.pseudonym;
  citizen.channel = event.channel;
  citizen.address_ct = stored.address_ct;
  citizen.key_id = stored.key_id;
  citizen.last_inbound_at = event.sent_at.time_since_epoch().count() != 0 ? event.sent_at : step.now;
  auto known = store_.citizen(citizen.pseudonym);
  if (known && *known) {
    // For the flow ("start" knows whether there is something to turn back on).
    citizen.notifications_stopped_at = (*known)->notifications_stopped_at;
  }
  if (!fromCitizen(event)) {
    // Internal events do not open a reply window: keep the citizen's last inbound time.
    citizen.last_inbound_at.reset();
    if (known && *known) { citizen.last_inbound_at = (*known)->last_inbound_at; }
  } else if (auto held = store_.heldOutboxCount(citizen.pseudonym); held && *held > 0) {
    // The citizen wrote again: messages held outside the channel's reply window (WhatsApp 24 h)
    // go out now, before this event's replies (they keep their lower ids).
    if (auto released = store_.releaseHeldOutbox(citizen.pseudonym, *citizen.last_inbound_at);
        !released) {
      log::warn("engine_release_held_failed", {{"event", std::to_string(step.pending.id)},
                                               {"code", toString(released.error().code)}});
    } else {
      step.released_held = *released;
    }
  }
}

bool Engine::settledWithoutFlow(Step& step, const LoadedConversation& loaded) {
  const InboundKind kind = step.event.kind;
  const flows::Conversation& flow = loaded.saved.flow;
  if (kind == InboundKind::Unreachable) {
    step.citizen.unreachable = true;
    step.citizen.lang = flows::toString(flow.lang);
    step.citizen.consent_version = flow.consent_version;
    if (loaded.stored) { step.commit.citizen = step.citizen; }
    if (commitOrPark(step.pending, step.commit).has_value()) { processed_.fetch_add(1); }
    return true;
  }
  if (kind == InboundKind::Invite || kind == InboundKind::DeliveryStatus) {
    if (commitOrPark(step.pending, step.commit).has_value()) { processed_.fetch_add(1); }
    return true;
  }
  if (!fromCitizen(step.event)) { return false; }
  if (settledShowHeld(step, loaded)) { return true; }
  // Per-sender rate limit: stored and deduplicated like any event, but over the limit only
  // one notice is answered, then nothing until the rate drops; the conversation stays as is.
  const auto verdict = sender_limit_.check(step.pending.pseudonym, step.now);
  if (verdict == SenderRateLimit::Verdict::Allow) { return false; }
  if (verdict == SenderRateLimit::Verdict::NotifyOnce) {
    step.reply(replies_.rateLimited(flow.lang));
    log::info("engine_rate_limited", {{"event", std::to_string(step.pending.id)}});
  }
  if (commitOrPark(step.pending, step.commit).has_value()) { processed_.fetch_add(1); }
  return true;
}

bool Engine::settledShowHeld(Step& step, const LoadedConversation& loaded) {
  // The "Nachricht anzeigen" button of a template that announced held messages: they were
  // released above and are the answer; the conversation stays where it was. Only when nothing
  // waits (a second tap) does the citizen get a line saying so.
  const flows::Conversation& flow = loaded.saved.flow;
  if (step.event.kind != InboundKind::Choice || step.event.choice_id != kShowHeldChoice ||
      flow.consent_version <= 0) {
    return false;
  }
  step.citizen.lang = flows::toString(flow.lang);
  step.citizen.consent_version = flow.consent_version;
  if (loaded.stored) { step.commit.citizen = step.citizen; }
  if (step.released_held == 0) { step.reply(replies_.nothingHeld(flow.lang)); }
  if (commitOrPark(step.pending, step.commit).has_value()) { processed_.fetch_add(1); }
  return true;
}

Engine::FlowOutcome Engine::runFlow(Step& step, const LoadedConversation& loaded) {
  const InboundEvent& event = step.event;
  flows::Event flow_event = toFlowEvent(event, loaded.saved.last_choices);
  // A channel's photo is fetched and cleaned first; the flow counts and acknowledges it when
  // the media job reports it clean (an image referring to its media row, "media:<id>").
  bool awaits_cleaning = false;
  if (isCheckedPhoto(event)) {
    flow_event.media_id = event.media->ref.substr(kCheckedPhotoPrefix.size());
  } else if (event.kind == InboundKind::Image && event.media) {
    step.commit.media.push_back(mediaRow(*event.media, step.pending.id));
    flow_event.media_id = std::to_string(step.pending.id);
    awaits_cleaning = step.commit.media.back().content_id.empty();
  }
  flows::Context ctx = flows_.context(step.now);
  ctx.channel = toString(event.channel);
  // Held for the whole step: the flow reads the active campaign through a raw pointer.
  std::shared_ptr<const flows::ParticipationContext> campaign;
  if (participation_ != nullptr) {
    campaign = participation_->context(step.now);
    ctx.participation = campaign.get();
  }
  if (subscriptions_ != nullptr) {
    if (auto mine = subscriptions_->topicsOf(step.pending.pseudonym)) { ctx.subscribed = *mine; }
  }
  ctx.notifications_stopped = step.citizen.notifications_stopped_at.has_value();
  if (flow_event.kind == flows::EventKind::Location && flow_event.location) {
    describePoint(flow_event);
  }
  loadReplyWindows(step, flow_event, ctx);
  loadWriteTicket(step, flow_event, loaded.saved.flow, ctx);
  FlowOutcome out;
  flows::StepResult result = flows::step(loaded.saved.flow, flow_event, ctx);
  for (int round = 0; round < kMaxLookupRounds; ++round) {
    // Effects that need a lookup feed their answer back into the flow in the same step.
    std::optional<flows::Event> answer;
    for (auto& eff : result.effects) {
      if (const auto* l = std::get_if<flows::LookupNearby>(&eff)) {
        answer = nearbyAnswer(*l, result.next.lang);
      } else if (const auto* g = std::get_if<flows::Geocode>(&eff)) {
        answer = geocodeAnswer(*g);
      } else {
        out.effects.push_back(std::move(eff));
      }
    }
    if (!answer) { break; }
    result = flows::step(result.next, *answer, ctx);
  }
  out.next = std::move(result.next);
  // A channel image is fetched only if the flow kept it (never before consent, never beyond the
  // photo limit; a photo to a ticket's thread, or held until the citizen names the ticket);
  // images already cleaned at the edge (web chat) keep their row.
  std::vector<std::string> kept = out.next.draft.photo_ids;
  kept.insert(kept.end(), out.next.draft.reply_media_ids.begin(),
              out.next.draft.reply_media_ids.end());
  for (const auto& eff : out.effects) {
    if (const auto* p = std::get_if<flows::PostToTicket>(&eff)) {
      kept.insert(kept.end(), p->media_ids.begin(), p->media_ids.end());
    }
  }
  std::erase_if(step.commit.media, [&kept](const NewMedia& m) {
    return m.content_id.empty() &&
           std::find(kept.begin(), kept.end(), std::to_string(m.id)) == kept.end();
  });
  if (awaits_cleaning && !step.commit.media.empty()) {
    // The flow would take it: fetch it, but say and count nothing until it is clean. Only a
    // caption stays with the draft (the media job's event carries no text).
    flows::Conversation unchanged = loaded.saved.flow;
    unchanged.draft.description = out.next.draft.description;
    out.next = std::move(unchanged);
    out.effects.clear();
    step.last_choices = loaded.saved.last_choices;
  }
  return out;
}

//! What a message might answer: the citizen's reply windows and, when the channel says which of
//! our messages was answered, that message's ticket. A quoted id that matches none of our
//! messages (WhatsApp has been seen to change an id's trailing bytes) leaves the choice to the
//! reply windows and is counted.
void Engine::loadReplyWindows(Step& step, flows::Event& event, flows::Context& ctx) {
  // Choices too: picking the ticket for a held message ("reply:<n>") needs the windows.
  if (event.kind != flows::EventKind::Text && event.kind != flows::EventKind::Image &&
      event.kind != flows::EventKind::Choice) {
    return;
  }
  const SysTime today = localDayStart(step.now);
  if (auto windows = store_.replyWindows(step.pending.pseudonym, kMaxReplyWindows, today)) {
    for (const auto& w : *windows) { ctx.reply_windows.push_back(toFlowWindow(w)); }
  }
  if (step.event.reply_to.empty()) { return; }
  auto quoted = store_.quotedTicket(step.pending.pseudonym, step.event.reply_to, today);
  if (quoted && *quoted) {
    event.quoted = toFlowWindow(**quoted);
  } else if (quoted) {
    step.commit.counters.push_back("reply_quote_unmatched");
  }
}

void Engine::loadWriteTicket(Step& step, const flows::Event& event,
                             const flows::Conversation& saved, flows::Context& ctx) {
  std::int64_t number = saved.draft.write_number;
  const std::string prefix = flows::choice::kWritePrefix;
  if (event.kind == flows::EventKind::Choice && event.choice_id.rfind(prefix, 0) == 0) {
    const std::string digits = event.choice_id.substr(prefix.size());
    number = 0;
    if (!digits.empty() && digits.size() <= 18 &&
        digits.find_first_not_of("0123456789") == std::string::npos) {
      number = std::stoll(digits);
    }
  }
  if (number == 0) { return; }
  if (auto own = store_.ownTicket(step.pending.pseudonym, number, localDayStart(step.now));
      own && *own) {
    ctx.write_ticket = toFlowWindow(**own);
  }
}

//! A pin's nearest known address, for the summary and the ticket ("bei Marienplatz 1, ca. 20 m").
void Engine::describePoint(flows::Event& event) {
  if (gazetteer_ == nullptr) { return; }
  auto near = gazetteer_->reverse(geo::LatLon{event.location->lat, event.location->lon},
                                  kNearAddressRadiusM);
  if (!near) {
    log::warn("gazetteer_reverse_failed", {{"code", toString(near.error().code)}});
    return;
  }
  if (*near) {
    event.near = flows::GeoCandidate{(*near)->label, flows::Point{(*near)->at.lat, (*near)->at.lon}};
    event.near_m = (*near)->distance_m;
  }
}

std::optional<std::string> Engine::describePlace(double lat, double lon, flows::Lang lang) const {
  if (gazetteer_ == nullptr) { return std::nullopt; }
  auto near = gazetteer_->reverse(geo::LatLon{lat, lon}, kNearAddressRadiusM);
  if (!near || !*near) { return std::nullopt; }
  // The same words as the report's summary (flows/defect_report.cpp).
  constexpr double kAtAddressM = 10;
  if ((*near)->distance_m < kAtAddressM) { return (*near)->label; }
  return flows_.texts.render(lang, "location.near",
                             {{"address", (*near)->label},
                              {"distance", std::to_string(std::lround((*near)->distance_m))}});
}

std::string Engine::placeAttribution() const {
  if (gazetteer_ == nullptr) { return {}; }
  auto info = gazetteer_->info();
  if (!info || !*info) { return {}; }
  // ODbL 1.0 §4.3: a notice where the data is shown to the public.
  const std::string& licence = (*info)->licence;
  if (licence.find("ODbL") != std::string::npos || licence.find("OpenStreetMap") != std::string::npos) {
    return "© OpenStreetMap contributors, ODbL 1.0";
  }
  return {};
}

flows::Event Engine::geocodeAnswer(const flows::Geocode& geocode) {
  flows::Event answer;
  answer.kind = flows::EventKind::GeocodeResult;
  if (gazetteer_ == nullptr) { return answer; }  // Unavailable: the flow keeps the text
  auto found = gazetteer_->forward(geocode.text);
  if (!found) {
    log::warn("gazetteer_forward_failed", {{"code", toString(found.error().code)}});
    return answer;
  }
  switch (found->match) {
    case geo::Match::Found: answer.geocode = flows::GeocodeOutcome::Found; break;
    case geo::Match::Ambiguous: answer.geocode = flows::GeocodeOutcome::Ambiguous; break;
    case geo::Match::NotFound: answer.geocode = flows::GeocodeOutcome::NotFound; break;
    case geo::Match::Elsewhere: answer.geocode = flows::GeocodeOutcome::Elsewhere; break;
    case geo::Match::Empty: answer.geocode = flows::GeocodeOutcome::Unavailable; break;
  }
  for (const geo::Candidate& c : found->candidates) {
    answer.places.push_back(flows::GeoCandidate{c.label, flows::Point{c.at.lat, c.at.lon}});
  }
  return answer;
}

flows::Event Engine::nearbyAnswer(const flows::LookupNearby& lookup, flows::Lang lang) {
  flows::Event answer;
  answer.kind = flows::EventKind::NearbyResult;
  auto rows = store_.openTicketsNear(lookup.category_id, lookup.at.lat, lookup.at.lon,
                                     lookup.radius_m);
  if (!rows) { return answer; }
  for (const auto& r : *rows) {
    const double d = flows::distanceMeters(lookup.at, flows::Point{r.lat, r.lon});
    if (d > lookup.radius_m) { continue; }
    answer.nearby.push_back(
        flows::NearbyTicket{r.number, r.category_id, d, replies_.statusLabel(lang, r.status)});
  }
  std::sort(answer.nearby.begin(), answer.nearby.end(),
            [](const auto& a, const auto& b) { return a.distance_m < b.distance_m; });
  return answer;
}

std::vector<std::string> Engine::closeStep(Step& step, const flows::Conversation& next) {
  StepCommit& commit = step.commit;
  std::vector<std::string> erased_media;
  if (step.erase) {
    // Everything goes; only the confirmation (sealed in its outbox row) is written afterwards.
    commit.erase_citizen = true;
    commit.counters.push_back("erasures");
    commit.media.clear();
    commit.tickets.clear();
    commit.follow_ticket_numbers.clear();
    commit.outbound.clear();
    commit.subscription_changes.clear();
    commit.consents.clear();
    step.reply(replies_.erased(step.lang));
    if (auto media = store_.mediaContentOf(step.pending.pseudonym)) { erased_media = *media; }
  } else if (step.forget) {
    // Declined: photos uploaded meanwhile (web chat files are written at upload) go with the
    // rows; each file only once no other row refers to it (commitProcessed checks).
    commit.forget_citizen = true;
    commit.counters.push_back("consent_declined");
    commit.consents.clear();
    if (auto media = store_.mediaContentOf(step.pending.pseudonym)) { erased_media = *media; }
    for (const auto& m : commit.media) {
      if (!m.content_id.empty()) { erased_media.push_back(m.content_id); }
    }
    commit.media.clear();
  } else {
    step.citizen.lang = flows::toString(next.lang);
    step.citizen.consent_version = next.consent_version;
    commit.citizen = step.citizen;
    SavedConversation to_save;
    to_save.flow = next;
    to_save.last_choices = std::move(step.last_choices);
    commit.conversation = ConversationRecord{next.state, encodeConversation(to_save)};
  }
  return erased_media;
}

void Engine::commitProcessed(Step& step, const std::string& from, const std::string& to,
                             const std::vector<std::string>& erased_media) {
  const auto committed = commitOrPark(step.pending, step.commit);
  if (!committed || !*committed) { return; }  // parked, stopping, or processed before
  processed_.fetch_add(1);
  if (!step.commit.outbound.empty() && options_.outbox_queued) {
    options_.outbox_queued(step.event.channel);
  }
  for (const auto& content_id : erased_media) {
    auto in_use = store_.mediaContentInUse(content_id);
    if (in_use && !*in_use && options_.remove_media) { options_.remove_media(content_id); }
  }
  log::debug("event_processed",
             {{"event", std::to_string(step.pending.id)}, {"from", from}, {"to", to}});
}

Result<void> Engine::changeTicketStatus(std::int64_t number, const std::string& new_status,
                                        const std::string& note, const std::string& actor) {
  auto ticket = store_.ticketByNumber(number);
  if (!ticket) { return fail(ticket.error().code, ticket.error().detail); }
  if (!*ticket) { return fail(ErrorCode::NotFound, "no such ticket"); }
  if (!transitionAllowed((*ticket)->status, new_status)) {
    return fail(ErrorCode::Conflict, "status change not allowed: " + (*ticket)->status + " -> " + new_status);
  }
  auto news = followerNews(store_, replies_, number, new_status, note);
  if (!news) { return fail(news.error().code, news.error().detail); }
  StatusChange change;
  change.number = number;
  change.new_status = new_status;
  change.note = note;
  change.actor = actor;
  change.now = clock_.now();
  change.notifications = std::move(news->messages);
  change.withheld = news->withheld;
  return store_.changeStatus(change);
}

Result<Engine::FollowMessage> Engine::postFromFollowPage(std::int64_t number,
                                                         const std::string& text) {
  auto ticket = store_.ticketByNumber(number);
  if (!ticket) { return fail(ticket.error().code, ticket.error().detail); }
  if (!*ticket || (*ticket)->reporter.empty()) { return FollowMessage::NoReporter; }
  const std::string reporter = (*ticket)->reporter;
  const SysTime now = clock_.now();
  auto own = store_.ownTicket(reporter, number, localDayStart(now));
  if (!own) { return fail(own.error().code, own.error().detail); }
  if (!*own) { return FollowMessage::NoReporter; }
  const auto& w = **own;
  const bool window_open = w.opened_at.time_since_epoch().count() != 0 && now >= w.opened_at &&
                           now - w.opened_at < flows_.settings.reply_window;
  if (w.ticket_closed && !window_open) { return FollowMessage::Closed; }
  if (w.messages_today >= flows_.settings.ticket_messages_per_day) { return FollowMessage::DailyCap; }
  StepCommit commit;
  commit.pseudonym = reporter;
  commit.now = now;
  commit.ticket_messages.push_back(NewTicketMessage{number, text, {}});
  auto committed = store_.commitStep(commit);
  if (!committed) { return fail(committed.error().code, committed.error().detail); }
  return FollowMessage::Posted;
}

Result<std::int64_t> Engine::submitTicket(NewTicket ticket) {
  auto reserved = store_.reserveTicketNumber();
  if (!reserved) { return fail(reserved.error().code, reserved.error().detail); }
  ticket.number = *reserved;
  const std::int64_t number = ticket.number;
  StepCommit commit;
  commit.now = clock_.now();
  commit.tickets.push_back(std::move(ticket));
  auto committed = store_.commitStep(commit);
  if (!committed) { return fail(committed.error().code, committed.error().detail); }
  return number;
}

}  // namespace bb
