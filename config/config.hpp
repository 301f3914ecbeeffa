#pragma once
// The typed configuration: one JSON file, every key overridable by BUERGERBOX_<SECTION>_<KEY>.
// Secrets come only from the environment or from `<key>_file` paths. See docs/configuration.md.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace bb::config {

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8080;
  int threads = 16;
  int max_threads = 1024;  //!< most HTTP threads, one per kept-alive connection (performance.md)
  std::int64_t max_body_bytes = 4 * 1024 * 1024;
  int keep_alive_max_count = 10000;
  int keep_alive_timeout_s = 5;
  int read_timeout_s = 10;
  int request_timeout_s = 30;  //!< a client must deliver each whole request within this time
  std::string tls_cert_file;   //!< PEM certificate (chain); with tls_key_file: built-in HTTPS
  std::string tls_key_file;    //!< PEM private key (keep it readable by the service user only)
  std::string public_url = "http://localhost:8080";  //!< base of links the bot sends
  //! The pages' files (chat.html, CSS, JS); empty: <prefix>/share/buergerbox/web beside the
  //! binary's <prefix>/bin when that exists (an install), else the source tree's web/static.
  std::string asset_dir;
  //! Comma-separated CIDR ranges of the reverse proxies in front of the service (e.g.
  //! "127.0.0.1/32, ::1/128"): only from these are X-Forwarded-For / Forwarded believed, for the
  //! client address the inbox login throttle counts. Empty: every header is ignored.
  std::string trusted_proxies;
};

//! PostgreSQL (`storage.postgresql.*`): the shared database of several instances
//! (storage.backend = postgresql), and where `buergerbox migrate-to-postgresql` copies to.
struct PostgresqlConfig {
  //! libpq connection string or postgresql:// URI, without the password.
  std::string url;
  std::string password;  // secret: BUERGERBOX_STORAGE_POSTGRESQL_PASSWORD(_FILE)
  int pool_size = 4;
  int statement_timeout_ms = 5000;
  //! This instance's name in the partition leases; empty: host name and process id, so a
  //! restarted instance never mistakes the leases of its dead predecessor for its own.
  std::string instance_id;
  //! How long an instance's conversations stay its own without a renewal: when it dies, another
  //! instance takes them over after at most this long (renewed every third of it).
  int lease_ms = 15000;
  //! How long a message an instance took for sending stays its own: longer than any send may
  //! take; after it, a message whose instance died on the way is sent by another.
  int outbox_claim_ms = 120000;
};

struct StorageConfig {
  //! `sqlite` (one instance, the default) or `postgresql` (several instances on one database).
  std::string backend = "sqlite";
  std::string path = "var/buergerbox.db";  //!< the SQLite file
  std::string media_dir = "var/media";
  std::string synchronous = "FULL";  //!< FULL (default, survives power loss) or NORMAL
  int reader_connections = 4;
  std::string fault_file;  //!< tests only: see storage/database.hpp DatabaseOptions::fault_file
  //! Benchmarks and tests only: every sync of the database waits this long first, as on a slow
  //! disk (storage/sync_delay_vfs.hpp). 0: off.
  int sync_delay_us = 0;
  PostgresqlConfig postgresql;
};

struct WhatsAppConfig {
  bool enabled = false;
  std::string api_base = "https://graph.facebook.com/v23.0";
  std::string phone_number_id;
  std::string verify_token;  // secret
  std::string app_secret;    // secret
  std::string access_token;  // secret
  std::string template_name = "buergerbox_update";
  std::string template_language = "de";
  //! The template catalogue (bot/channels/whatsapp_templates.hpp): one template per notice
  //! kind; empty: none. The shipped configs name config/whatsapp_templates.json.
  std::string templates_file;
  //! The WhatsApp Business Account id (digits) for `buergerbox whatsapp templates --check`.
  std::string business_account_id;
  int rate_per_second = 80;
  int recipient_interval_ms = 1000;  //!< minimum gap between two sends to one citizen
  int max_tries = 8;                 //!< send attempts before a message is dead
  int retry_base_ms = 5000;          //!< first retry delay; doubles per try (with jitter)
  int send_concurrency = 16;         //!< sends in flight at once (docs/performance.md)
  std::string list_button_label = "Auswählen";  //!< label of the button that opens a list
};

struct TelegramConfig {
  bool enabled = false;
  std::string api_base = "https://api.telegram.org";
  std::string bot_token;     // secret
  std::string secret_token;  // secret
  std::string mode = "webhook";  //!< webhook | polling
  int rate_per_second = 30;
  int per_chat_interval_ms = 1000;  //!< minimum gap between two sends to one chat
  int max_tries = 8;                //!< send attempts before a message is dead
  int retry_base_ms = 5000;         //!< first retry delay; doubles per try (with jitter)
  int poll_timeout_s = 10;          //!< getUpdates long-poll time (polling mode)
  std::string webhook_url;  //!< public HTTPS URL for `telegram set-webhook` (or its argument)
};

struct MatrixConfig {
  bool enabled = false;
  std::string homeserver_url;
  std::string server_name;
  std::string sender_localpart = "buergerbox";
  std::string as_token;  // secret
  std::string hs_token;  // secret
  std::string registration_id = "buergerbox";  //!< `id` in the registration file
  //! Comma-separated Matrix user ids not counted as room members: the bridge bots (e.g.
  //! "@signalbot:stadt.example") that sit in every portal room beside the citizen and the bot.
  std::string bridge_bots;
  int rate_per_second = 10;          //!< sends per second to the homeserver
  int recipient_interval_ms = 200;   //!< minimum gap between two sends into one room
  int max_tries = 8;                 //!< send attempts before a message is dead
  int retry_base_ms = 5000;          //!< first retry delay; doubles per try (with jitter)
};

struct WebChatConfig {
  bool enabled = false;
  int max_message_chars = 2000;
  //! At most server.max_body_bytes; the page scales photos down before upload (about 1 MB).
  std::int64_t max_upload_bytes = 4 * 1024 * 1024;
  int messages_per_minute = 30;
};

struct PrivacyConfig {
  std::string pseudonym_key;   // secret, 64 hex characters
  std::string encryption_key;  // secret, 64 hex characters
  //! secret: earlier encryption keys, comma-separated (64 hex each), still accepted for reading
  //! until `buergerbox keys rotate` has re-encrypted everything under encryption_key.
  std::string previous_encryption_keys;
  int notice_version = 1;
  std::string notice_url = "/datenschutz";
};

struct FlowsConfig {
  std::string categories_file = "config/categories.json";
  std::string texts_dir = "config/texts";
  std::string boundary_file;   //!< GeoJSON city limits; empty: no check
  std::string districts_file;  //!< GeoJSON districts; empty: none
  //! Gazetteer in the CSV format (docs/gazetteer.md), imported at start when the database holds
  //! no gazetteer yet; `buergerbox gazetteer import` replaces it. Empty: none.
  std::string gazetteer_file;
  int idle_timeout_minutes = 30;
  //! After staff wrote to a citizen about a ticket (reply, or status change with text), the
  //! citizen's messages go to that ticket for this many days (docs/configuration.md).
  int reply_window_days = 14;
  //! Citizen messages one ticket takes per day (Berlin calendar day); beyond: a polite answer,
  //! nothing stored (docs/configuration.md).
  int ticket_messages_per_day = 20;
  double duplicate_radius_m = 50;
  std::string letterbox_department = "buergerservice";
  //! Names people read for the department ids of categories and districts:
  //! "id=Name;id=Name" (a JSON object is accepted too). A department without one shows its id.
  std::string department_names;
  std::string outside_responsible;  //!< named in the refusal for points outside the city limits
  //! Conversation processing threads. Each waits for its own step's commit, so processing runs
  //! at about workers × commits per second (docs/performance.md).
  int workers = 16;
  //! Messages one citizen may send per minute (and as a burst); beyond: one notice, then
  //! silence until the rate drops. 0: no limit (docs/security.md).
  int sender_messages_per_minute = 30;
  //! Tries of a processing commit before the event is parked for staff (delivery page) and
  //! the worker goes on with other conversations (docs/reliability.md).
  int commit_max_tries = 10;
};

//! Back-office push (docs/api/backoffice-push.md).
struct BackofficeConfig {
  std::string url;  //!< default target of the case queue; empty: no push
  //! Per-department targets: "dept=url,dept=url" (a JSON object is accepted too).
  std::string department_urls;
  std::string secret;  // secret: HMAC-SHA256 key of the X-Buergerbox-Signature header
  int max_tries = 10;  //!< read so older configs load; entries end by give_up_after_hours
  int retry_base_ms = 2000;  //!< first retry delay; doubles per try (with jitter)
  int retry_max_ms = 15 * 60 * 1000;  //!< longest wait between two tries
  int give_up_after_hours = 24;       //!< an entry not accepted by then is a dead letter
  int photo_link_hours = 168;         //!< how long a photo link in a push or GET stays valid
};

//! Open311 GeoReport v2 (docs/open311.md).
struct Open311Config {
  bool enabled = true;
  double public_grid_m = 25;  //!< public coordinates are rounded to this grid
  std::string jurisdiction_id;  //!< empty: not checked
  std::string contact;  //!< shown in discovery.json
};

struct LogConfig {
  std::string level = "info";  //!< debug | info | warn | error
};

//! Subscriptions by chat (docs/broadcasts.md).
struct SubscriptionsConfig {
  std::string topics_file;  //!< topics with labels and OParl organizations; empty: no topics
  int reminder_after_months = 12;  //!< remind subscribers silent for this long, once
  int remove_after_days = 30;      //!< then remove their subscriptions if they stay silent
  //! After start until the first reminder/removal pass; every later pass follows an hour after.
  int first_pass_seconds = 300;
};

//! Broadcasts to subscribers.
struct BroadcastsConfig {
  //! Share of each channel's rate_per_second a broadcast may use (the rest stays for replies).
  double rate_share = 0.8;
  std::string whatsapp_template = "buergerbox_broadcast";  //!< approved: {{1}} text, {{2}} link
};

//! The council information system (OParl 1.1) polled for results.
struct OParlConfig {
  std::string url;      //!< System or Body URL; empty: no polling
  std::string body_id;  //!< with a System URL: the Body to follow (empty: the first)
  int poll_minutes = 60;
  int first_poll_seconds = 60;  //!< after start; a new installation need not wait poll_minutes
};

//! Data-protection retention (docs/privacy.md): run by the scheduler every interval.
struct RetentionConfig {
  int closed_ticket_days = 180;  //!< default for categories without retention_days
  int draft_days = 7;            //!< abandoned drafts (and their photos) are deleted after this
  int message_days = 30;         //!< final outbox rows and processed inbound event ids
  int interval_minutes = 60;     //!< how often the retention job runs; 0 = never (not advised)
};

//! The staff inbox (docs/inbox.md).
struct InboxConfig {
  //! The city's own tile server under the inbox maps, "https://tiles.stadt.example/{z}/{x}/{y}.png";
  //! empty: the maps are drawn from boundary, districts and gazetteer alone (no tiles, the default).
  std::string tile_url;
  std::string tile_attribution;  //!< shown under a map with tiles, e.g. "© OpenStreetMap-Mitwirkende"
};

//! Outgoing mail for the staff digest (docs/inbox.md). Empty url: no mail is ever sent.
struct SmtpConfig {
  std::string url;   //!< smtp://host:587 (STARTTLS) or smtps://host:465; empty: no digest
  std::string from;  //!< the sender address, e.g. buergerbox@stadt.example
  std::string user;  //!< SMTP login; empty: no authentication
  std::string password;     // secret
  bool require_tls = true;  //!< refuse to send without TLS (only a loopback test server may do without)
  int digest_hour = 7;      //!< local hour (Europe/Berlin) from which the daily digest goes out
};

struct Config {
  bool demo = false;  //!< demo mode: missing keys are generated once into the storage folder
  ServerConfig server;
  StorageConfig storage;
  WhatsAppConfig whatsapp;
  TelegramConfig telegram;
  MatrixConfig matrix;
  WebChatConfig webchat;
  PrivacyConfig privacy;
  FlowsConfig flows;
  BackofficeConfig backoffice;
  Open311Config open311;
  LogConfig log;
  SubscriptionsConfig subscriptions;
  BroadcastsConfig broadcasts;
  OParlConfig oparl;
  RetentionConfig retention;
  SmtpConfig smtp;
  InboxConfig inbox;
};

//! Reads one environment variable; injected so tests never touch the real environment.
using EnvReader = std::function<std::optional<std::string>(const std::string& name)>;
EnvReader processEnv();

//! Reads a whole file (for `*_file` secrets); injected for tests.
using FileReader = std::function<std::optional<std::string>(const std::string& path)>;
FileReader diskFiles();

struct LoadResult {
  Config config;
  std::vector<std::string> errors;  //!< every problem found; empty means valid
  bool ok() const { return errors.empty(); }
};

//! Parses JSON text, applies environment overrides and `*_file` secrets, validates everything.
//! A secret that neither the file nor the environment sets is read from the systemd credential
//! of the same name ("privacy.pseudonym_key") in $CREDENTIALS_DIRECTORY, when that is set.
LoadResult parseConfig(const std::string& json_text, const EnvReader& env, const FileReader& files);
//! Same, reading the JSON from `path`.
LoadResult loadConfig(const std::string& path, const EnvReader& env, const FileReader& files);

//! Every `BUERGERBOX_*` name in `names` that is no config key (nor `<secret>_FILE`): a typo such
//! as BUERGERBOX_SERVER_PROT would otherwise be ignored in silence.
std::vector<std::string> unknownEnvironmentNames(const std::vector<std::string>& names);
//! The names of the process's environment variables.
std::vector<std::string> processEnvNames();

//! One documented key (for docs and `check-config`).
struct KeyInfo {
  std::string path;      //!< "server.port"
  std::string env_name;  //!< "BUERGERBOX_SERVER_PORT"
  bool secret = false;
};
std::vector<KeyInfo> allKeys();

//! Parses backoffice.department_urls ("dept=url,dept=url"); false on a malformed entry.
bool parseDepartmentUrls(const std::string& text, std::vector<std::pair<std::string, std::string>>& out);

//! Parses flows.department_names ("id=Name;id=Name"); false on a malformed entry.
bool parseDepartmentNames(const std::string& text,
                          std::vector<std::pair<std::string, std::string>>& out);

//! Splits a comma-separated list (privacy.previous_encryption_keys), trimming spaces, no empties.
std::vector<std::string> splitKeyList(const std::string& text);

//! A plain mail address (local@host.tld) fit for a mail header and an SMTP command: no spaces,
//! quotes, angle brackets, commas or semicolons, at most 254 characters.
bool isMailAddress(const std::string& address);

//! A tile URL template fit for inbox.tile_url: http(s) with a host, {z}, {x} and {y} once each,
//! no other braces, no quotes, spaces or angle brackets.
bool isTileUrlTemplate(const std::string& url);

//! `****last4` for logs; never the secret itself.
std::string maskSecret(const std::string& secret);

}  // namespace bb::config
