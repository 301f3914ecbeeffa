// `buergerbox whatsapp templates` through the real binary: the printed create-template bodies
// against the shipped catalogue file, and `--check` against a fake Graph API on 127.0.0.1 that
// serves the account's templates on two pages.

#include <doctest/doctest.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>

#include "support/server_process.hpp"

namespace {

using nlohmann::json;

const std::string kSource = BB_SOURCE_DIR;
const std::string kCatalogue = kSource + "/config/whatsapp_templates.json";
constexpr const char* kToken = "EAAtemplatesecrettoken4711";
constexpr const char* kWaba = "102290129340398";

struct Run {
  int code = -1;
  std::string output;  // stdout and stderr
  std::string out;     // stdout only
};

//! Runs `buergerbox whatsapp <args> --config <config>` from /tmp with only `env` set.
Run whatsapp(const std::string& args, const std::string& config,
             const std::map<std::string, std::string>& env = {}) {
  bb::test::TempDir dir;
  std::string command = "cd /tmp && env -i PATH=/usr/bin:/bin";
  for (const auto& [name, value] : env) { command += " '" + name + "=" + value + "'"; }
  command += std::string(" '") + BB_BINARY + "' whatsapp " + args + " --config '" + config +
             "' 2>'" + dir.path() + "/err'";
  Run run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) { return run; }
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) { run.out += buf; }
  const int status = pclose(pipe);
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.output = run.out + bb::test::readFile(dir.path() + "/err");
  return run;
}

std::string writeConfig(const std::string& dir, const std::string& whatsapp) {
  const std::string path = dir + "/buergerbox.json";
  bb::test::writeFile(path, R"({"demo": true, "storage": {"path": ")" + dir +
                                R"(/bb.db"}, "whatsapp": {"templates_file": ")" + kCatalogue +
                                "\"" + whatsapp + "}}");
  return path;
}

//! A fake Graph API: GET /v23.0/{waba}/message_templates answers page 1 (the first `split`
//! templates, with paging.next) or page 2 (after=PAGE2, the rest); records each Authorization.
class FakeGraph {
public:
  explicit FakeGraph(std::vector<json> templates, std::size_t split)
      : templates_(std::move(templates)), split_(split) {
    server_.Get(R"(/v23.0/(\d+)/message_templates)", [this](const httplib::Request& req,
                                                             httplib::Response& res) {
      std::lock_guard lock(mutex_);
      authorizations_.push_back(req.get_header_value("Authorization"));
      queries_.push_back(req.get_param_value("fields"));
      const bool second = req.get_param_value("after") == "PAGE2";
      json page = {{"data", json::array()}};
      for (std::size_t i = second ? split_ : 0; i < (second ? templates_.size() : split_); ++i) {
        page["data"].push_back(templates_[i]);
      }
      page["paging"] = {{"cursors", {{"before", "PAGE1"}, {"after", second ? "END" : "PAGE2"}}}};
      if (!second) {
        page["paging"]["next"] = "http://127.0.0.1:" + std::to_string(port_) + "/v23.0/" +
                                 std::string(req.matches[1]) +
                                 "/message_templates?fields=name,language,status,category"
                                 "&limit=100&after=PAGE2";
      }
      res.set_content(page.dump(), "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeGraph() {
    server_.stop();
    if (thread_.joinable()) { thread_.join(); }
  }
  std::string apiBase() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v23.0"; }
  std::vector<std::string> authorizations() {
    std::lock_guard lock(mutex_);
    return authorizations_;
  }
  std::vector<std::string> fields() {
    std::lock_guard lock(mutex_);
    return queries_;
  }

private:
  std::vector<json> templates_;
  std::size_t split_;
  httplib::Server server_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> authorizations_;
  std::vector<std::string> queries_;
  int port_ = 0;
};

//! Every template and language of the shipped file as the account would list it, APPROVED
//! with the file's category; an unrelated template of the account first.
std::vector<json> accountOfShippedFile() {
  std::vector<json> out = {{{"name", "hello_world"}, {"language", "en_US"}, {"status", "APPROVED"},
                            {"category", "MARKETING"}, {"id", "1192339204654487"}}};
  const json file = json::parse(bb::test::readFile(kCatalogue));
  for (const auto& t : file) {
    for (const auto& [code, lang] : t["languages"].items()) {
      (void)lang;
      out.push_back({{"name", t["name"]}, {"language", code}, {"status", "APPROVED"},
                     {"category", t["category"]}, {"id", "9" + std::to_string(out.size())}});
    }
  }
  return out;
}

json& findTemplate(std::vector<json>& account, const std::string& name, const std::string& language) {
  for (auto& t : account) {
    if (t["name"] == name && t["language"] == language) { return t; }
  }
  FAIL("no template " << name << " " << language);
  return account.front();
}

std::size_t placeholders(const std::string& text) {
  std::set<std::string> seen;
  for (auto at = text.find("{{"); at != std::string::npos; at = text.find("{{", at + 2)) {
    seen.insert(text.substr(at, text.find("}}", at) - at));
  }
  return seen.size();
}

}  // namespace

TEST_CASE("whatsapp templates: prints one create body per template and language of the file") {
  bb::test::TempDir dir;
  const auto run = whatsapp("templates", writeConfig(dir.path(), ""));
  INFO(run.output);
  REQUIRE(run.code == 0);
  const json printed = json::parse(run.out, nullptr, false);
  REQUIRE(printed.is_array());
  const json file = json::parse(bb::test::readFile(kCatalogue));
  std::size_t expected = 0;
  for (const auto& t : file) {
    for (const auto& [code, lang] : t["languages"].items()) {
      ++expected;
      INFO(t["kind"].get<std::string>() << " " << code);
      const json* body = nullptr;
      for (const auto& p : printed) {
        if (p["name"] == t["name"] && p["language"] == code) { body = &p; }
      }
      REQUIRE(body != nullptr);
      // Exactly Meta's create shape: name, language, category, components.
      CHECK(body->size() == 4);
      CHECK((*body)["category"] == t["category"]);
      const json& components = (*body)["components"];
      REQUIRE(components.size() == 2);
      CHECK(components[0]["type"] == "BODY");
      CHECK(components[0]["text"] == lang["body"]);
      const json& examples = components[0]["example"]["body_text"];
      REQUIRE(examples.size() == 1);
      CHECK(examples[0] == lang["examples"]);
      CHECK(examples[0].size() == placeholders(components[0]["text"].get<std::string>()));
      CHECK(examples[0].size() >= 1);
      CHECK(components[1]["type"] == "BUTTONS");
      REQUIRE(components[1]["buttons"].size() == 1);
      CHECK(components[1]["buttons"][0]["type"] == "QUICK_REPLY");
      CHECK(components[1]["buttons"][0]["text"] == lang["button"]);
      CHECK(components[1]["buttons"][0]["text"] ==
            (code == "de" ? "Nachricht anzeigen" : "Show message"));
    }
  }
  CHECK(expected == 12);  // six notice kinds, de and en
  CHECK(printed.size() == expected);
}

TEST_CASE("whatsapp templates: a broken catalogue or a missing file is exit 2 with the reason") {
  bb::test::TempDir dir;
  bb::test::writeFile(dir.path() + "/t.json", R"([{"kind": "ticket_status"}])");
  const std::string config = dir.path() + "/c.json";
  bb::test::writeFile(config, R"({"demo": true, "whatsapp": {"templates_file": ")" + dir.path() +
                                  R"(/t.json"}})");
  const auto run = whatsapp("templates", config);
  CHECK(run.code == 2);
  CHECK(run.output.find(dir.path() + "/t.json: [0] ticket_status: name: 1..512") != std::string::npos);
  const auto unset = whatsapp("templates", writeConfig(dir.path(), ""),
                              {{"BUERGERBOX_WHATSAPP_TEMPLATES_FILE", ""}});
  CHECK(unset.code == 2);
  CHECK(unset.output.find("whatsapp.templates_file is not set") != std::string::npos);
}

TEST_CASE("whatsapp templates --check: missing, REJECTED and PAUSED over two pages exit 1") {
  auto account = accountOfShippedFile();
  findTemplate(account, "buergerbox_proposal_moderated", "de")["status"] = "REJECTED";
  findTemplate(account, "buergerbox_broadcast_topic", "de")["status"] = "PAUSED";
  findTemplate(account, "buergerbox_staff_message", "en")["category"] = "MARKETING";
  account.erase(std::find_if(account.begin(), account.end(), [](const json& t) {
    return t["name"] == "buergerbox_proposal_outcome" && t["language"] == "en";
  }));
  REQUIRE(account.size() == 12);  // hello_world and 11 of ours
  FakeGraph graph(account, 6);    // subscription reminder and broadcast only on page 2
  bb::test::TempDir dir;
  const auto run = whatsapp("templates --check",
                            writeConfig(dir.path(), R"(, "api_base": ")" + graph.apiBase() +
                                                        R"(", "business_account_id": ")" + kWaba + "\""),
                            {{"BUERGERBOX_WHATSAPP_ACCESS_TOKEN", kToken}});
  INFO(run.output);
  CHECK(run.code == 1);
  CHECK(run.out.find("proposal_outcome buergerbox_proposal_outcome en: missing") != std::string::npos);
  CHECK(run.out.find("proposal_moderated buergerbox_proposal_moderated de: REJECTED") !=
        std::string::npos);
  CHECK(run.out.find("broadcast buergerbox_broadcast_topic de: PAUSED") != std::string::npos);
  CHECK(run.out.find("staff_message buergerbox_staff_message en: APPROVED; category MARKETING in "
                     "the account, UTILITY in the catalogue") != std::string::npos);
  // Only on page 2: the pages were followed.
  CHECK(run.out.find("subscription_reminder buergerbox_subscription_reminder en: APPROVED") !=
        std::string::npos);
  CHECK(run.out.find("broadcast buergerbox_broadcast_topic en: APPROVED") != std::string::npos);
  CHECK(run.out.find("summary: 9 approved, 1 PAUSED, 1 REJECTED, 1 missing") != std::string::npos);
  CHECK(run.output.find(kToken) == std::string::npos);
  const auto auth = graph.authorizations();
  REQUIRE(auth.size() == 2);
  CHECK(auth[0] == std::string("Bearer ") + kToken);
  CHECK(auth[1] == std::string("Bearer ") + kToken);
  CHECK(graph.fields().at(0) == "name,language,status,category");
}

TEST_CASE("whatsapp templates --check: every template approved is exit 0, token never printed") {
  FakeGraph graph(accountOfShippedFile(), 7);
  bb::test::TempDir dir;
  const std::string config =
      writeConfig(dir.path(), R"(, "api_base": ")" + graph.apiBase() +
                                  R"(", "business_account_id": ")" + kWaba + "\"");
  const auto run = whatsapp("templates --check", config, {{"BUERGERBOX_WHATSAPP_ACCESS_TOKEN", kToken}});
  INFO(run.output);
  CHECK(run.code == 0);
  CHECK(run.out.find("summary: 12 approved\n") != std::string::npos);
  CHECK(run.output.find(kToken) == std::string::npos);
  CHECK(graph.authorizations().size() == 2);

  // Without the account id or the token: a usage error, exit 2, nothing asked.
  const auto no_token = whatsapp("templates --check", config);
  CHECK(no_token.code == 2);
  CHECK(no_token.output.find("whatsapp.access_token are required") != std::string::npos);
  const auto bad_id = whatsapp("templates --check", config,
                               {{"BUERGERBOX_WHATSAPP_ACCESS_TOKEN", kToken},
                                {"BUERGERBOX_WHATSAPP_BUSINESS_ACCOUNT_ID", "waba-1"}});
  CHECK(bad_id.code == 2);
  CHECK(bad_id.output.find("whatsapp.business_account_id: digits only") != std::string::npos);
  CHECK(graph.authorizations().size() == 2);
}

TEST_CASE("whatsapp templates --check: a refused token is exit 1 with Graph's reason, no token") {
  httplib::Server server;
  server.Get(R"(/v23.0/(\d+)/message_templates)", [](const httplib::Request&, httplib::Response& res) {
    res.status = 401;
    res.set_content(json{{"error", {{"message", std::string("Invalid OAuth access token: ") + kToken},
                                    {"type", "OAuthException"}, {"code", 190}}}}
                        .dump(),
                    "application/json");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&server] { server.listen_after_bind(); });
  bb::test::TempDir dir;
  const auto run = whatsapp(
      "templates --check",
      writeConfig(dir.path(), R"(, "api_base": "http://127.0.0.1:)" + std::to_string(port) +
                                  R"(/v23.0", "business_account_id": ")" + kWaba + "\""),
      {{"BUERGERBOX_WHATSAPP_ACCESS_TOKEN", kToken}});
  server.stop();
  thread.join();
  INFO(run.output);
  CHECK(run.code == 1);
  CHECK(run.output.find("HTTP 401, Graph error 190: Invalid OAuth access token") != std::string::npos);
  CHECK(run.output.find(kToken) == std::string::npos);
}
