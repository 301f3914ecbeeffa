#include "storage/migrations.hpp"

#include <sqlite3.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include "bot/security/provider_id.hpp"

namespace bb::storage {
namespace {

//! bb_provider_id(channel, id): crypto::providerIdHash under the key passed to migrate(); with
//! no key it fails, so a database with rows to rewrite is never migrated half-way.
void providerIdFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  const auto* key = static_cast<const std::string*>(sqlite3_user_data(ctx));
  if (argc != 2 || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  if (key == nullptr || key->empty()) {
    sqlite3_result_error(ctx, "privacy.pseudonym_key is needed to hash stored provider ids", -1);
    return;
  }
  const auto text = [](sqlite3_value* v) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
    return p == nullptr ? std::string() : std::string(p, static_cast<std::size_t>(sqlite3_value_bytes(v)));
  };
  const std::string hash = crypto::providerIdHash(*key, text(argv[0]), text(argv[1]));
  sqlite3_result_text(ctx, hash.c_str(), static_cast<int>(hash.size()), SQLITE_TRANSIENT);
}

}  // namespace

const std::vector<std::string>& migrations() {
  static const std::vector<std::string> kMigrations = {
      // 1: the engine: citizens, conversations, inbound events, outbox, tickets.
      R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL DEFAULT 0);

-- A citizen is known by a keyed pseudonym; the reply address is sealed (AES-256-GCM).
CREATE TABLE citizens (
  pseudonym TEXT PRIMARY KEY,
  channel TEXT NOT NULL,
  address_ct BLOB NOT NULL,
  key_id TEXT NOT NULL,
  lang TEXT NOT NULL DEFAULT 'de',
  consent_version INTEGER NOT NULL DEFAULT 0,
  consent_at INTEGER,
  created_at INTEGER NOT NULL,
  last_inbound_at INTEGER,
  unreachable INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE conversations (
  pseudonym TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  data TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Inbound events, durable before acknowledgement; the payload is cleared once processed.
CREATE TABLE inbound_events (
  id INTEGER PRIMARY KEY,
  channel TEXT NOT NULL,
  external_id TEXT NOT NULL,
  pseudonym TEXT NOT NULL,
  shard_key INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  payload TEXT,
  processed_at INTEGER,
  UNIQUE (channel, external_id)
);
CREATE INDEX inbound_events_pending ON inbound_events (id) WHERE processed_at IS NULL;

-- Outbound messages: one row per message; the sealed address makes a row self-contained.
CREATE TABLE outbox (
  -- AUTOINCREMENT: ids are cursors (web chat polling) and must never be reused after deletions.
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  channel TEXT NOT NULL,
  pseudonym TEXT NOT NULL,
  address_ct BLOB NOT NULL,
  key_id TEXT NOT NULL,
  payload TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT 'reply',
  ticket_id INTEGER,
  status TEXT NOT NULL DEFAULT 'queued',
  tries INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  provider_message_id TEXT,
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (channel, next_attempt_at) WHERE status = 'queued';
CREATE INDEX outbox_recipient ON outbox (pseudonym, id);
CREATE INDEX outbox_provider_id ON outbox (provider_message_id);

CREATE TABLE tickets (
  id INTEGER PRIMARY KEY,
  number INTEGER NOT NULL UNIQUE,
  kind TEXT NOT NULL DEFAULT 'defect',
  category_id TEXT NOT NULL,
  department TEXT NOT NULL,
  district_id TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  lat REAL,
  lon REAL,
  address_text TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  extra_answer TEXT NOT NULL DEFAULT '',
  channel TEXT NOT NULL,
  reporter TEXT,
  follow_token_hash TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  closed_at INTEGER
);
CREATE INDEX tickets_status ON tickets (status, id);
CREATE INDEX tickets_category_open ON tickets (category_id, lat, lon) WHERE closed_at IS NULL;
CREATE INDEX tickets_reporter ON tickets (reporter);
CREATE UNIQUE INDEX tickets_follow_token ON tickets (follow_token_hash);

CREATE TABLE ticket_photos (
  ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
  media_id INTEGER NOT NULL REFERENCES media(id),
  position INTEGER NOT NULL,
  PRIMARY KEY (ticket_id, media_id)
);

CREATE TABLE ticket_followers (
  ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
  pseudonym TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (ticket_id, pseudonym)
);
CREATE INDEX ticket_followers_pseudonym ON ticket_followers (pseudonym);

-- The ticket's thread: citizen messages, bot messages, staff replies, status changes.
CREATE TABLE ticket_events (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  actor TEXT NOT NULL,
  status TEXT,
  body TEXT NOT NULL DEFAULT '',
  outbox_id INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

-- Media received and cleaned (content-addressed files in storage.media_dir).
CREATE TABLE media (
  id INTEGER PRIMARY KEY,
  pseudonym TEXT NOT NULL,
  channel TEXT NOT NULL,
  source_ref TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  content_id TEXT,
  mime_type TEXT,
  created_at INTEGER NOT NULL
);
)sql",
      // 2, back office (Open311): case queue, back-office API keys, published ticket fields.
      R"sql(
-- Every ticket change for the back office, appended in the change's own transaction.
-- state: pending -> delivered | dead (dead blocks later entries of the same ticket until requeued).
CREATE TABLE case_queue (
  id INTEGER PRIMARY KEY,
  ticket_number INTEGER NOT NULL,
  department TEXT NOT NULL,
  event_type TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  tries INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  last_status INTEGER,
  last_error TEXT,
  delivered_at INTEGER
);
CREATE INDEX case_queue_open ON case_queue (ticket_number, id) WHERE state <> 'delivered';
CREATE INDEX case_queue_state ON case_queue (state, id);

-- Keys of back-office systems: only the SHA-256 of the key is stored.
CREATE TABLE api_keys (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  hash TEXT NOT NULL UNIQUE,
  departments TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);

-- What staff chose to publish about a ticket, and the back office's own reference.
CREATE TABLE ticket_public (
  ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
  public_description TEXT,
  external_ref TEXT,
  source TEXT
);
CREATE INDEX tickets_created ON tickets (created_at);
CREATE INDEX ticket_events_created ON ticket_events (created_at);
)sql",
      // 3, WhatsApp: media jobs with retries, and a lookup of held outbox rows.
      R"sql(
ALTER TABLE media ADD COLUMN tries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE media ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE media ADD COLUMN error TEXT;
CREATE INDEX media_pending ON media (channel, next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_held ON outbox (pseudonym, id) WHERE status = 'held';
)sql",
      // inbox: staff accounts, sessions, audit log, ticket assignment, list indexes.
      R"sql(
CREATE TABLE staff_users (
  id INTEGER PRIMARY KEY,
  login TEXT NOT NULL UNIQUE COLLATE NOCASE,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE staff_departments (
  staff_id INTEGER NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
  department TEXT NOT NULL,
  PRIMARY KEY (staff_id, department)
);
-- Server-side sessions: only the SHA-256 of the cookie's random id is stored.
CREATE TABLE staff_sessions (
  id_hash TEXT PRIMARY KEY,
  staff_id INTEGER NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);
-- Every staff action: who, what, when, which ticket; never message content.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  staff_id INTEGER,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  ticket_number INTEGER,
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_ticket ON audit_log (ticket_number, id);
ALTER TABLE tickets ADD COLUMN assignee_id INTEGER REFERENCES staff_users(id);
CREATE INDEX tickets_department ON tickets (department, id);
CREATE INDEX tickets_assignee ON tickets (assignee_id, id);
CREATE INDEX tickets_updated ON tickets (updated_at, id);
)sql",
      // matrix: homeserver transactions already processed (the HS retries a txnId
      // until it gets 200; a repeat is answered without processing again).
      R"sql(
CREATE TABLE matrix_transactions (
  txn_id TEXT PRIMARY KEY,
  processed_at INTEGER NOT NULL
);
CREATE INDEX matrix_transactions_processed ON matrix_transactions (processed_at);
)sql",
      // participation: participatory budget campaigns, proposals, comments,
      // supports, outcomes and the notices sent about them (exactly once per recipient).
      // Citizens appear only by pseudonym (no foreign key: erasure anonymizes instead).
      R"sql(
CREATE TABLE campaigns (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  collecting_from INTEGER NOT NULL,
  supporting_from INTEGER NOT NULL,
  review_from INTEGER NOT NULL,
  decision_from INTEGER NOT NULL,
  implementation_from INTEGER NOT NULL,
  closed_from INTEGER NOT NULL,
  max_proposals_per_citizen INTEGER NOT NULL DEFAULT 3,
  support_threshold INTEGER NOT NULL DEFAULT 50,
  topics TEXT NOT NULL DEFAULT ''  -- one topic per line
);
CREATE TABLE proposals (
  id INTEGER PRIMARY KEY,
  campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
  source_event INTEGER UNIQUE,
  status TEXT NOT NULL DEFAULT 'pending',
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  cost_eur INTEGER,
  topic TEXT NOT NULL DEFAULT '',
  lat REAL,
  lon REAL,
  address_text TEXT NOT NULL DEFAULT '',
  photo_media_id INTEGER,
  author TEXT,
  reject_reason TEXT NOT NULL DEFAULT '',
  merged_into INTEGER REFERENCES proposals(id),
  created_at INTEGER NOT NULL,
  published_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX proposals_campaign ON proposals (campaign_id, status, id);
CREATE INDEX proposals_author ON proposals (author);
CREATE TABLE proposal_supports (
  proposal_id INTEGER NOT NULL REFERENCES proposals(id),
  pseudonym TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (proposal_id, pseudonym)
);
CREATE INDEX proposal_supports_pseudonym ON proposal_supports (pseudonym);
CREATE TABLE proposal_comments (
  id INTEGER PRIMARY KEY,
  proposal_id INTEGER NOT NULL REFERENCES proposals(id),
  source_event INTEGER UNIQUE,
  status TEXT NOT NULL DEFAULT 'pending',
  body TEXT NOT NULL,
  author TEXT,
  reject_reason TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  published_at INTEGER
);
CREATE INDEX proposal_comments_proposal ON proposal_comments (proposal_id, status, id);
CREATE INDEX proposal_comments_author ON proposal_comments (author);
CREATE TABLE proposal_outcomes (
  proposal_id INTEGER NOT NULL REFERENCES proposals(id),
  stage TEXT NOT NULL,
  decision TEXT NOT NULL,
  text TEXT NOT NULL DEFAULT '',
  decided_at INTEGER NOT NULL,
  PRIMARY KEY (proposal_id, stage)
);
-- Who was told what about which proposal: a key is sent to a pseudonym at most once.
CREATE TABLE proposal_notices (
  proposal_id INTEGER NOT NULL REFERENCES proposals(id),
  notice_key TEXT NOT NULL,
  pseudonym TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  PRIMARY KEY (proposal_id, notice_key, pseudonym)
);
CREATE INDEX proposal_notices_pseudonym ON proposal_notices (pseudonym);
)sql",
      // subscriptions and broadcasts: general consents (purpose "broadcast:<topic>",
      // also for "service" and "participation"), subscriptions, broadcasts with their outbox
      // rows, and the OParl poller's sync state (which result was seen, which broadcast told it).
      R"sql(
CREATE TABLE consents (
  id INTEGER PRIMARY KEY,
  pseudonym TEXT NOT NULL,
  purpose TEXT NOT NULL,
  notice_version INTEGER NOT NULL,
  granted_at INTEGER NOT NULL,
  withdrawn_at INTEGER
);
CREATE UNIQUE INDEX consents_valid ON consents (pseudonym, purpose) WHERE withdrawn_at IS NULL;
CREATE INDEX consents_citizen ON consents (pseudonym, id);
CREATE TABLE sub_subscriptions (
  pseudonym TEXT NOT NULL,
  topic TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  reminded_at INTEGER,
  PRIMARY KEY (pseudonym, topic)
);
CREATE INDEX sub_subscriptions_topic ON sub_subscriptions (topic, pseudonym);
CREATE TABLE bc_broadcasts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  topic TEXT NOT NULL,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  link TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'draft',
  scheduled_at INTEGER,
  corrects_id INTEGER,
  created_by TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  sent_at INTEGER,
  recipients INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX bc_broadcasts_status ON bc_broadcasts (status, scheduled_at);
CREATE TABLE bc_deliveries (
  broadcast_id INTEGER NOT NULL REFERENCES bc_broadcasts(id),
  outbox_id INTEGER NOT NULL,
  channel TEXT NOT NULL,
  PRIMARY KEY (broadcast_id, outbox_id)
) WITHOUT ROWID;
CREATE INDEX bc_deliveries_outbox ON bc_deliveries (outbox_id);
CREATE TABLE oparl_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE oparl_events (
  key TEXT PRIMARY KEY,
  object_id TEXT NOT NULL,
  broadcast_id INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX oparl_events_object ON oparl_events (object_id);
)sql",
      // retention: when a closed ticket was anonymized by the retention job.
      R"sql(
ALTER TABLE tickets ADD COLUMN anonymized_at INTEGER;
CREATE INDEX tickets_closed_retention ON tickets (closed_at) WHERE anonymized_at IS NULL;
)sql",
      // performance: ticket counts per department, category and status, kept by
      // triggers, so the inbox's status counts read a few hundred rows instead of every ticket.
      // Empty groups keep a row with n = 0 (readers skip them).
      R"sql(
CREATE TABLE ticket_counts (
  department TEXT NOT NULL,
  category_id TEXT NOT NULL,
  status TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (department, category_id, status)
) WITHOUT ROWID;
INSERT INTO ticket_counts (department, category_id, status, n)
  SELECT department, category_id, status, count(*) FROM tickets
  GROUP BY department, category_id, status;
CREATE TRIGGER ticket_counts_insert AFTER INSERT ON tickets BEGIN
  INSERT INTO ticket_counts (department, category_id, status, n)
    VALUES (NEW.department, NEW.category_id, NEW.status, 1)
    ON CONFLICT (department, category_id, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER ticket_counts_delete AFTER DELETE ON tickets BEGIN
  UPDATE ticket_counts SET n = n - 1
    WHERE department = OLD.department AND category_id = OLD.category_id AND status = OLD.status;
END;
CREATE TRIGGER ticket_counts_update AFTER UPDATE OF department, category_id, status ON tickets
  WHEN OLD.department IS NOT NEW.department OR OLD.category_id IS NOT NEW.category_id
    OR OLD.status IS NOT NEW.status
BEGIN
  UPDATE ticket_counts SET n = n - 1
    WHERE department = OLD.department AND category_id = OLD.category_id AND status = OLD.status;
  INSERT INTO ticket_counts (department, category_id, status, n)
    VALUES (NEW.department, NEW.category_id, NEW.status, 1)
    ON CONFLICT (department, category_id, status) DO UPDATE SET n = n + 1;
END;
)sql",
      // performance: the due-outbox poll asks, for each candidate row, for its recipient's
      // oldest queued row. Through outbox_recipient (pseudonym, id) that walked every row the
      // recipient was ever sent; with a backlog for a few recipients each poll took 0.2 s and
      // delivery fell to 5 messages/s (found by the 25-kill crash run). One seek with this.
      R"sql(
CREATE INDEX outbox_queued_recipient ON outbox (channel, pseudonym, id) WHERE status = 'queued';
)sql",
      // data protection: a WhatsApp wamid is base64 of a record holding the citizen's number;
      // every channel-native id is kept only as its keyed hash (bot/security/provider_id.hpp).
      // bb_provider_id is the same HMAC, registered by migrate() with the pseudonym key. The
      // web chat's ids are random values of our own; internal media-rejected ids hold none.
      R"sql(
UPDATE inbound_events SET external_id = bb_provider_id(channel, external_id)
  WHERE channel <> 'webchat' AND external_id NOT LIKE 'media-rejected:%';
UPDATE inbound_events SET payload = json_remove(payload, '$.external_id')
  WHERE payload IS NOT NULL AND json_valid(payload);
UPDATE outbox SET provider_message_id = bb_provider_id(channel, provider_message_id)
  WHERE channel <> 'webchat' AND provider_message_id IS NOT NULL AND provider_message_id <> '';
)sql",
      // gazetteer: the town's addresses, streets and named places (bot/geo/gazetteer.hpp).
      // Typed names are found by their key (exact) or by a bounded edit-distance scan over the
      // streets; a pin finds its nearest address through the grid cell of each point.
      R"sql(
CREATE TABLE gazetteer_source (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  source TEXT NOT NULL,
  licence TEXT NOT NULL,
  format TEXT NOT NULL,
  imported_at INTEGER NOT NULL
);
CREATE TABLE gazetteer_streets (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  key TEXT NOT NULL,
  postcode TEXT NOT NULL DEFAULT '',
  city TEXT NOT NULL DEFAULT '',
  lat REAL NOT NULL,
  lon REAL NOT NULL
);
CREATE INDEX gazetteer_streets_key ON gazetteer_streets (key);
CREATE TABLE gazetteer_points (
  id INTEGER PRIMARY KEY,
  street_id INTEGER NOT NULL REFERENCES gazetteer_streets (id) ON DELETE CASCADE,
  number TEXT NOT NULL,
  number_key TEXT NOT NULL,
  lat REAL NOT NULL,
  lon REAL NOT NULL,
  cell INTEGER NOT NULL
);
CREATE INDEX gazetteer_points_number ON gazetteer_points (street_id, number_key);
CREATE INDEX gazetteer_points_cell ON gazetteer_points (cell);
CREATE TABLE gazetteer_places (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  key TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT '',
  lat REAL NOT NULL,
  lon REAL NOT NULL
);
CREATE INDEX gazetteer_places_key ON gazetteer_places (key);
)sql",
      // inbox login throttle: failed logins per account and per client survive a restart. The
      // key is a keyed hash of "login:<name>" or "ip:<address>" (web/inbox/login_throttle.hpp).
      R"sql(
CREATE TABLE login_failures (
  key_hash TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX login_failures_at ON login_failures (at);
)sql",
      // two-way ticket conversations: staff writing to a citizen about a ticket opens a reply
      // window (its length is config, applied when read); the citizen's messages land in the
      // thread as citizen_message events, photos by their media row, and mark the ticket
      // unread for staff until someone opens it.
      R"sql(
CREATE TABLE reply_windows (
  pseudonym TEXT NOT NULL,
  ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
  opened_at INTEGER NOT NULL,
  last_message_at INTEGER,
  PRIMARY KEY (pseudonym, ticket_id)
) WITHOUT ROWID;
CREATE INDEX reply_windows_ticket ON reply_windows (ticket_id);
ALTER TABLE tickets ADD COLUMN unread_citizen_at INTEGER;
CREATE INDEX tickets_unread ON tickets (unread_citizen_at) WHERE unread_citizen_at IS NOT NULL;
ALTER TABLE ticket_events ADD COLUMN media_id INTEGER;
CREATE INDEX ticket_events_media ON ticket_events (media_id) WHERE media_id IS NOT NULL;
-- Who wrote a citizen_message (pseudonym), for export and erasure; never shown.
ALTER TABLE ticket_events ADD COLUMN author TEXT;
CREATE INDEX ticket_events_author ON ticket_events (author) WHERE author IS NOT NULL;
)sql",
      // data protection: single-use links to a citizen's data export ("meine daten"); only the
      // SHA-256 of the link's token is stored, and the file is built when the link is used.
      R"sql(
CREATE TABLE data_exports (
  token_hash TEXT PRIMARY KEY,
  pseudonym TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX data_exports_pseudonym ON data_exports (pseudonym);
CREATE INDEX data_exports_expires ON data_exports (expires_at);
)sql",
      // participation: a proposal's typed address and photo become public only as the moderator
      // approves them when publishing (the address often without the house number). Proposals
      // published before show neither until a moderator edits them.
      R"sql(
ALTER TABLE proposals ADD COLUMN public_address TEXT NOT NULL DEFAULT '';
ALTER TABLE proposals ADD COLUMN photo_public INTEGER NOT NULL DEFAULT 0;
)sql",
      // back office: the update ids a back-office system sent with its status changes and notes
      // (per key name). Claimed in the transaction of the change, so a repeated POST changes
      // nothing and tells no citizen twice.
      R"sql(
CREATE TABLE api_updates (
  update_key TEXT PRIMARY KEY,
  ticket_number INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
)sql",
      // processing: an event whose commit keeps failing is parked (reason, tries) instead of
      // retried forever; the citizen's later events are parked behind it so their order holds.
      // Staff retry or discard it on the delivery page. A parked event is never processed.
      R"sql(
ALTER TABLE inbound_events ADD COLUMN parked_at INTEGER;
ALTER TABLE inbound_events ADD COLUMN park_reason TEXT;
ALTER TABLE inbound_events ADD COLUMN park_tries INTEGER;
CREATE INDEX inbound_events_parked ON inbound_events (pseudonym) WHERE parked_at IS NOT NULL;
)sql",
      // back office: a citizen_message entry names the thread events it stands for (first..last);
      // their text and photos are read when the entry is sent, so the queue holds none of it and
      // a message erased meanwhile sends nothing.
      R"sql(
ALTER TABLE case_queue ADD COLUMN thread_first INTEGER;
ALTER TABLE case_queue ADD COLUMN thread_last INTEGER;
)sql",
      // inbox accounts: after an admin's reset (and for the demo account) the member must choose
      // a new password before any other page.
      R"sql(
ALTER TABLE staff_users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
)sql",
      // staff digest by mail (docs/inbox.md): off until a member turns it on under "Mein Konto".
      // last_day is the Berlin day last done; a failure counts per day (failed_day) and stays
      // visible to the member until a digest goes out.
      R"sql(
CREATE TABLE staff_digests (
  staff_id INTEGER PRIMARY KEY REFERENCES staff_users(id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 0,
  last_day TEXT,
  sent_at INTEGER,
  failed_day TEXT,
  failed_tries INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  failed_at INTEGER
);
)sql",
      // stop / start: "stop" -> "everything" records when the citizen stopped every notification
      // (ticket news, staff replies, proposal notices); NULL: notifications on. "start" clears it.
      R"sql(
ALTER TABLE citizens ADD COLUMN notifications_stopped_at INTEGER;
)sql",
  };
  return kMigrations;
}

int schemaVersion(SQLite::Database& db) { return db.execAndGet("PRAGMA user_version").getInt(); }

Result<int> migrate(SQLite::Database& db, const std::vector<std::string>& steps,
                    const std::string& pseudonym_key) {
  // Registered for the migration only: the key pointer must not outlive this call.
  sqlite3* handle = db.getHandle();
  sqlite3_create_function_v2(handle, "bb_provider_id", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                             const_cast<std::string*>(&pseudonym_key), providerIdFunction, nullptr,
                             nullptr, nullptr);
  struct Unregister {
    sqlite3* handle;
    ~Unregister() {
      sqlite3_create_function_v2(handle, "bb_provider_id", 2, SQLITE_UTF8, nullptr, nullptr,
                                 nullptr, nullptr, nullptr);
    }
  } unregister{handle};
  try {
    int version = schemaVersion(db);
    if (version > static_cast<int>(steps.size())) {
      return fail(ErrorCode::Internal, "database schema is newer than this program");
    }
    if (version == static_cast<int>(steps.size())) { return version; }
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    while (version < static_cast<int>(steps.size())) {
      db.exec(steps[static_cast<std::size_t>(version)]);
      ++version;
    }
    // A pragma takes no placeholders; the number is ours, not user input.
    db.exec("PRAGMA user_version = " + std::to_string(version));
    tx.commit();
    return version;
  } catch (const std::exception& e) {
    return fail(ErrorCode::Internal, std::string("migration failed: ") + e.what());
  }
}

}  // namespace bb::storage
