// The shipped systemd unit (docs/deploy/buergerbox.service) read as systemd reads it: its syscall
// filter must let setpriority through (the thread-priority split), and the credentials it loads
// must be enough for the real binary to start.

#include <doctest/doctest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <httplib.h>

#include "bot/runtime/threads.hpp"
#include "support/server_process.hpp"

namespace {

const std::string kUnit = std::string(BB_SOURCE_DIR) + "/docs/deploy/buergerbox.service";

//! The values of every `key=` line of the unit, in order (comments skipped).
std::vector<std::string> settings(const std::string& unit, const std::string& key) {
  std::vector<std::string> out;
  std::istringstream in(unit);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + "=", 0) == 0) { out.push_back(line.substr(key.size() + 1)); }
  }
  return out;
}

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string w;
  while (in >> w) { out.push_back(w); }
  return out;
}

std::string runOutput(const std::string& command, int* code) {
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  if (pipe == nullptr) { return out; }
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) { out += buf; }
  *code = pclose(pipe);
  return out;
}

//! The system calls of a name as systemd expands it (groups recursively, by systemd-analyze).
void expand(const std::string& name, std::set<std::string>& into) {
  if (name.empty() || name[0] != '@') {
    into.insert(name);
    return;
  }
  int code = 0;
  const std::string text = runOutput("systemd-analyze syscall-filter '" + name + "' 2>&1", &code);
  REQUIRE_MESSAGE(code == 0, "systemd-analyze syscall-filter " << name << ": " << text);
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);  // the group's own name
  while (std::getline(in, line)) {
    const auto w = words(line);
    if (w.empty() || w[0][0] == '#') { continue; }
    expand(w[0], into);
  }
}

}  // namespace

TEST_CASE("deploy: the unit's syscall filter lets setpriority through (systemd-analyze)") {
  const std::string unit = bb::test::readFile(kUnit);
  REQUIRE_FALSE(unit.empty());
  const auto filters = settings(unit, "SystemCallFilter");
  REQUIRE(filters.size() >= 2);
  // The first line allows (no ~); every ~ line takes calls away again.
  REQUIRE(filters[0][0] != '~');
  std::set<std::string> allowed;
  std::set<std::string> denied;
  for (const auto& filter : filters) {
    const bool deny = filter[0] == '~';
    for (const auto& name : words(deny ? filter.substr(1) : filter)) {
      expand(name, deny ? denied : allowed);
    }
  }
  CHECK(allowed.count("setpriority") == 1);
  CHECK(denied.count("setpriority") == 0);
  // The rest of @resources stays denied, and the check itself can see a denial.
  CHECK(denied.count("sched_setscheduler") == 1);
  CHECK(denied.count("setrlimit") == 1);
  CHECK(denied.count("mount") == 1);
}

TEST_CASE("deploy: the service starts with the credentials directory the unit loads") {
  const std::string unit = bb::test::readFile(kUnit);
  const auto credentials = settings(unit, "LoadCredential");
  REQUIRE(credentials.size() >= 2);
  bb::test::TempDir dir;
  // What systemd does for LoadCredential=ID:PATH: copies PATH to $CREDENTIALS_DIRECTORY/ID.
  const std::string creds = dir.path() + "/credentials";
  REQUIRE(std::system(("mkdir -p '" + creds + "'").c_str()) == 0);
  char fill = 'a';
  for (const auto& entry : credentials) {
    const std::string id = entry.substr(0, entry.find(':'));
    bb::test::writeFile(creds + "/" + id, bb::test::testKey(fill++) + "\n");
  }
  bb::test::writeFile(dir.path() + "/buergerbox.json", "{}");  // not demo: keys are required
  const std::map<std::string, std::string> env = {
      {"BUERGERBOX_SERVER_PORT", "0"},
      {"BUERGERBOX_STORAGE_PATH", dir.path() + "/db.sqlite"},
      {"BUERGERBOX_STORAGE_MEDIA_DIR", dir.path() + "/media"}};

  SUBCASE("without the credentials the service refuses to start") {
    bb::test::ServerProcess server;
    CHECK_FALSE(server.start(dir.path() + "/buergerbox.json", env, std::chrono::seconds(10)));
    CHECK(server.log().find("privacy.pseudonym_key: required") != std::string::npos);
  }
  SUBCASE("with them it serves") {
    auto with_creds = env;
    with_creds["CREDENTIALS_DIRECTORY"] = creds;
    bb::test::ServerProcess server;
    REQUIRE(server.start(dir.path() + "/buergerbox.json", with_creds));
    httplib::Client client("127.0.0.1", server.port());
    auto res = client.Get("/healthz");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(server.stop(SIGTERM) == 0);
    // The keys are secrets: never in the log.
    CHECK(server.log().find(bb::test::testKey('a')) == std::string::npos);
  }
}

TEST_CASE("deploy: the unit's LimitNICE allows the writer's raise and no more") {
  // The writer raises its thread by kWriterRaise steps from nice 0 (the unit sets no Nice=). The
  // unit's limit must allow exactly that: a smaller one leaves the writer unraised (it logs
  // storage_writer_priority_unchanged), a larger one would let the process raise more. (Trying
  // the limit as an unprivileged user needs CAP_SYS_RESOURCE and setuid, which the test machines'
  // sandbox refuses, so the value is what is checked.)
  const std::string unit = bb::test::readFile(kUnit);
  const auto limits = settings(unit, "LimitNICE");
  REQUIRE(limits.size() == 1);
  CHECK(limits[0] == "-" + std::to_string(bb::kWriterRaise));
  CHECK(settings(unit, "Nice").empty());
}
