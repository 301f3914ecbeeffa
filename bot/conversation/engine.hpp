#pragma once
// The channel-independent engine (DESIGN.md §2 steps 2–3):
// - ingest: pseudonymize, seal the reply address, store durably with dedup, then return;
// - process: one worker per shard of conversations; a conversation's events run one at a time in
//   arrival order; state and every effect commit in one transaction; unprocessed events are
//   picked up again after a restart (exactly once, guarded by the processed flag);
// - ticket status changes notify every follower.
// A step reads as load → flow step → effects (bot/conversation/step_effects.*) → commit.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bot/conversation/flow_data.hpp"
#include "bot/conversation/ingest.hpp"
#include "bot/conversation/replies.hpp"
#include "bot/conversation/sender_rate_limit.hpp"
#include "bot/conversation/store.hpp"
#include "bot/geo/gazetteer.hpp"
#include "bot/ports.hpp"
#include "bot/security/crypto.hpp"

namespace bb {

class ConversationOwnership;  // bot/conversation/ownership.hpp
class Metrics;        // bot/runtime/metrics.hpp
class Participation;  // bot/participation/participation.hpp
struct Step;           // bot/conversation/step.hpp
struct StoredInbound;  // bot/conversation/codec.hpp

struct EngineOptions {
  int workers = 16;
  std::size_t queue_capacity = 10000;  //!< per worker; beyond it events wait in the database
  int sender_messages_per_minute = 0;  //!< per citizen; 0: no limit (bot/conversation/sender_rate_limit.hpp)
  std::string public_url = "http://localhost:8080";
  //! Removes a cleaned media file (erasure); set by the composition root to MediaStore::remove.
  std::function<void(const std::string& content_id)> remove_media;
  //! Called after a commit that queued replies for `channel` (wakes its outbox worker).
  std::function<void(Channel channel)> outbox_queued;
  //! Tries of a step's commit before its event is parked (flows.commit_max_tries): set aside
  //! with its reason for staff (delivery page), counted on /metrics, while the worker goes on
  //! with other conversations. Waits between tries double from base up to max.
  int commit_max_tries = 10;
  std::chrono::milliseconds commit_retry_base{200};
  std::chrono::milliseconds commit_retry_max{5000};
  //! How often a worker with parked citizens looks whether staff retried or discarded them.
  std::chrono::milliseconds parked_check{1000};
  //! Several instances on one database: processes only the conversations this instance holds
  //! the lease of, and commits under it. Null: one instance, every conversation is its own.
  const ConversationOwnership* ownership = nullptr;
};

struct EngineKeys {
  std::string pseudonym_key;  //!< raw bytes
  crypto::Key encryption_key{};  //!< seals every new address
  //! Earlier keys, only for opening what `keys rotate` has not re-encrypted yet.
  std::vector<crypto::Key> previous_encryption_keys;

  //! The key (current or previous) whose id is `key_id`, if any.
  const crypto::Key* keyFor(const std::string& key_id) const;
};

//! Builds the keys from the config's hex strings (`previous_hex`: comma-separated, may be empty).
Result<EngineKeys> engineKeys(const std::string& pseudonym_hex, const std::string& encryption_hex,
                              const std::string& previous_hex = {});

class Engine final : public Ingest {
public:
  Engine(Store& store, const Clock& clock, Random& random, const FlowData& flows, EngineKeys keys,
         EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  //! Stores the batch durably; returns only after the commit (the caller may then acknowledge).
  Result<IngestReport> ingest(const std::vector<InboundEvent>& events) override;

  //! Queues an internal MediaRejected event for the citizen who sent media row `media_id`
  //! (the media pipeline could not clean it; `reason`: its error code, named to the citizen in
  //! plain words), through the same durable, ordered path as inbound events; deduplicated by
  //! "media-rejected:<id>". No-op when the citizen is gone.
  Result<void> ingestMediaRejected(const std::string& pseudonym, std::int64_t media_id,
                                   const std::string& reason = {});
  //! Queues the photo of media row `media_id`, now cleaned and stored as `content_id`, for the
  //! citizen's conversation: the flow counts and acknowledges it only now. Deduplicated by
  //! "media-ready:<id>"; no-op when the citizen is gone.
  Result<void> ingestMediaReady(const std::string& pseudonym, std::int64_t media_id,
                                const std::string& content_id, const std::string& mime_type);
  //! Both, as the media job worker reports them (bot/media/media_jobs.hpp).
  Result<void> ingestMediaOutcome(const std::string& pseudonym, std::int64_t media_id, bool ready,
                                  const std::string& content_id, const std::string& mime_type,
                                  const std::string& reason);

  //! Starts the workers; they first pick up whatever the database holds unprocessed.
  Result<void> start();
  //! Stops the workers after the event each is processing.
  void stop();

  //! Events may wait in the database that this instance has not queued: another instance stored
  //! them, or this one has just taken over their conversations. Every worker reads the pending
  //! events of its conversations again (once, however often this is called meanwhile).
  void recheckPending();

  //! True once every stored event has been processed (tests and shutdown).
  bool waitIdle(std::chrono::milliseconds timeout);

  //! A staff/back-office status change; notifies every reachable follower in their language.
  Result<void> changeTicketStatus(std::int64_t number, const std::string& new_status,
                                  const std::string& note, const std::string& actor);

  //! A ticket from another system (Open311 POST): takes the next ticket number and commits
  //! through the same Store::commitStep as a chat report, so it enters the case queue.
  //! `ticket.number` is ignored; returns the number given. Needs a started engine.
  Result<std::int64_t> submitTicket(NewTicket ticket);

  //! What became of a message the reporter wrote on the follow page.
  enum class FollowMessage { Posted, Closed, DailyCap, NoReporter };
  //! The reporter of ticket `number` writes into its thread from the follow page (the link is
  //! their secret): the same rules as in the chat (a closed ticket whose reply window has run
  //! out takes nothing, the daily cap), then a citizen message that marks the ticket unread.
  Result<FollowMessage> postFromFollowPage(std::int64_t number, const std::string& text);

  //! The keyed pseudonym of a channel user: hex HMAC-SHA256 of "channel:user_id".
  std::string pseudonymOf(Channel channel, const std::string& user_id) const;
  //! The keyed hash under which a channel-native id is stored (inbound_events.external_id,
  //! outbox.provider_message_id, receipts): hash the id a channel quotes (WhatsApp context.id,
  //! Telegram reply_to_message, Matrix in_reply_to) to find our message. Web chat ids, random
  //! values of our own, pass unchanged. Empty stays empty.
  std::string providerIdHash(Channel channel, const std::string& provider_id) const;
  //! Opens a sealed reply address (for the outbox senders).
  Result<std::string> openAddress(const std::string& address_ct, const std::string& key_id) const;
  static std::string followTokenHash(const std::string& token);

  const FlowData& flowData() const { return flows_; }
  //! The texts the engine side says to citizens (status news, confirmations, export).
  const Replies& replies() const { return replies_; }
  //! Participatory budget: campaigns for the flows, proposal effects, export.
  //! Set before start(); null: the chat offers no campaign.
  void setParticipation(Participation* participation) { participation_ = participation; }
  //! Subscriptions: the citizen's topics for the flows, export lines. Set before
  //! start(); null: nobody is subscribed (the chat still lists the topics).
  void setSubscriptions(SubscriptionStore* subscriptions) { subscriptions_ = subscriptions; }
  //! The town's addresses: typed addresses are looked up, pins described by their nearest
  //! address. Set before start(); null: typed text is kept as it is, pins stay points.
  void setGazetteer(geo::Gazetteer* gazetteer) { gazetteer_ = gazetteer; }
  //! The gazetteer set above (the inbox map draws its streets); null without one.
  geo::Gazetteer* gazetteer() const { return gazetteer_; }
  //! A point as people read it, from its nearest known address within 150 m: "Marienplatz 1"
  //! (within 10 m) or "bei Marienplatz 1, ca. 20 m"; nullopt without a gazetteer or address.
  //! For the follow page and Open311, which name a ticket's place without citizen text.
  std::optional<std::string> describePlace(double lat, double lon, flows::Lang lang) const;
  //! The attribution the gazetteer's licence asks for where its addresses are shown ("© OpenStreetMap
  //! contributors, ODbL 1.0"); empty when its licence asks for none we know of.
  std::string placeAttribution() const;
  std::size_t queueDepth() const;
  std::uint64_t processedCount() const { return processed_.load(); }
  //! Events parked since start because their commit kept failing.
  std::uint64_t commitsParked() const;
  //! Steps whose commit was refused since start because another instance had taken the
  //! conversation over meanwhile (that instance processes the event).
  std::uint64_t stepsMoved() const { return steps_moved_.load(); }
  //! Events parked now (in the database; also those behind a failed one); -1 when unreadable.
  std::int64_t parkedEvents();
  //! Where parked commits are counted (registerEngineMetrics sets it).
  void setMetrics(Metrics* metrics) { metrics_.store(metrics); }

private:
  struct Shard {
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<PendingEvent> queue;
    bool overflow = true;  //!< events may wait in the database: rescan before trusting the queue
    std::int64_t scan_cursor = 0;
    std::int64_t last_pushed = 0;
    //! Counts what a running rescan may have missed: events not queued, and rechecks asked
    //! for (another instance stored events). The rescan goes on until it stays unchanged.
    std::uint64_t drops = 0;
    bool busy = false;
    //! The ownership's generation when the last rescan began (several instances).
    std::uint64_t ownership_seen = 0;
    //! Citizens with parked events → their highest parked event id. Only the shard's worker
    //! (and start(), before it runs) touches it.
    std::map<std::string, std::int64_t> parked;
    std::chrono::steady_clock::time_point next_parked_check{};
  };

  void onCommitted(const std::vector<IngestedEvent>& events);
  void workerLoop(std::size_t index);
  void rescan(std::size_t index);
  struct LoadedConversation;
  struct FlowOutcome;
  void process(const PendingEvent& event);
  LoadedConversation loadConversation(const std::string& pseudonym);
  void loadSender(Step& step, const StoredInbound& stored);
  //! The citizen tapped the button of a hold notice (kShowHeldChoice).
  bool settledShowHeld(Step& step, const LoadedConversation& loaded);
  bool settledWithoutFlow(Step& step, const LoadedConversation& loaded);
  //! Stores an internal event `e` of the citizen `pseudonym` (media outcomes).
  Result<void> ingestInternal(const std::string& pseudonym, InboundEvent e);
  FlowOutcome runFlow(Step& step, const LoadedConversation& loaded);
  flows::Event nearbyAnswer(const flows::LookupNearby& lookup, flows::Lang lang);
  flows::Event geocodeAnswer(const flows::Geocode& geocode);
  void describePoint(flows::Event& event);
  void loadReplyWindows(Step& step, flows::Event& event, flows::Context& ctx);
  //! The citizen's own ticket a "write:<n>" choice names, or the one being written to.
  void loadWriteTicket(Step& step, const flows::Event& event, const flows::Conversation& saved,
                       flows::Context& ctx);
  std::vector<std::string> closeStep(Step& step, const flows::Conversation& next);
  void commitProcessed(Step& step, const std::string& from, const std::string& to,
                       const std::vector<std::string>& erased_media);
  // Parking (bot/conversation/engine_parking.cpp).
  //! The commit's answer (false: processed before); nullopt when the event was parked after
  //! commit_max_tries failed tries, or the engine stops.
  //! Also nullopt when the conversation passed to another instance (nothing committed here).
  std::optional<bool> commitOrPark(const PendingEvent& pending, StepCommit& commit);
  //! This instance processes the conversation with `shard_key` (always without an ownership).
  bool owns(std::int64_t shard_key) const;
  //! The ownership's generation (0 without one).
  std::uint64_t ownershipGeneration() const;
  //! Adds the parked citizens of shard `index` the database knows (another instance may have
  //! parked them before this one took their conversations over). False when unreadable.
  bool reloadParked(std::size_t index);
  Result<bool> park(const PendingEvent& pending, const std::string& reason, int tries);
  //! A ticket number for the step of `pending`: retried with the commit's backoff up to
  //! commit_max_tries times (the citizen's step is not run again, so nothing is spent twice).
  Result<std::int64_t> reserveTicketNumber(const PendingEvent& pending);
  //! The step of `pending` could not be built (`why`): parks it like a failed commit (staff see
  //! it and retry it); a stopping engine leaves it stored for the next start.
  void parkUnfinished(const PendingEvent& pending, const Error& why);
  void parkBehind(std::size_t index, const PendingEvent& pending);
  void resumeRetried(std::size_t index);
  bool requeue(std::size_t index, const std::string& pseudonym, std::int64_t last_parked);
  Result<void> loadParked();
  //! Sleeps `wait`; false when the engine stops meanwhile.
  bool pause(std::chrono::milliseconds wait) const;
  std::size_t shardOf(std::int64_t shard_key) const;

  Store& store_;
  const Clock& clock_;
  Random& random_;  //!< follow tokens
  const FlowData& flows_;
  Replies replies_;
  EngineKeys keys_;
  EngineOptions options_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> processed_{0};
  std::atomic<std::uint64_t> commits_parked_{0};
  std::atomic<std::uint64_t> steps_moved_{0};
  std::atomic<Metrics*> metrics_{nullptr};
  SenderRateLimit sender_limit_;
  Participation* participation_ = nullptr;
  SubscriptionStore* subscriptions_ = nullptr;
  geo::Gazetteer* gazetteer_ = nullptr;
};

//! The engine on /metrics: queue depth, events processed, events parked now
//! (buergerbox_engine_parked_events), commits parked since start
//! (buergerbox_engine_commits_parked_total) and steps left to another instance
//! (buergerbox_engine_steps_moved).
void registerEngineMetrics(Metrics& metrics, Engine& engine);

}  // namespace bb
