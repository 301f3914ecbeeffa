#include "bot/conversation/engine.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "bot/conversation/codec.hpp"
#include "bot/log.hpp"
#include "bot/participation/participation.hpp"
#include "bot/runtime/threads.hpp"
#include "bot/cases/ticket_status.hpp"
#include "config/config.hpp"
#include "flows/conversation.hpp"

namespace bb {
namespace {

constexpr std::int64_t kFirstTicketNumber = 1001;
constexpr int kRescanPage = 500;
constexpr int kMaxLookupRounds = 3;

std::string trim(const std::string& s) {
  auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) { return {}; }
  auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

//! A typed number answering offered choices ("2") becomes that choice, for channels that can only
//! send text (Matrix numbered options) and for citizens who type instead of tapping.
flows::Event toFlowEvent(const InboundEvent& e, const std::vector<flows::Choice>& offered) {
  flows::Event out;
  switch (e.kind) {
    case InboundKind::Text: {
      out.kind = flows::EventKind::Text;
      out.text = e.text;
      const std::string t = trim(e.text);
      if (!offered.empty() && !t.empty() && t.size() <= 2 &&
          std::all_of(t.begin(), t.end(), [](unsigned char ch) { return std::isdigit(ch) != 0; })) {
        const auto n = static_cast<std::size_t>(std::stoul(t));
        if (n >= 1 && n <= offered.size()) {
          out.kind = flows::EventKind::Choice;
          out.choice_id = offered[n - 1].id;
          out.text.clear();
        }
      }
      break;
    }
    case InboundKind::Choice:
      out.kind = flows::EventKind::Choice;
      out.choice_id = e.choice_id;
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
      break;
    default:
      out.kind = flows::EventKind::Unsupported;
      break;
  }
  return out;
}

//! Events the citizen sent (they open a channel's reply window); not receipts or internal ones.
bool fromCitizen(InboundKind kind) {
  return kind == InboundKind::Text || kind == InboundKind::Choice ||
         kind == InboundKind::Location || kind == InboundKind::Image ||
         kind == InboundKind::Unsupported;
}

std::string statusLabel(const FlowData& flows, flows::Lang lang, const std::string& status) {
  return flows.texts.render(lang, "status." + status);
}

std::string categoryLabel(const FlowData& flows, flows::Lang lang, const std::string& id) {
  if (const auto* c = flows.category(id)) {
    auto it = c->label.find(lang);
    if (it != c->label.end()) { return it->second; }
    it = c->label.find(flows::Lang::De);
    if (it != c->label.end()) { return it->second; }
  }
  return flows.texts.has(lang, "category." + id) ? flows.texts.render(lang, "category." + id) : id;
}

std::vector<Choice> toChoices(const std::vector<flows::Choice>& in) {
  std::vector<Choice> out;
  out.reserve(in.size());
  for (const auto& c : in) { out.push_back(Choice{c.id, c.label}); }
  return out;
}

std::int64_t shardKeyOf(const std::string& raw_hmac) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8 && i < raw_hmac.size(); ++i) {
    v = (v << 8) | static_cast<unsigned char>(raw_hmac[i]);
  }
  return static_cast<std::int64_t>(v >> 1);  // non-negative
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

Engine::Engine(Store& store, const Clock& clock, const FlowData& flows, EngineKeys keys,
               EngineOptions options)
    : store_(store), clock_(clock), flows_(flows), keys_(std::move(keys)), options_(std::move(options)) {
  const int n = std::max(1, options_.workers);
  for (int i = 0; i < n; ++i) { shards_.push_back(std::make_unique<Shard>()); }
  sender_limit_.configure(options_.sender_messages_per_minute);
}

Engine::~Engine() { stop(); }

std::string Engine::pseudonymOf(Channel channel, const std::string& user_id) const {
  return crypto::toHex(crypto::hmacSha256(keys_.pseudonym_key,
                                          std::string(toString(channel)) + ":" + user_id));
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
  for (const auto& e : events) {
    NewInboundEvent row;
    row.channel = e.channel;
    row.external_id = e.external_id;
    row.received_at = now;
    if (e.kind == InboundKind::DeliveryStatus) {
      row.delivery = e.delivery.value_or(DeliveryStatus{});
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

Result<void> Engine::ingestMediaRejected(const std::string& pseudonym, std::int64_t media_id) {
  auto citizen = store_.citizen(pseudonym);
  if (!citizen) { return fail(citizen.error().code, citizen.error().detail); }
  if (!*citizen) { return {}; }  // erased meanwhile: nobody to ask for another photo
  auto raw = crypto::fromHex(pseudonym);
  if (!raw) { return fail(ErrorCode::Internal, "bad pseudonym"); }
  InboundEvent e;
  e.channel = (*citizen)->channel;
  e.external_id = "media-rejected:" + std::to_string(media_id);
  e.kind = InboundKind::MediaRejected;
  e.media = MediaRef{std::to_string(media_id), "", ""};
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

void Engine::onCommitted(const std::vector<IngestedEvent>& events) {
  // Runs on the storage writer thread in commit order, so pushes keep arrival order.
  for (const auto& e : events) {
    if (!e.needs_processing) { continue; }
    Shard& shard = *shards_[shardOf(e.shard_key)];
    {
      std::lock_guard lock(shard.mutex);
      if (shard.overflow || shard.queue.size() >= options_.queue_capacity) {
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
  auto max_number = store_.maxTicketNumber();
  if (!max_number) { return fail(max_number.error().code, max_number.error().detail); }
  next_ticket_number_.store(std::max(kFirstTicketNumber, *max_number + 1));
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

void Engine::rescan(std::size_t index) {
  Shard& shard = *shards_[index];
  std::uint64_t drops_at_start = 0;
  {
    std::lock_guard lock(shard.mutex);
    drops_at_start = shard.drops;
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
      if (shardOf(e.shard_key) != index || e.id <= shard.last_pushed) { continue; }
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
    PendingEvent event;
    bool need_rescan = false;
    {
      std::unique_lock lock(shard.mutex);
      shard.busy = false;
      shard.cv.wait_for(lock, std::chrono::milliseconds(500), [&] {
        return stopping_.load() || !shard.queue.empty() || shard.overflow;
      });
      if (stopping_.load()) { return; }
      if (shard.queue.empty()) {
        if (!shard.overflow) { continue; }
        need_rescan = true;
      } else {
        event = std::move(shard.queue.front());
        shard.queue.pop_front();
      }
      shard.busy = true;
    }
    if (need_rescan) {
      rescan(index);
      continue;
    }
    process(event);
  }
}

void Engine::process(const PendingEvent& pending) {
  const auto stored = decodeStoredInbound(pending.payload);
  const SysTime now = clock_.now();
  StepCommit commit;
  commit.event_id = pending.id;
  commit.pseudonym = pending.pseudonym;
  commit.now = now;
  if (!stored) {
    // Unreadable payload: mark processed so it cannot block the conversation forever.
    log::error("engine_bad_payload", {{"event", std::to_string(pending.id)}});
    (void)store_.commitStep(commit);
    return;
  }
  const InboundEvent& event = stored->event;

  // Load the conversation (a fresh one for first contact or after a decline).
  SavedConversation saved;
  auto conv = store_.conversation(pending.pseudonym);
  if (conv && *conv) {
    if (auto decoded = decodeConversation((*conv)->state, (*conv)->data)) { saved = *decoded; }
  }

  CitizenRecord citizen;
  citizen.pseudonym = pending.pseudonym;
  citizen.channel = event.channel;
  citizen.address_ct = stored->address_ct;
  citizen.key_id = stored->key_id;
  citizen.last_inbound_at = event.sent_at.time_since_epoch().count() != 0 ? event.sent_at : now;
  if (!fromCitizen(event.kind)) {
    // Internal events do not open a reply window: keep the citizen's last inbound time.
    citizen.last_inbound_at.reset();
    if (auto known = store_.citizen(pending.pseudonym); known && *known) {
      citizen.last_inbound_at = (*known)->last_inbound_at;
    }
  } else if (auto held = store_.heldOutboxCount(pending.pseudonym); held && *held > 0) {
    // The citizen wrote again: messages held outside the channel's reply window (WhatsApp 24 h)
    // go out now, before this event's replies (they keep their lower ids).
    if (auto released = store_.releaseHeldOutbox(pending.pseudonym, *citizen.last_inbound_at);
        !released) {
      log::warn("engine_release_held_failed", {{"event", std::to_string(pending.id)},
                                               {"code", toString(released.error().code)}});
    }
  }

  auto reply = [&](const std::string& text, std::vector<Choice> choices, std::int64_t ticket = 0,
                   const std::string& follow_url = {}, bool request_location = false) {
    OutboundMessage m;
    m.text = text;
    m.choices = std::move(choices);
    m.follow_url = follow_url;
    m.request_location = request_location;
    NewOutbound o;
    o.channel = event.channel;
    o.pseudonym = pending.pseudonym;
    o.address_ct = stored->address_ct;
    o.key_id = stored->key_id;
    o.payload = encodeOutbound(m);
    o.ticket_number = ticket;
    commit.outbound.push_back(std::move(o));
  };

  if (event.kind == InboundKind::Unreachable) {
    citizen.unreachable = true;
    citizen.lang = flows::toString(saved.flow.lang);
    citizen.consent_version = saved.flow.consent_version;
    if (conv && *conv) { commit.citizen = citizen; }
    (void)store_.commitStep(commit);
    processed_.fetch_add(1);
    return;
  }
  if (event.kind == InboundKind::Invite || event.kind == InboundKind::DeliveryStatus) {
    (void)store_.commitStep(commit);
    processed_.fetch_add(1);
    return;
  }
  if (fromCitizen(event.kind)) {
    // Per-sender rate limit: stored and deduplicated like any event, but over the limit only
    // one notice is answered, then nothing until the rate drops; the conversation stays as is.
    const auto verdict = sender_limit_.check(pending.pseudonym, now);
    if (verdict != SenderRateLimit::Verdict::Allow) {
      if (verdict == SenderRateLimit::Verdict::NotifyOnce) {
        reply(flows_.texts.render(saved.flow.lang, "abuse.rate_limited"), {});
        log::info("engine_rate_limited", {{"event", std::to_string(pending.id)}});
      }
      while (!store_.commitStep(commit) && !stopping_.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      processed_.fetch_add(1);
      return;
    }
  }

  flows::Event flow_event = toFlowEvent(event, saved.last_choices);
  if (event.kind == InboundKind::Image && event.media) {
    NewMedia media;
    media.id = pending.id;
    media.mime_type = event.media->mime_type;
    const std::string prefix = "sha256:";
    if (event.media->ref.rfind(prefix, 0) == 0) {
      media.content_id = event.media->ref.substr(prefix.size());
      media.source_ref = "upload";
    } else {
      media.source_ref = event.media->ref;
    }
    commit.media.push_back(media);
    flow_event.media_id = std::to_string(pending.id);
  }

  flows::Context ctx = flows_.context(now);
  // Held for the whole step: the flow reads the active campaign through a raw pointer.
  std::shared_ptr<const flows::ParticipationContext> campaign;
  if (participation_ != nullptr) {
    campaign = participation_->context(now);
    ctx.participation = campaign.get();
  }
  if (subscriptions_ != nullptr) {
    if (auto mine = subscriptions_->topicsOf(pending.pseudonym)) { ctx.subscribed = *mine; }
  }
  flows::Conversation current = saved.flow;
  std::vector<flows::Choice> last_choices;
  bool forget = false;
  bool erase = false;
  std::vector<flows::Effect> effects;
  flows::StepResult result = flows::step(current, flow_event, ctx);
  for (int round = 0; round < kMaxLookupRounds; ++round) {
    // Effects that need a lookup feed their answer back into the flow in the same step.
    const flows::LookupNearby* lookup = nullptr;
    for (auto& eff : result.effects) {
      if (const auto* l = std::get_if<flows::LookupNearby>(&eff)) {
        lookup = l;
      } else {
        effects.push_back(eff);
      }
    }
    if (lookup == nullptr) { break; }
    flows::Event answer;
    answer.kind = flows::EventKind::NearbyResult;
    auto rows = store_.openTicketsNear(lookup->category_id, lookup->at.lat, lookup->at.lon,
                                       lookup->radius_m);
    if (rows) {
      for (const auto& r : *rows) {
        const double d = flows::distanceMeters(lookup->at, flows::Point{r.lat, r.lon});
        if (d > lookup->radius_m) { continue; }
        answer.nearby.push_back(flows::NearbyTicket{r.number, r.category_id, d,
                                                    statusLabel(flows_, result.next.lang, r.status)});
      }
      std::sort(answer.nearby.begin(), answer.nearby.end(),
                [](const auto& a, const auto& b) { return a.distance_m < b.distance_m; });
    }
    result = flows::step(result.next, answer, ctx);
  }
  const flows::Conversation& next = result.next;
  const flows::Lang lang = next.lang;
  // A channel image is fetched only if the flow kept it (never before consent, never beyond the
  // photo limit); images already cleaned at the edge (web chat) keep their row.
  std::erase_if(commit.media, [&next](const NewMedia& m) {
    return m.content_id.empty() &&
           std::find(next.draft.photo_ids.begin(), next.draft.photo_ids.end(),
                     std::to_string(m.id)) == next.draft.photo_ids.end();
  });

  for (const auto& eff : effects) {
    if (const auto* r = std::get_if<flows::Reply>(&eff)) {
      reply(r->text, toChoices(r->choices), 0, {}, r->request_location);
      if (!r->choices.empty()) { last_choices = r->choices; }
    } else if (std::get_if<flows::ForgetCitizen>(&eff) != nullptr) {
      forget = true;
    } else if (const auto* t = std::get_if<flows::CreateTicket>(&eff)) {
      const auto& d = t->draft;
      NewTicket ticket;
      ticket.number = next_ticket_number_.fetch_add(1);
      ticket.category_id = d.category_id;
      ticket.department = d.department;
      if (ticket.department.empty()) {
        if (const auto* c = flows_.category(d.category_id)) { ticket.department = c->department; }
      }
      ticket.district_id = d.district_id;
      ticket.status = kInitialTicketStatus;
      if (d.location) {
        ticket.lat = d.location->lat;
        ticket.lon = d.location->lon;
      }
      ticket.address_text = d.address_text;
      ticket.description = d.description;
      ticket.extra_answer = d.extra_answer;
      ticket.channel = event.channel;
      ticket.reporter = pending.pseudonym;
      for (const auto& id : d.photo_ids) {
        try {
          ticket.photo_media_ids.push_back(std::stoll(id));
        } catch (...) {
          // not a media row id: ignore
        }
      }
      const std::string token = crypto::randomHex(16);
      ticket.follow_token_hash = followTokenHash(token);
      commit.tickets.push_back(ticket);
      std::string follow_url;
      // A same-origin path: the web chat puts it on its own origin.
      if (event.channel == Channel::WebChat) { follow_url = "/chat/follow/" + token; }
      const auto menu = flows::mainMenuChoices(lang, flows_.texts);
      reply(flows_.texts.render(lang, "ticket.created", {{"number", std::to_string(ticket.number)}}),
            toChoices(menu), ticket.number, follow_url);
      last_choices = menu;
    } else if (const auto* l = std::get_if<flows::SendLetter>(&eff)) {
      NewTicket ticket;
      ticket.number = next_ticket_number_.fetch_add(1);
      ticket.kind = "letter";
      ticket.category_id = "letter";
      ticket.department = l->department;
      ticket.status = kInitialTicketStatus;
      ticket.description = l->text;
      ticket.channel = event.channel;
      ticket.reporter = pending.pseudonym;
      ticket.follow_token_hash = followTokenHash(crypto::randomHex(16));
      commit.tickets.push_back(ticket);
      const auto menu = flows::mainMenuChoices(lang, flows_.texts);
      reply(flows_.texts.render(lang, "letter.sent", {{"number", std::to_string(ticket.number)}}),
            toChoices(menu), ticket.number);
      last_choices = menu;
    } else if (const auto* f = std::get_if<flows::FollowTicket>(&eff)) {
      commit.follow_ticket_numbers.push_back(f->number);
      reply(flows_.texts.render(lang, "ticket.followed", {{"number", std::to_string(f->number)}}),
            toChoices(flows::mainMenuChoices(lang, flows_.texts)), f->number);
    } else if (const auto* q = std::get_if<flows::QueryStatus>(&eff)) {
      auto found = store_.ticketByNumber(q->number);
      const std::string number = std::to_string(q->number);
      if (found && *found) {
        // Anyone may ask for a public status; content is never shown.
        reply(flows_.texts.render(lang, "status.reply",
                                  {{"number", number},
                                   {"status", statusLabel(flows_, lang, (*found)->status)},
                                   {"category", categoryLabel(flows_, lang, (*found)->category_id)}}),
              {});
      } else {
        reply(flows_.texts.render(lang, "status.unknown_ticket", {{"number", number}}), {});
      }
    } else if (std::get_if<flows::ListMyTickets>(&eff) != nullptr) {
      auto mine = store_.ticketsOf(pending.pseudonym, 10);
      if (mine && !mine->empty()) {
        std::string text = flows_.texts.render(lang, "my_tickets.header");
        for (const auto& mt : *mine) {
          text += "\n" + flows_.texts.render(lang, "my_tickets.item",
                                             {{"number", std::to_string(mt.number)},
                                              {"category", categoryLabel(flows_, lang, mt.category_id)},
                                              {"status", statusLabel(flows_, lang, mt.status)}});
        }
        reply(text, {});
      } else {
        reply(flows_.texts.render(lang, "my_tickets.none"), {});
      }
    } else if (std::get_if<flows::ExportData>(&eff) != nullptr) {
      reply(exportText(pending.pseudonym, lang), toChoices(flows::mainMenuChoices(lang, flows_.texts)));
    } else if (std::get_if<flows::EraseData>(&eff) != nullptr) {
      erase = true;
    } else if (participation_ != nullptr && Participation::handles(eff)) {
      // Idempotent per event id, so a re-run after a crash before the commit adds nothing.
      for (auto& answer : participation_->run(eff, pending.pseudonym, pending.id, lang, now)) {
        reply(answer.text, toChoices(answer.choices));
        if (!answer.choices.empty()) { last_choices = answer.choices; }
      }
    }
    if (const auto* sub = std::get_if<flows::Subscribe>(&eff)) {
      for (const auto& topic : sub->topics) {
        commit.subscription_changes.push_back(
            {SubscriptionChange::Op::Subscribe, topic, sub->notice_version});
      }
    } else if (const auto* unsub = std::get_if<flows::Unsubscribe>(&eff)) {
      for (const auto& topic : unsub->topics) {
        commit.subscription_changes.push_back({SubscriptionChange::Op::Unsubscribe, topic, 0});
      }
    } else if (std::get_if<flows::StopAll>(&eff) != nullptr) {
      commit.subscription_changes.push_back({SubscriptionChange::Op::UnsubscribeAll, {}, 0});
    }
    // RecordConsent: the flow's next.consent_version carries it.
  }

  std::vector<std::string> erased_media;
  if (erase) {
    // Everything goes; only the confirmation (sealed in its outbox row) is written afterwards.
    commit.erase_citizen = true;
    commit.counters.push_back("erasures");
    commit.media.clear();
    commit.tickets.clear();
    commit.follow_ticket_numbers.clear();
    commit.outbound.clear();
    commit.subscription_changes.clear();
    reply(flows_.texts.render(lang, "erase.done"), {});
    if (auto media = store_.mediaContentOf(pending.pseudonym)) { erased_media = *media; }
  } else if (forget) {
    commit.forget_citizen = true;
    commit.counters.push_back("consent_declined");
    commit.media.clear();
  } else {
    citizen.lang = flows::toString(lang);
    citizen.consent_version = next.consent_version;
    commit.citizen = citizen;
    SavedConversation to_save;
    to_save.flow = next;
    to_save.last_choices = last_choices;
    commit.conversation = ConversationRecord{next.state, encodeConversation(to_save)};
  }

  for (;;) {
    auto r = store_.commitStep(commit);
    if (r) {
      if (*r) {
        processed_.fetch_add(1);
        if (!commit.outbound.empty() && options_.outbox_queued) {
          options_.outbox_queued(event.channel);
        }
        for (const auto& content_id : erased_media) {
          auto in_use = store_.mediaContentInUse(content_id);
          if (in_use && !*in_use && options_.remove_media) { options_.remove_media(content_id); }
        }
        log::debug("event_processed", {{"event", std::to_string(pending.id)},
                                       {"from", current.state}, {"to", next.state}});
      }
      return;
    }
    // Storage trouble (disk full, locked): keep the event and retry; order is preserved because
    // this worker handles nothing else meanwhile.
    log::warn("engine_commit_failed", {{"event", std::to_string(pending.id)},
                                       {"code", toString(r.error().code)}});
    if (stopping_.load()) { return; }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

std::string Engine::exportText(const std::string& pseudonym, flows::Lang lang) const {
  const auto& texts = flows_.texts;
  auto fmtDate = [](std::optional<SysTime> t) -> std::string {
    if (!t) { return "-"; }
    const std::time_t secs = std::chrono::system_clock::to_time_t(*t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%d.%m.%Y", &tm);
    return buf;
  };
  std::string text = texts.render(lang, "export.header");
  if (auto c = store_.citizen(pseudonym); c && *c) {
    text += "\n" + texts.render(lang, "export.profile",
                                 {{"channel", toString((*c)->channel)},
                                  {"lang", (*c)->lang},
                                  {"consent", std::to_string((*c)->consent_version)},
                                  {"consent_at", fmtDate((*c)->consent_at)}});
  }
  auto tickets = store_.ticketsOf(pseudonym, 1000);
  if (tickets && !tickets->empty()) {
    for (const auto& t : *tickets) {
      // Followed tickets of others show only their public facts.
      const bool own = t.reporter == pseudonym;
      text += "\n" + texts.render(lang, "export.ticket",
                                   {{"number", std::to_string(t.number)},
                                    {"category", categoryLabel(flows_, lang, t.category_id)},
                                    {"status", statusLabel(flows_, lang, t.status)},
                                    {"created", fmtDate(t.created_at)},
                                    {"description", own ? t.description : "-"}});
    }
  } else {
    text += "\n" + texts.render(lang, "export.no_tickets");
  }
  if (participation_ != nullptr) {
    text += "\n" + participation_->exportSection(pseudonym, lang);
  }
  if (subscriptions_ != nullptr) {
    text += exportSubscriptions(*subscriptions_, texts, flows_.topics, pseudonym, lang);
  }
  text += "\n" + texts.render(lang, "export.footer");
  return text;
}

Result<void> Engine::changeTicketStatus(std::int64_t number, const std::string& new_status,
                                        const std::string& note, const std::string& actor) {
  auto ticket = store_.ticketByNumber(number);
  if (!ticket) { return fail(ticket.error().code, ticket.error().detail); }
  if (!*ticket) { return fail(ErrorCode::NotFound, "no such ticket"); }
  if (!transitionAllowed((*ticket)->status, new_status)) {
    return fail(ErrorCode::Conflict, "status change not allowed: " + (*ticket)->status + " -> " + new_status);
  }
  auto followers = store_.followersOf(number);
  if (!followers) { return fail(followers.error().code, followers.error().detail); }
  StatusChange change;
  change.number = number;
  change.new_status = new_status;
  change.note = note;
  change.actor = actor;
  change.now = clock_.now();
  for (const auto& f : *followers) {
    if (f.unreachable) { continue; }
    const flows::Lang lang = flows::langFromString(f.lang).value_or(flows::Lang::De);
    OutboundMessage m;
    m.text = flows_.texts.render(lang, "ticket.status_changed",
                                 {{"number", std::to_string(number)},
                                  {"status", statusLabel(flows_, lang, new_status)},
                                  {"note", note}});
    NewOutbound o;
    o.channel = f.channel;
    o.pseudonym = f.pseudonym;
    o.address_ct = f.address_ct;
    o.key_id = f.key_id;
    o.payload = encodeOutbound(m);
    o.kind = "status";
    o.ticket_number = number;
    change.notifications.push_back(std::move(o));
  }
  return store_.changeStatus(change);
}

Result<std::int64_t> Engine::submitTicket(NewTicket ticket) {
  if (next_ticket_number_.load() == 0) { return fail(ErrorCode::Unavailable, "engine not started"); }
  ticket.number = next_ticket_number_.fetch_add(1);
  const std::int64_t number = ticket.number;
  StepCommit commit;
  commit.now = clock_.now();
  commit.tickets.push_back(std::move(ticket));
  auto committed = store_.commitStep(commit);
  if (!committed) { return fail(committed.error().code, committed.error().detail); }
  return number;
}

}  // namespace bb
