#include "support/engine_harness.hpp"

#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include "bot/conversation/codec.hpp"
#include "storage/migrations.hpp"
#include "storage/postgresql/pg_gazetteer.hpp"
#include "storage/postgresql/pg_proposal_store.hpp"
#include "storage/postgresql/pg_store.hpp"
#include "storage/postgresql/pg_subscription_store.hpp"
#include "storage/sqlite_gazetteer.hpp"
#include "storage/sqlite_proposal_store.hpp"

namespace bb::test {

FlowData loadShippedFlowData() {
  config::Config c;
  const std::string root = BB_SOURCE_DIR;
  c.flows.categories_file = root + "/config/categories.json";
  c.flows.texts_dir = root + "/config/texts";
  c.flows.boundary_file = root + "/config/ebersberg/boundary.geojson";
  c.flows.districts_file = root + "/config/ebersberg/districts.geojson";
  c.flows.outside_responsible = "das Landratsamt Ebersberg";
  c.subscriptions.topics_file = root + "/config/topics.json";
  auto data = loadFlowData(c);
  REQUIRE_MESSAGE(data.has_value(), (data ? "" : data.error().detail));
  return *data;
}

EngineHarness::EngineHarness(int workers, std::string path) : flows(loadShippedFlowData()), workers_(workers) {
  db_path = path.empty() ? dir_.path() + "/db.sqlite" : path;
  open(true);
}

EngineHarness::EngineHarness(Backend b, int workers, std::string postgres_url, Instance inst)
    : flows(loadShippedFlowData()), backend(b), pg_url(std::move(postgres_url)),
      instance(std::move(inst)), workers_(workers) {
  db_path = dir_.path() + "/db.sqlite";
  if (backend == Backend::Postgresql && pg_url.empty()) { pg_url = migratedPostgres(); }
  open(true);
}

EngineHarness::~EngineHarness() {
  if (engine) { engine->stop(); }
  closeInstance(true);
  engine.reset();
  store.reset();
  if (db) { db->close(); }
  pg.reset();
}

void EngineHarness::openSqlite() {
  storage::DatabaseOptions o;
  o.path = db_path;
  auto opened = storage::Database::open(o);
  REQUIRE(opened.has_value());
  db = std::move(*opened);
  Result<int> version = fail(ErrorCode::Internal);
  REQUIRE(db->exclusive([&](SQLite::Database& raw) { version = storage::migrate(raw); }));
  REQUIRE(version.has_value());
  store = std::make_unique<storage::SqliteStore>(*db);
  subscriptions = std::make_unique<storage::SqliteSubscriptionStore>(*db);
  proposals = std::make_unique<storage::SqliteProposalStore>(*db);
  gazetteer = std::make_unique<storage::SqliteGazetteer>(*db, clock);
}

void EngineHarness::open(bool start_engine) {
  if (backend == Backend::Sqlite) {
    openSqlite();
  } else {
    // A connection per worker and a few for the test's own reads.
    pg = openPostgres(pg_url, workers_ + 3);
    store = std::make_unique<storage::pg::PgStore>(*pg);
    subscriptions = std::make_unique<storage::pg::PgSubscriptionStore>(*pg);
    proposals = std::make_unique<storage::pg::PgProposalStore>(*pg);
    gazetteer = std::make_unique<storage::pg::PgGazetteer>(*pg, clock);
  }
  auto keys = engineKeys(testKey('a'), encryption_key_hex, previous_keys_hex);
  REQUIRE(keys.has_value());
  EngineOptions eo;
  eo.workers = workers_;
  eo.remove_media = [this](const std::string& content_id) {
    {
      std::lock_guard lock(removed_mutex_);
      removed_media_.push_back(content_id);
    }
    if (remove_media_hook) { remove_media_hook(content_id); }
  };
  if (tune_engine) { tune_engine(eo); }
  if (pg && !instance.id.empty()) { openInstance(eo); }
  engine = std::make_unique<Engine>(*store, clock, random, flows, *keys, eo);
  if (owner) {
    // First the leases (so the engine starts with its share), then the others' news.
    REQUIRE(owner->start());
    REQUIRE(listener->start());
  }
  engine->setSubscriptions(subscriptions.get());
  participation = std::make_unique<Participation>(*proposals, clock, flows);
  engine->setParticipation(participation.get());
  engine->setGazetteer(gazetteer.get());
  if (start_engine) { REQUIRE(engine->start()); }
}

void EngineHarness::openInstance(EngineOptions& options) {
  static_cast<storage::pg::PgStore&>(*store).notifyIngestAs(instance.id);
  // The callbacks run on the owner's and the listener's threads, which stop before the engine.
  owner = std::make_unique<storage::pg::PgConversationOwner>(
      *pg, storage::pg::LeaseOptions{instance.id, instance.lease}, [this] {
        if (engine) { engine->recheckPending(); }
      });
  storage::pg::PgOptions listen_options;
  listen_options.url = pg_url;
  listener = std::make_unique<storage::pg::PgListener>(
      listen_options, storage::pg::kEventsTopic,
      [this](const std::string& from) {
        if (from != instance.id && engine) { engine->recheckPending(); }
      },
      [this] {
        if (engine) { engine->recheckPending(); }
      });
  options.ownership = owner.get();
}

void EngineHarness::closeInstance(bool release) {
  if (owner) { owner->stop(release); }
  if (listener) { listener->stop(); }
}

void EngineHarness::crash() {
  closeInstance(false);  // from now on the engine owns nothing: it processes nothing more
  engine->stop();
  owner.reset();
  listener.reset();
  engine.reset();
  gazetteer.reset();
  subscriptions.reset();
  participation.reset();
  proposals.reset();
  store.reset();
  if (db) { db->close(); }
  db.reset();
  pg.reset();
}

void EngineHarness::restart(bool start_engine) {
  if (db || pg) { crash(); }
  open(start_engine);
}

void EngineHarness::raiseNoticeVersion() {
  flows.settings.privacy_notice_version += 1;
  restart();
}

InboundEvent EngineHarness::event(const std::string& user, InboundKind kind, Channel channel) {
  InboundEvent e;
  e.channel = channel;
  e.external_id = event_prefix + std::to_string(next_id_.fetch_add(1));
  e.user_id = user;
  e.chat_id = "chat-" + user;
  e.sent_at = clock.now();
  e.kind = kind;
  return e;
}

void EngineHarness::send(const InboundEvent& e) {
  auto r = engine->ingest({e});
  REQUIRE(r.has_value());
  REQUIRE(engine->waitIdle(std::chrono::seconds(10)));
}

void EngineHarness::text(const std::string& user, const std::string& t) {
  auto e = event(user, InboundKind::Text);
  e.text = t;
  send(e);
}

void EngineHarness::choice(const std::string& user, const std::string& id) {
  auto e = event(user, InboundKind::Choice);
  e.choice_id = id;
  send(e);
}

void EngineHarness::location(const std::string& user, GeoPoint p) {
  auto e = event(user, InboundKind::Location);
  e.location = p;
  send(e);
}

void EngineHarness::image(const std::string& user, const std::string& ref) {
  auto e = event(user, InboundKind::Image);
  e.media = MediaRef{ref, "image/jpeg", ""};
  send(e);
}

std::string EngineHarness::pseudonym(const std::string& user, Channel channel) const {
  return engine->pseudonymOf(channel, user);
}

std::vector<OutboundMessage> EngineHarness::replies(const std::string& user, Channel channel) {
  const std::string p = pseudonym(user, channel);
  auto rows = store->outboxFor(p, channel, read_upto_[p], 1000);
  REQUIRE(rows.has_value());
  std::vector<OutboundMessage> out;
  for (const auto& r : *rows) {
    read_upto_[p] = r.id;
    auto m = decodeOutbound(r.payload);
    REQUIRE(m.has_value());
    out.push_back(*m);
  }
  return out;
}

std::vector<OutboundMessage> EngineHarness::allReplies(const std::string& user, Channel channel) {
  auto rows = store->outboxFor(pseudonym(user, channel), channel, 0, 100000);
  REQUIRE(rows.has_value());
  std::vector<OutboundMessage> out;
  for (const auto& r : *rows) { out.push_back(*decodeOutbound(r.payload)); }
  return out;
}

std::string EngineHarness::replyText(const std::string& user) {
  std::string all;
  for (const auto& m : replies(user)) { all += m.text + "\n"; }
  return all;
}

std::string EngineHarness::text(const std::string& key) const {
  return flows.texts.render(flows::Lang::De, key);
}

std::int64_t EngineHarness::scalar(const std::string& sql) {
  if (pg) { return pgScalar(*pg, sql); }
  auto r = db->read([&](SQLite::Database& raw) { return raw.execAndGet(sql).getInt64(); });
  REQUIRE(r.has_value());
  return *r;
}

void EngineHarness::execute(const std::string& sql) {
  if (pg) {
    pgExecute(*pg, sql);
    return;
  }
  REQUIRE(db->write([&](SQLite::Database& raw) { raw.exec(sql); }).has_value());
}

std::string EngineHarness::textOf(const std::string& sql) {
  if (pg) { return pgText(*pg, sql); }
  auto r = db->read([&](SQLite::Database& raw) {
    SQLite::Statement q(raw, sql);
    return q.executeStep() ? q.getColumn(0).getString() : std::string();
  });
  REQUIRE(r.has_value());
  return *r;
}

void EngineHarness::onboard(const std::string& user) {
  text(user, "Hallo");
  choice(user, "accept");
  replies(user);
}

std::int64_t EngineHarness::report(const std::string& user, const std::string& category, GeoPoint p) {
  choice(user, "report");
  choice(user, "cat:" + category);
  location(user, p);
  // A duplicate offer may come first: insist on a new report.
  auto offered = replies(user);
  for (const auto& m : offered) {
    for (const auto& c : m.choices) {
      if (c.id == "dup:none") { choice(user, "dup:none"); }
    }
  }
  choice(user, "skip");  // photo
  // Extra question (when the category has one), then description.
  if (flows.category(category) != nullptr && !flows.category(category)->question.empty()) {
    text(user, "etwa 30 cm");
  }
  choice(user, "skip");  // description
  choice(user, "confirm");
  return scalar("SELECT max(number) FROM tickets");
}

}  // namespace bb::test
