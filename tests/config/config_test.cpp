#include <doctest/doctest.h>

#include <map>

#include "config/config.hpp"
#include "support/server_process.hpp"

using bb::config::parseConfig;

namespace {

struct FakeEnv {
  std::map<std::string, std::string> vars;
  bb::config::EnvReader reader() const {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) { return std::nullopt; }
      return it->second;
    };
  }
};

struct FakeFiles {
  std::map<std::string, std::string> files;
  bb::config::FileReader reader() const {
    return [this](const std::string& path) -> std::optional<std::string> {
      auto it = files.find(path);
      if (it == files.end()) { return std::nullopt; }
      return it->second;
    };
  }
};

const std::string kKeys = std::string(R"({"privacy":{}})");

bool mentions(const std::vector<std::string>& errors, const std::string& text) {
  for (const auto& e : errors) {
    if (e.find(text) != std::string::npos) { return true; }
  }
  return false;
}

}  // namespace

TEST_CASE("config: defaults with demo mode need no secrets") {
  FakeEnv env;
  FakeFiles files;
  auto r = parseConfig(R"({"demo": true})", env.reader(), files.reader());
  CHECK(r.ok());
  CHECK(r.config.server.port == 8080);
  CHECK(r.config.storage.synchronous == "FULL");
  CHECK(r.config.telegram.mode == "webhook");
}

TEST_CASE("config: outside demo mode the privacy keys are required") {
  FakeEnv env;
  FakeFiles files;
  auto r = parseConfig("{}", env.reader(), files.reader());
  CHECK_FALSE(r.ok());
  CHECK(mentions(r.errors, "privacy.pseudonym_key"));
  CHECK(mentions(r.errors, "privacy.encryption_key"));
}

TEST_CASE("config: environment overrides every kind of key") {
  FakeEnv env;
  env.vars = {{"BUERGERBOX_SERVER_PORT", "9090"},
              {"BUERGERBOX_WHATSAPP_API_BASE", "http://127.0.0.1:1234/v23.0"},
              {"BUERGERBOX_WHATSAPP_ENABLED", "true"},
              {"BUERGERBOX_WHATSAPP_APP_SECRET", "s3cret"},
              {"BUERGERBOX_WHATSAPP_VERIFY_TOKEN", "verify"},
              {"BUERGERBOX_WHATSAPP_ACCESS_TOKEN", "token"},
              {"BUERGERBOX_WHATSAPP_PHONE_NUMBER_ID", "123"},
              {"BUERGERBOX_STORAGE_PATH", "/tmp/x.db"},
              {"BUERGERBOX_FLOWS_DUPLICATE_RADIUS_M", "75.5"},
              {"BUERGERBOX_PRIVACY_PSEUDONYM_KEY", bb::test::testKey('a')},
              {"BUERGERBOX_PRIVACY_ENCRYPTION_KEY", bb::test::testKey('b')}};
  FakeFiles files;
  auto r = parseConfig(R"({"server": {"port": 8081}})", env.reader(), files.reader());
  REQUIRE(r.ok());
  CHECK(r.config.server.port == 9090);
  CHECK(r.config.whatsapp.enabled);
  CHECK(r.config.whatsapp.api_base == "http://127.0.0.1:1234/v23.0");
  CHECK(r.config.whatsapp.app_secret == "s3cret");
  CHECK(r.config.storage.path == "/tmp/x.db");
  CHECK(r.config.flows.duplicate_radius_m == doctest::Approx(75.5));
  CHECK(r.config.privacy.pseudonym_key == bb::test::testKey('a'));
}

TEST_CASE("config: bad environment values are named") {
  FakeEnv env;
  env.vars = {{"BUERGERBOX_SERVER_PORT", "80x"}, {"BUERGERBOX_WHATSAPP_ENABLED", "yes"}};
  FakeFiles files;
  auto r = parseConfig(R"({"demo": true})", env.reader(), files.reader());
  CHECK(mentions(r.errors, "BUERGERBOX_SERVER_PORT"));
  CHECK(mentions(r.errors, "BUERGERBOX_WHATSAPP_ENABLED"));
}

TEST_CASE("config: unknown keys and an invalid port are all reported at once") {
  FakeEnv env;
  FakeFiles files;
  auto r = parseConfig(R"({"demo": true, "server": {"prot": 1, "port": 70000}, "nonsense": 1})",
                       env.reader(), files.reader());
  CHECK(r.errors.size() >= 3);
  CHECK(mentions(r.errors, "server.prot: unknown key"));
  CHECK(mentions(r.errors, "server.port"));
  CHECK(mentions(r.errors, "nonsense: unknown key"));
}

TEST_CASE("config: secrets are refused in the file but read from *_file paths") {
  FakeEnv env;
  FakeFiles files;
  files.files["/run/secrets/app"] = "from-file\n";
  auto refused = parseConfig(R"({"demo": true, "whatsapp": {"app_secret": "inline"}})",
                             env.reader(), files.reader());
  CHECK(mentions(refused.errors, "whatsapp.app_secret: secrets must not be in the config file"));

  auto ok = parseConfig(R"({"demo": true, "whatsapp": {"app_secret_file": "/run/secrets/app"}})",
                        env.reader(), files.reader());
  REQUIRE(ok.ok());
  CHECK(ok.config.whatsapp.app_secret == "from-file");

  env.vars["BUERGERBOX_TELEGRAM_BOT_TOKEN_FILE"] = "/run/secrets/app";
  auto via_env = parseConfig(R"({"demo": true})", env.reader(), files.reader());
  REQUIRE(via_env.ok());
  CHECK(via_env.config.telegram.bot_token == "from-file");
}

TEST_CASE("config: storage.backend picks SQLite by default, PostgreSQL only with its url") {
  FakeEnv env;
  FakeFiles files;
  auto plain = parseConfig(R"({"demo": true})", env.reader(), files.reader());
  REQUIRE(plain.ok());
  CHECK(plain.config.storage.backend == "sqlite");
  CHECK(plain.config.storage.postgresql.lease_ms == 15000);
  CHECK(plain.config.storage.postgresql.instance_id.empty());

  auto pg = parseConfig(R"({"demo": true, "storage": {"backend": "postgresql", "postgresql":
                            {"url": "host=db", "instance_id": "bb-1", "lease_ms": 6000}}})",
                        env.reader(), files.reader());
  for (const auto& e : pg.errors) { MESSAGE(e); }
  REQUIRE(pg.ok());
  CHECK(pg.config.storage.backend == "postgresql");
  CHECK(pg.config.storage.postgresql.instance_id == "bb-1");
  CHECK(pg.config.storage.postgresql.lease_ms == 6000);

  auto no_url = parseConfig(R"({"demo": true, "storage": {"backend": "postgresql"}})",
                            env.reader(), files.reader());
  CHECK(mentions(no_url.errors,
                 "storage.postgresql.url: must be set when storage.backend is postgresql"));
  auto wrong = parseConfig(R"({"demo": true, "storage": {"backend": "mysql", "postgresql":
                               {"lease_ms": 500, "outbox_claim_ms": 30000}}})",
                           env.reader(), files.reader());
  CHECK(mentions(wrong.errors, "storage.backend: must be sqlite or postgresql"));
  CHECK(mentions(wrong.errors, "storage.postgresql.lease_ms: must be 3000..300000"));
  // A claim shorter than a template's 30 s send would let another instance send it again.
  CHECK(mentions(wrong.errors, "storage.postgresql.outbox_claim_ms: must be 35000..600000"));
  env.vars["BUERGERBOX_STORAGE_BACKEND"] = "postgresql";
  env.vars["BUERGERBOX_STORAGE_POSTGRESQL_URL"] = "host=db";
  auto via_env = parseConfig(R"({"demo": true})", env.reader(), files.reader());
  REQUIRE(via_env.ok());
  CHECK(via_env.config.storage.backend == "postgresql");
}

TEST_CASE("config: storage.postgresql is a nested section, its password only from the environment or a file") {
  FakeEnv env;
  FakeFiles files;
  files.files["/run/secrets/pg"] = "pg-secret\n";
  auto ok = parseConfig(R"({"demo": true, "storage": {"path": "var/x.db", "postgresql":
                            {"url": "host=db.example user=bb dbname=bb", "pool_size": 8,
                             "statement_timeout_ms": 2000, "password_file": "/run/secrets/pg"}}})",
                        env.reader(), files.reader());
  for (const auto& e : ok.errors) { MESSAGE(e); }
  REQUIRE(ok.ok());
  CHECK(ok.config.storage.path == "var/x.db");
  CHECK(ok.config.storage.postgresql.url == "host=db.example user=bb dbname=bb");
  CHECK(ok.config.storage.postgresql.pool_size == 8);
  CHECK(ok.config.storage.postgresql.statement_timeout_ms == 2000);
  CHECK(ok.config.storage.postgresql.password == "pg-secret");

  auto inline_password = parseConfig(R"({"demo": true, "storage": {"postgresql": {"password": "x"}}})",
                                     env.reader(), files.reader());
  CHECK(mentions(inline_password.errors, "storage.postgresql.password: secrets must not be in the "
                                         "config file; set BUERGERBOX_STORAGE_POSTGRESQL_PASSWORD"));
  auto unknown = parseConfig(R"({"demo": true, "storage": {"postgresql": {"uri": "x", "pool_size": 0,
                                                                 "statement_timeout_ms": 0}}})",
                             env.reader(), files.reader());
  CHECK(mentions(unknown.errors, "storage.postgresql.uri: unknown key"));
  CHECK(mentions(unknown.errors, "storage.postgresql.pool_size: must be 1..64"));
  CHECK(mentions(unknown.errors, "storage.postgresql.statement_timeout_ms: must be 1..600000"));

  env.vars["BUERGERBOX_STORAGE_POSTGRESQL_PASSWORD"] = "from-env";
  env.vars["BUERGERBOX_STORAGE_POSTGRESQL_URL"] = "host=other";
  auto via_env = parseConfig(R"({"demo": true})", env.reader(), files.reader());
  REQUIRE(via_env.ok());
  CHECK(via_env.config.storage.postgresql.password == "from-env");
  CHECK(via_env.config.storage.postgresql.url == "host=other");
  CHECK(bb::config::unknownEnvironmentNames({"BUERGERBOX_STORAGE_POSTGRESQL_PASSWORD_FILE",
                                             "BUERGERBOX_STORAGE_POSTGRESQL_URL"})
            .empty());
}

TEST_CASE("config: type errors, enabled channels without secrets, malformed keys") {
  FakeEnv env;
  env.vars["BUERGERBOX_PRIVACY_ENCRYPTION_KEY"] = "abc";
  FakeFiles files;
  auto r = parseConfig(
      R"({"demo": true, "server": {"threads": "many"}, "telegram": {"enabled": true, "mode": "push"}})",
      env.reader(), files.reader());
  CHECK(mentions(r.errors, "server.threads: must be an integer"));
  CHECK(mentions(r.errors, "telegram.mode"));
  CHECK(mentions(r.errors, "telegram.bot_token: required"));
  CHECK(mentions(r.errors, "privacy.encryption_key: must be 64 hex"));
}

TEST_CASE("config: not JSON") {
  FakeEnv env;
  FakeFiles files;
  auto r = parseConfig("{not json", env.reader(), files.reader());
  CHECK(mentions(r.errors, "not a JSON object"));
}

TEST_CASE("config: every key has its documented environment name") {
  bool found_port = false;
  bool found_secret = false;
  for (const auto& k : bb::config::allKeys()) {
    if (k.path == "server.port") { found_port = k.env_name == "BUERGERBOX_SERVER_PORT"; }
    if (k.path == "whatsapp.app_secret") {
      found_secret = k.env_name == "BUERGERBOX_WHATSAPP_APP_SECRET" && k.secret;
    }
  }
  CHECK(found_port);
  CHECK(found_secret);
  CHECK(bb::config::maskSecret("abcdefghijkl") == "****ijkl");
  CHECK(bb::config::maskSecret("") == "(unset)");
}

TEST_CASE("config: the shipped demo and example configs are valid") {
  FakeEnv env;
  for (const char* name : {"config/demo.json", "config/buergerbox.example.json"}) {
    CAPTURE(name);
    env.vars = {{"BUERGERBOX_PRIVACY_PSEUDONYM_KEY", bb::test::testKey('1')},
                {"BUERGERBOX_PRIVACY_ENCRYPTION_KEY", bb::test::testKey('2')}};
    auto r = bb::config::loadConfig(std::string(BB_SOURCE_DIR) + "/" + name, env.reader(),
                                    bb::config::diskFiles());
    for (const auto& e : r.errors) { MESSAGE(e); }
    CHECK(r.ok());
  }
}

TEST_CASE("config: the web chat's upload limit may not exceed the server's body limit") {
  FakeEnv env;
  FakeFiles files;
  auto fine = parseConfig(R"({"demo": true})", env.reader(), files.reader());
  CHECK(fine.ok());
  CHECK(fine.config.webchat.max_upload_bytes <= fine.config.server.max_body_bytes);
  auto over = parseConfig(
      R"({"demo": true, "server": {"max_body_bytes": 4194304},
          "webchat": {"max_upload_bytes": 10485760}})",
      env.reader(), files.reader());
  CHECK_FALSE(over.ok());
  CHECK(mentions(over.errors, "webchat.max_upload_bytes"));
  CHECK(mentions(over.errors, "4194304"));
  auto raised = parseConfig(
      R"({"demo": true, "server": {"max_body_bytes": 12582912},
          "webchat": {"max_upload_bytes": 10485760}})",
      env.reader(), files.reader());
  CHECK(raised.ok());
}

TEST_CASE("config: flows.ticket_messages_per_day defaults to 20, is overridable and bounded") {
  FakeEnv env;
  FakeFiles files;
  auto r = parseConfig(R"({"demo": true})", env.reader(), files.reader());
  REQUIRE(r.ok());
  CHECK(r.config.flows.ticket_messages_per_day == 20);
  env.vars = {{"BUERGERBOX_FLOWS_TICKET_MESSAGES_PER_DAY", "5"}};
  auto five = parseConfig(R"({"demo": true})", env.reader(), files.reader());
  REQUIRE(five.ok());
  CHECK(five.config.flows.ticket_messages_per_day == 5);
  const FakeEnv none;
  for (const char* bad : {R"({"demo": true, "flows": {"ticket_messages_per_day": 0}})",
                          R"({"demo": true, "flows": {"ticket_messages_per_day": 1001}})"}) {
    auto refused = parseConfig(bad, none.reader(), files.reader());
    CHECK(mentions(refused.errors, "flows.ticket_messages_per_day: must be 1..1000"));
  }
}

TEST_CASE("config: subscriptions.first_pass_seconds defaults to 300, is overridable and bounded") {
  FakeEnv env;
  FakeFiles files;
  auto r = parseConfig(R"({"demo": true})", env.reader(), files.reader());
  REQUIRE(r.ok());
  CHECK(r.config.subscriptions.first_pass_seconds == 300);
  env.vars = {{"BUERGERBOX_SUBSCRIPTIONS_FIRST_PASS_SECONDS", "0"}};
  auto at_once = parseConfig(R"({"demo": true})", env.reader(), files.reader());
  REQUIRE(at_once.ok());
  CHECK(at_once.config.subscriptions.first_pass_seconds == 0);
  const FakeEnv none;
  for (const char* bad : {R"({"demo": true, "subscriptions": {"first_pass_seconds": -1}})",
                          R"({"demo": true, "subscriptions": {"first_pass_seconds": 86401}})"}) {
    auto refused = parseConfig(bad, none.reader(), files.reader());
    CHECK(mentions(refused.errors, "subscriptions.first_pass_seconds: must be 0..86400"));
  }
}

TEST_CASE("config: flows.reply_window_days defaults to 14, is overridable and bounded") {
  FakeEnv env;
  FakeFiles files;
  auto r = parseConfig(R"({"demo": true})", env.reader(), files.reader());
  REQUIRE(r.ok());
  CHECK(r.config.flows.reply_window_days == 14);
  env.vars = {{"BUERGERBOX_FLOWS_REPLY_WINDOW_DAYS", "7"}};
  auto seven = parseConfig(R"({"demo": true})", env.reader(), files.reader());
  REQUIRE(seven.ok());
  CHECK(seven.config.flows.reply_window_days == 7);
  const FakeEnv none;
  for (const char* bad : {R"({"demo": true, "flows": {"reply_window_days": 0}})",
                          R"({"demo": true, "flows": {"reply_window_days": 366}})"}) {
    auto refused = parseConfig(bad, none.reader(), files.reader());
    CHECK(mentions(refused.errors, "flows.reply_window_days: must be 1..365"));
  }
}

TEST_CASE("config: flows.commit_max_tries defaults to 10, is overridable and bounded") {
  FakeEnv env;
  FakeFiles files;
  auto r = parseConfig(R"({"demo": true})", env.reader(), files.reader());
  REQUIRE(r.ok());
  CHECK(r.config.flows.commit_max_tries == 10);
  env.vars = {{"BUERGERBOX_FLOWS_COMMIT_MAX_TRIES", "3"}};
  auto three = parseConfig(R"({"demo": true})", env.reader(), files.reader());
  REQUIRE(three.ok());
  CHECK(three.config.flows.commit_max_tries == 3);
  const FakeEnv none;
  for (const char* bad : {R"({"demo": true, "flows": {"commit_max_tries": 0}})",
                          R"({"demo": true, "flows": {"commit_max_tries": 1001}})"}) {
    auto refused = parseConfig(bad, none.reader(), files.reader());
    CHECK(mentions(refused.errors, "flows.commit_max_tries: must be 1..1000"));
  }
}

TEST_CASE("config: smtp is off by default, its URL, sender and hour are checked, the password is a secret") {
  FakeEnv env;
  FakeFiles files;
  auto off = parseConfig(R"({"demo": true})", env.reader(), files.reader());
  REQUIRE(off.ok());
  CHECK(off.config.smtp.url.empty());
  CHECK(off.config.smtp.require_tls);
  CHECK(off.config.smtp.digest_hour == 7);

  files.files["/run/secrets/smtp"] = "smtp-geheim\n";
  auto on = parseConfig(R"({"demo": true, "smtp": {"url": "smtp://mail.stadt.example:587",
                            "from": "buergerbox@stadt.example", "user": "bb",
                            "password_file": "/run/secrets/smtp", "digest_hour": 6}})",
                        env.reader(), files.reader());
  REQUIRE(on.ok());
  CHECK(on.config.smtp.password == "smtp-geheim");
  CHECK(on.config.smtp.digest_hour == 6);
  CHECK(parseConfig(R"({"demo": true, "smtp": {"url": "smtps://mail.stadt.example",
                        "from": "a@stadt.example"}})", env.reader(), files.reader()).ok());

  auto inline_secret = parseConfig(R"({"demo": true, "smtp": {"password": "x"}})", env.reader(),
                                   files.reader());
  CHECK(mentions(inline_secret.errors, "smtp.password: secrets must not be in the config file"));
  for (const char* bad : {R"({"demo": true, "smtp": {"url": "http://mail.stadt.example", "from": "a@b.de"}})",
                          R"({"demo": true, "smtp": {"url": "smtp://", "from": "a@b.de"}})",
                          R"({"demo": true, "smtp": {"url": "smtp://mail host", "from": "a@b.de"}})"}) {
    CAPTURE(bad);
    CHECK(mentions(parseConfig(bad, env.reader(), files.reader()).errors, "smtp.url: must be smtp://"));
  }
  for (const char* bad : {R"({"demo": true, "smtp": {"url": "smtp://mail.stadt.example"}})",
                          R"({"demo": true, "smtp": {"url": "smtp://m.de", "from": "Bürgerbox <a@b.de>"}})"}) {
    CAPTURE(bad);
    CHECK(mentions(parseConfig(bad, env.reader(), files.reader()).errors, "smtp.from: must be"));
  }
  CHECK(mentions(parseConfig(R"({"demo": true, "smtp": {"digest_hour": 24}})", env.reader(),
                             files.reader()).errors,
                 "smtp.digest_hour: must be 0..23"));
  CHECK(bb::config::isMailAddress("mia.muster@stadt.example"));
  for (const char* bad : {"mia", "@stadt.example", "mia@stadt", "mia@@stadt.example", "mia @stadt.example",
                          "mia@stadt.example\r\nBcc: x@y.de", "<mia@stadt.example>", "a@b.de,c@d.de"}) {
    CAPTURE(bad);
    CHECK_FALSE(bb::config::isMailAddress(bad));
  }
}

TEST_CASE("config: inbox.tile_url is off by default and must be the city's tile server's {z}/{x}/{y} URL") {
  FakeEnv env;
  FakeFiles files;
  auto off = parseConfig(R"({"demo": true})", env.reader(), files.reader());
  REQUIRE(off.ok());
  CHECK(off.config.inbox.tile_url.empty());
  auto on = parseConfig(R"({"demo": true, "inbox": {"tile_url": "https://tiles.stadt.example/osm/{z}/{x}/{y}.png",
                            "tile_attribution": "© OpenStreetMap-Mitwirkende"}})", env.reader(), files.reader());
  REQUIRE(on.ok());
  CHECK(on.config.inbox.tile_attribution == "© OpenStreetMap-Mitwirkende");
  CHECK(bb::config::isTileUrlTemplate("http://127.0.0.1:8081/{z}/{x}/{y}.png"));
  CHECK(bb::config::isTileUrlTemplate("https://tiles.stadt.example/{z}/{y}/{x}.webp"));
  for (const char* bad : {"https://tiles.stadt.example/{z}/{x}.png", "ftp://tiles.stadt.example/{z}/{x}/{y}.png",
                          "https://{s}.tile.example/{z}/{x}/{y}.png", "https:///{z}/{x}/{y}.png",
                          "https://tiles.stadt.example/{z}/{x}/{y}/{y}.png",
                          "https://tiles.stadt.example/{z}/{x}/{y}.png?k=\"x\"",
                          "https://tiles.stadt.example/{z}/{x}/{y}.png?key={key}",
                          "https://tiles.stadt.example"}) {
    CAPTURE(bad);
    CHECK_FALSE(bb::config::isTileUrlTemplate(bad));
  }
  auto refused = parseConfig(R"({"demo": true, "inbox": {"tile_url": "https://tiles.stadt.example/{z}.png"}})",
                             env.reader(), files.reader());
  CHECK(mentions(refused.errors, "inbox.tile_url: must be an http(s) URL with {z}, {x} and {y}"));
}
