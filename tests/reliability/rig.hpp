#pragma once
// The real `buergerbox serve` with all three messenger channels pointed at one FakeApis, and
// citizens that write to it like the platforms do (signed WhatsApp POSTs, Telegram updates with
// the secret header, Matrix transactions with hs_token). Shared by tests/reliability and
// tests/security.

#include <doctest/doctest.h>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <SQLiteCpp/SQLiteCpp.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bot/security/crypto.hpp"
#include "bot/security/provider_id.hpp"
#include "support/server_database.hpp"
#include "support/server_process.hpp"
#include "tests/reliability/fake_apis.hpp"

namespace bb::test {

inline constexpr const char* kRigWaSecret = "rig-app-secret";
inline constexpr const char* kRigWaToken = "EAArigtoken";
inline constexpr const char* kRigWaPhoneId = "106540352242922";
inline constexpr const char* kRigTgToken = "123456:AArig-token";
inline constexpr const char* kRigTgSecret = "rig_secret-Token";
inline constexpr const char* kRigMxAsToken = "rig-as-token";
inline constexpr const char* kRigMxHsToken = "rig-hs-token";

//! A free TCP port on 127.0.0.1 (bound, read, closed), so restarts can keep the port.
inline int freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

struct Citizen {
  std::string channel;    //!< whatsapp | telegram | matrix
  std::string user_id;    //!< wa_id, Telegram user id, Matrix user id
  std::string recipient;  //!< where replies go on the wire: wa_id, chat id, room id
  int index = 0;
  int next = 1;  //!< next message number
};

inline Citizen makeCitizen(const std::string& channel, int index) {
  Citizen c;
  c.channel = channel;
  c.index = index;
  if (channel == "whatsapp") {
    c.user_id = "49151" + std::to_string(1000000 + index);
    c.recipient = c.user_id;
  } else if (channel == "telegram") {
    c.user_id = std::to_string(700000 + index);
    c.recipient = c.user_id;
  } else {
    c.user_id = "@citizen" + std::to_string(index) + ":example.org";
    c.recipient = "!room" + std::to_string(index) + ":example.org";
  }
  return c;
}

struct Rig {
  TempDir dir;
  FakeApis& apis;
  std::unique_ptr<ServerProcess> server = std::make_unique<ServerProcess>();
  int port = freePort();
  std::map<std::string, std::string> extra_env;
  //! The server's database: SQLite's file in `dir`, or a database of its own on PostgreSQL.
  ServerDatabase database;

  explicit Rig(FakeApis& fake, Backend backend = Backend::Sqlite)
      : apis(fake), database(backend, dir.path() + "/db.sqlite") {}

  std::string dbPath() const { return dir.path() + "/db.sqlite"; }
  std::map<std::string, std::string> env() const {
    std::map<std::string, std::string> e = {
        {"BUERGERBOX_SERVER_PORT", std::to_string(port)},
        {"BUERGERBOX_STORAGE_MEDIA_DIR", dir.path() + "/media"},
        {"BUERGERBOX_WEBCHAT_ENABLED", "true"},
        {"BUERGERBOX_WHATSAPP_ENABLED", "true"},
        {"BUERGERBOX_WHATSAPP_API_BASE", apis.base() + "/v23.0"},
        {"BUERGERBOX_WHATSAPP_PHONE_NUMBER_ID", kRigWaPhoneId},
        {"BUERGERBOX_WHATSAPP_APP_SECRET", kRigWaSecret},
        {"BUERGERBOX_WHATSAPP_VERIFY_TOKEN", "rig-verify"},
        {"BUERGERBOX_WHATSAPP_ACCESS_TOKEN", kRigWaToken},
        {"BUERGERBOX_WHATSAPP_RECIPIENT_INTERVAL_MS", "0"},
        {"BUERGERBOX_WHATSAPP_RETRY_BASE_MS", "50"},
        {"BUERGERBOX_WHATSAPP_MAX_TRIES", "14"},
        {"BUERGERBOX_TELEGRAM_ENABLED", "true"},
        {"BUERGERBOX_TELEGRAM_MODE", "webhook"},
        {"BUERGERBOX_TELEGRAM_API_BASE", apis.base()},
        {"BUERGERBOX_TELEGRAM_BOT_TOKEN", kRigTgToken},
        {"BUERGERBOX_TELEGRAM_SECRET_TOKEN", kRigTgSecret},
        {"BUERGERBOX_TELEGRAM_PER_CHAT_INTERVAL_MS", "0"},
        {"BUERGERBOX_TELEGRAM_RETRY_BASE_MS", "50"},
        {"BUERGERBOX_TELEGRAM_MAX_TRIES", "14"},
        {"BUERGERBOX_MATRIX_ENABLED", "true"},
        {"BUERGERBOX_MATRIX_HOMESERVER_URL", apis.base()},
        {"BUERGERBOX_MATRIX_SERVER_NAME", "example.org"},
        {"BUERGERBOX_MATRIX_AS_TOKEN", kRigMxAsToken},
        {"BUERGERBOX_MATRIX_HS_TOKEN", kRigMxHsToken},
        {"BUERGERBOX_MATRIX_RECIPIENT_INTERVAL_MS", "0"},
        {"BUERGERBOX_MATRIX_RETRY_BASE_MS", "50"},
        {"BUERGERBOX_MATRIX_MAX_TRIES", "14"},
        // The channels' send rates have their own tests; here they are above what the load
        // makes, so the backlog left by a run of kills drains within settle()'s time.
        {"BUERGERBOX_WHATSAPP_RATE_PER_SECOND", "500"},
        {"BUERGERBOX_TELEGRAM_RATE_PER_SECOND", "500"},
        {"BUERGERBOX_MATRIX_RATE_PER_SECOND", "500"},
        // The per-sender rate limit has its own test (tests/security/rate_limit_test.cpp); load
        // here writes faster than a person would.
        {"BUERGERBOX_FLOWS_SENDER_MESSAGES_PER_MINUTE", "0"},
        {"BUERGERBOX_PRIVACY_PSEUDONYM_KEY", testKey('5')},
        {"BUERGERBOX_PRIVACY_ENCRYPTION_KEY", testKey('6')},
    };
    for (const auto& [k, v] : database.env()) { e[k] = v; }
    for (const auto& [k, v] : extra_env) { e[k] = v; }
    return e;
  }
  //! Starts a fresh process (the previous one, if any, must have been stopped).
  bool start() {
    server = std::make_unique<ServerProcess>();
    return server->start("config/demo.json", env(), std::chrono::seconds(30));
  }

  std::string pseudonym(const Citizen& c) const {
    return crypto::toHex(crypto::hmacSha256(std::string(32, '\x55'), c.channel + ":" + c.user_id));
  }

  // ---- what the platforms send ----
  static std::string waSignature(const std::string& body, const std::string& secret) {
    return "sha256=" + crypto::toHex(crypto::hmacSha256(secret, body));
  }
  static std::string waBody(const Citizen& c, const std::string& wamid, const std::string& text) {
    using nlohmann::json;
    json msg = {{"from", c.user_id},
                {"id", wamid},
                {"timestamp", std::to_string(std::time(nullptr))},
                {"type", "text"},
                {"text", {{"body", text}}}};
    json value = {{"messaging_product", "whatsapp"},
                  {"metadata",
                   {{"display_phone_number", "15550783881"}, {"phone_number_id", kRigWaPhoneId}}},
                  {"contacts", {{{"profile", {{"name", "Test"}}}, {"wa_id", c.user_id}}}},
                  {"messages", {msg}}};
    return json{{"object", "whatsapp_business_account"},
                {"entry", {{{"id", "102290129340398"},
                            {"changes", {{{"field", "messages"}, {"value", value}}}}}}}}
        .dump();
  }
  static std::string tgBody(const Citizen& c, std::int64_t update_id, const std::string& text) {
    using nlohmann::json;
    const std::int64_t id = std::stoll(c.user_id);
    return json{{"update_id", update_id},
                {"message",
                 {{"message_id", update_id % 100000},
                  {"from", {{"id", id}, {"is_bot", false}, {"first_name", "T"}}},
                  {"chat", {{"id", id}, {"type", "private"}, {"first_name", "T"}}},
                  {"date", std::time(nullptr)},
                  {"text", text}}}}
        .dump();
  }
  static std::string mxBody(const Citizen& c, const std::string& event_id, const std::string& text) {
    using nlohmann::json;
    json ev = {{"type", "m.room.message"},
               {"content", {{"msgtype", "m.text"}, {"body", text}}},
               {"event_id", event_id},
               {"room_id", c.recipient},
               {"sender", c.user_id},
               {"origin_server_ts", 1700000000000},
               {"unsigned", {{"age", 1}}}};
    return json{{"events", {ev}}, {"ephemeral", json::array()}}.dump();
  }

  //! One raw webhook request; 0 when no HTTP answer came.
  int request(const std::string& method, const std::string& path, const httplib::Headers& headers,
              const std::string& body, int timeout_s = 10) {
    httplib::Client client("127.0.0.1", port);
    client.set_connection_timeout(2, 0);
    client.set_read_timeout(timeout_s, 0);
    client.set_write_timeout(timeout_s, 0);
    auto res = method == "PUT" ? client.Put(path.c_str(), headers, body, "application/json")
                               : client.Post(path.c_str(), headers, body, "application/json");
    return res ? res->status : 0;
  }

  //! The status of a GET (health routes); 0 when no HTTP answer came.
  int getStatus(const std::string& path, int timeout_s = 10) {
    httplib::Client client("127.0.0.1", port);
    client.set_connection_timeout(2, 0);
    client.set_read_timeout(timeout_s, 0);
    auto res = client.Get(path.c_str());
    return res ? res->status : 0;
  }

  //! The external id and the request a citizen's message number `k` becomes on its channel.
  struct Wire {
    std::string external_id;
    std::string stored_id;  //!< what inbound_events keeps: the keyed hash of external_id
    std::string method;
    std::string path;
    httplib::Headers headers;
    std::string body;
  };
  static Wire wire(const Citizen& c, int k, const std::string& text) {
    Wire w;
    if (c.channel == "whatsapp") {
      w.external_id = "wamid.rig" + std::to_string(c.index) + "x" + std::to_string(k);
      w.method = "POST";
      w.path = "/webhooks/whatsapp";
      w.body = waBody(c, w.external_id, text);
      w.headers = {{"X-Hub-Signature-256", waSignature(w.body, kRigWaSecret)}};
    } else if (c.channel == "telegram") {
      const std::int64_t update_id = 1000000LL * (c.index + 1) + k;
      w.external_id = "tg:" + std::to_string(update_id);
      w.method = "POST";
      w.path = "/webhooks/telegram";
      w.body = tgBody(c, update_id, text);
      w.headers = {{"X-Telegram-Bot-Api-Secret-Token", kRigTgSecret}};
    } else {
      w.external_id = "$rig" + std::to_string(c.index) + "x" + std::to_string(k) + ":example.org";
      w.method = "PUT";
      w.path = "/_matrix/app/v1/transactions/t" + std::to_string(c.index) + "x" + std::to_string(k);
      w.body = mxBody(c, w.external_id, text);
      w.headers = {{"Authorization", std::string("Bearer ") + kRigMxHsToken}};
    }
    w.stored_id = storedId(c.channel, w.external_id);
    return w;
  }
  //! What inbound_events keeps for a channel-native id: its keyed hash under the rig's
  //! pseudonym key (bot/security/provider_id.hpp).
  static std::string storedId(const std::string& channel, const std::string& external_id) {
    return crypto::providerIdHash(std::string(32, '\x55'), channel, external_id);
  }
  //! Sends the citizen's next message once; returns the status and its external id.
  std::pair<int, std::string> say(Citizen& c, const std::string& text) {
    const Wire w = wire(c, c.next++, text);
    return {request(w.method, w.path, w.headers, w.body), w.external_id};
  }

  // ---- the server's database ----
  std::int64_t scalar(const std::string& sql) { return database.scalar(sql); }
  //! `sql` with its one `?` replaced by `bound` as an SQL string literal.
  std::int64_t scalar(const std::string& sql, const std::string& bound) {
    return database.scalar(withLiteral(sql, bound));
  }
  std::vector<std::vector<std::string>> rows(const std::string& sql) {
    return database.rows(sql);
  }
  //! Waits until every event is processed and no message waits to be sent.
  bool settle(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const bool idle =
          scalar("SELECT count(*) FROM inbound_events WHERE processed_at IS NULL") == 0 &&
          scalar("SELECT count(*) FROM outbox WHERE status IN ('queued','sending') "
                 "AND channel <> 'webchat'") == 0;
      if (idle) { return true; }
      if (std::chrono::steady_clock::now() > deadline) { return false; }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
};

}  // namespace bb::test
