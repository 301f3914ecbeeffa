// What an operator's setup feeds the config besides the file: systemd credentials, stray
// BUERGERBOX_ variables, limits that contradict each other, URLs, JSON syntax errors by place.

#include <doctest/doctest.h>

#include <algorithm>

#include <map>

#include "config/config.hpp"
#include "config/json_error.hpp"
#include "support/server_process.hpp"

using bb::config::parseConfig;

namespace {

struct Env {
  std::map<std::string, std::string> vars;
  bb::config::EnvReader reader() const {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) { return std::nullopt; }
      return it->second;
    };
  }
};

struct Files {
  std::map<std::string, std::string> files;
  bb::config::FileReader reader() const {
    return [this](const std::string& path) -> std::optional<std::string> {
      auto it = files.find(path);
      if (it == files.end()) { return std::nullopt; }
      return it->second;
    };
  }
};

bool mentions(const std::vector<std::string>& errors, const std::string& text) {
  for (const auto& e : errors) {
    if (e.find(text) != std::string::npos) { return true; }
  }
  return false;
}

}  // namespace

TEST_CASE("config: a secret unset elsewhere is read from the systemd credential of its name") {
  Env env;
  Files files;
  env.vars["CREDENTIALS_DIRECTORY"] = "/run/credentials/buergerbox.service";
  files.files["/run/credentials/buergerbox.service/privacy.pseudonym_key"] =
      bb::test::testKey('a') + "\n";
  files.files["/run/credentials/buergerbox.service/privacy.encryption_key"] = bb::test::testKey('b');
  files.files["/run/credentials/buergerbox.service/telegram.bot_token"] = "123:credential";
  SUBCASE("credentials fill the secrets") {
    auto r = parseConfig("{}", env.reader(), files.reader());
    CHECK(r.ok());
    CHECK(r.config.privacy.pseudonym_key == bb::test::testKey('a'));
    CHECK(r.config.privacy.encryption_key == bb::test::testKey('b'));
    CHECK(r.config.telegram.bot_token == "123:credential");
  }
  SUBCASE("the environment wins over a credential") {
    env.vars["BUERGERBOX_TELEGRAM_BOT_TOKEN"] = "456:env";
    auto r = parseConfig("{}", env.reader(), files.reader());
    CHECK(r.config.telegram.bot_token == "456:env");
  }
  SUBCASE("without CREDENTIALS_DIRECTORY nothing is read from there") {
    env.vars.erase("CREDENTIALS_DIRECTORY");
    auto r = parseConfig("{}", env.reader(), files.reader());
    CHECK_FALSE(r.ok());
    CHECK(mentions(r.errors, "privacy.pseudonym_key: required"));
  }
}

TEST_CASE("config: BUERGERBOX_ variables that name no key are found, known ones are not") {
  const auto unknown = bb::config::unknownEnvironmentNames(
      {"BUERGERBOX_SERVER_PROT", "BUERGERBOX_SERVER_PORT", "BUERGERBOX_TELEGRAM_BOT_TOKEN_FILE",
       "BUERGERBOX_SERVER_PORT_FILE", "PATH", "CREDENTIALS_DIRECTORY", "BUERGERBOX_LOG_LEVEL"});
  // _FILE exists only for secrets: BUERGERBOX_SERVER_PORT_FILE is as wrong as a typo.
  CHECK(unknown == std::vector<std::string>{"BUERGERBOX_SERVER_PROT", "BUERGERBOX_SERVER_PORT_FILE"});
}

TEST_CASE("config: the web chat upload limit may not exceed the HTTP body limit") {
  Env env;
  Files files;
  auto over = parseConfig(R"({"demo": true, "server": {"max_body_bytes": 1048576},
                              "webchat": {"max_upload_bytes": 2097152}})",
                          env.reader(), files.reader());
  CHECK(mentions(over.errors, "webchat.max_upload_bytes: must be 1..server.max_body_bytes"));
  // One mistake, one line.
  CHECK(std::count_if(over.errors.begin(), over.errors.end(), [](const std::string& e) {
          return e.find("webchat.max_upload_bytes") != std::string::npos;
        }) == 1);
  auto equal = parseConfig(R"({"demo": true, "server": {"max_body_bytes": 2097152},
                               "webchat": {"max_upload_bytes": 2097152}})",
                           env.reader(), files.reader());
  CHECK(equal.ok());
  CHECK(parseConfig(R"({"demo": true})", env.reader(), files.reader()).ok());  // the defaults fit
}

TEST_CASE("config: URL keys must be http(s) URLs with a host") {
  Env env;
  Files files;
  auto r = parseConfig(R"({"demo": true, "server": {"public_url": "buergerbox.example"},
                           "whatsapp": {"api_base": "https:///v23.0"},
                           "matrix": {"homeserver_url": "http://hs example"},
                           "oparl": {"url": "ftp://oparl.example"}})",
                       env.reader(), files.reader());
  CHECK(mentions(r.errors, "server.public_url: must be an http(s) URL"));
  CHECK(mentions(r.errors, "whatsapp.api_base: must be an http(s) URL"));
  CHECK(mentions(r.errors, "matrix.homeserver_url: must be an http(s) URL"));
  CHECK(mentions(r.errors, "oparl.url: must be an http(s) URL"));
  auto good = parseConfig(R"({"demo": true, "server": {"public_url": "https://bb.example:8443/x"},
                              "telegram": {"api_base": "http://127.0.0.1:9000"}})",
                          env.reader(), files.reader());
  CHECK(good.ok());
}

TEST_CASE("config: a JSON syntax error is reported as file:line:column") {
  Files files;
  Env env;
  files.files["/etc/bb.json"] = "{\n  \"server\": {\n    \"port\": 80,\n  }\n}\n";
  auto r = bb::config::loadConfig("/etc/bb.json", env.reader(), files.reader());
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].rfind("/etc/bb.json:4:3: JSON syntax error", 0) == 0);
  CHECK(bb::config::jsonSyntaxError("[1, 2]") == std::nullopt);
  // Columns count characters: the two umlauts before the error are two columns, not four bytes.
  CHECK(bb::config::jsonSyntaxError("[\"ää\", x]").value_or("").rfind("1:8:", 0) == 0);
  CHECK(bb::config::inFile("a.json", "3:3: bad") == "a.json:3:3: bad");
  CHECK(bb::config::inFile("a.json", "not a list") == "a.json: not a list");
}
