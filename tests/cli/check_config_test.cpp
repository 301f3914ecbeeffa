// `buergerbox check-config` as an operator runs it: every file the config names is loaded the
// way serve loads it; errors name the file (and line:column for JSON), exit 2; warnings exit 0.

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "support/server_process.hpp"

namespace {

struct Run {
  int code = -1;
  std::string output;  // stdout and stderr
};

//! Runs check-config from an unrelated directory with only `env` and PATH/TZDIR set.
Run checkConfig(const std::string& config, const std::map<std::string, std::string>& env = {}) {
  std::string command = "cd /tmp && env -i PATH=/usr/bin:/bin";
  for (const auto& [name, value] : env) { command += " '" + name + "=" + value + "'"; }
  command += std::string(" '") + BB_BINARY + "' check-config --config '" + config + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  Run run;
  if (pipe == nullptr) { return run; }
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) { run.output += buf; }
  const int status = pclose(pipe);
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

const std::string kSource = BB_SOURCE_DIR;

//! A demo config whose flow files are the shipped ones unless `overrides` replaces a key.
std::string writeConfig(const std::string& dir, const std::string& flows_extra,
                        const std::string& top_extra = "") {
  const std::string path = dir + "/buergerbox.json";
  bb::test::writeFile(path, R"({"demo": true, )" + top_extra + R"("flows": {
      "categories_file": ")" + kSource + R"(/config/categories.json",
      "texts_dir": ")" + kSource + R"(/config/texts",
      "boundary_file": ")" + kSource + R"(/config/ebersberg/boundary.geojson",
      "districts_file": ")" + kSource + R"(/config/ebersberg/districts.geojson")" +
                                                flows_extra + R"(},
    "subscriptions": {"topics_file": ")" + kSource + R"(/config/topics.json"}})");
  return path;
}

}  // namespace

TEST_CASE("check-config: the shipped files pass from any working directory") {
  bb::test::TempDir dir;
  const auto run = checkConfig(writeConfig(dir.path(), ""));
  CHECK(run.code == 0);
  CHECK(run.output.find("config ok") != std::string::npos);
}

TEST_CASE("check-config: a broken categories file is an error with file, line and column") {
  bb::test::TempDir dir;
  const std::string cats = dir.path() + "/categories.json";
  bb::test::writeFile(cats, "[\n  {\"id\": \"pothole\", \"department\": \"tiefbau\",\n"
                            "   \"label\": {\"de\": \"Schlagloch\"}\n  \n]\n");
  const auto run = checkConfig(writeConfig(dir.path(), R"(, "categories_file": ")" + cats + "\""));
  CHECK(run.code == 2);
  INFO(run.output);
  // The object opened on line 2 is not closed: the parser stops at the ']' on line 5, column 1.
  CHECK(run.output.find(cats + ":5:1: JSON syntax error") != std::string::npos);
  CHECK(run.output.find("config ok") == std::string::npos);
}

TEST_CASE("check-config: a district outside the city limits is an error naming the district") {
  bb::test::TempDir dir;
  const std::string districts = dir.path() + "/districts.geojson";
  // Kernstadt as shipped; "weit-weg" lies some 10 km east of the boundary.
  bb::test::writeFile(districts, R"({"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"id": "kernstadt", "department": "tiefbau"},
     "geometry": {"type": "Polygon", "coordinates": [[[11.95, 48.065], [11.99, 48.065],
       [11.99, 48.095], [11.95, 48.095], [11.95, 48.065]]]}},
    {"type": "Feature", "properties": {"id": "weit-weg", "department": "tiefbau"},
     "geometry": {"type": "Polygon", "coordinates": [[[12.15, 48.065], [12.19, 48.065],
       [12.19, 48.095], [12.15, 48.095], [12.15, 48.065]]]}}]})");
  const auto run =
      checkConfig(writeConfig(dir.path(), R"(, "districts_file": ")" + districts + "\""));
  INFO(run.output);
  CHECK(run.code == 2);
  CHECK(run.output.find("districts: weit-weg reaches outside the boundary") != std::string::npos);
  CHECK(run.output.find("kernstadt reaches") == std::string::npos);
}

TEST_CASE("check-config: an upload limit above the body limit is an error") {
  bb::test::TempDir dir;
  const auto run = checkConfig(writeConfig(
      dir.path(), "", R"("server": {"max_body_bytes": 1048576}, "webchat": {"max_upload_bytes": 10485760}, )"));
  INFO(run.output);
  CHECK(run.code == 2);
  CHECK(run.output.find("webchat.max_upload_bytes: must be 1..server.max_body_bytes") !=
        std::string::npos);
}

TEST_CASE("check-config: back-office retry limits out of range are errors naming the key") {
  bb::test::TempDir dir;
  const auto run = checkConfig(
      writeConfig(dir.path(), "",
                  R"("backoffice": {"retry_base_ms": 5000, "retry_max_ms": 1000, )"
                  R"("give_up_after_hours": 0, "photo_link_hours": 721}, )"));
  INFO(run.output);
  CHECK(run.code == 2);
  CHECK(run.output.find("backoffice.retry_max_ms: must be backoffice.retry_base_ms..86400000") !=
        std::string::npos);
  CHECK(run.output.find("backoffice.give_up_after_hours: must be 1..720") != std::string::npos);
  CHECK(run.output.find("backoffice.photo_link_hours: must be 1..720") != std::string::npos);
  // In range they pass.
  const auto fine = checkConfig(
      writeConfig(dir.path(), "",
                  R"("backoffice": {"retry_max_ms": 60000, "give_up_after_hours": 48, )"
                  R"("photo_link_hours": 24}, )"));
  INFO(fine.output);
  CHECK(fine.code == 0);
}

TEST_CASE("check-config: a broken gazetteer file is an error naming file and line") {
  bb::test::TempDir dir;
  const std::string good = kSource + "/config/ebersberg/gazetteer.csv";
  auto run = checkConfig(writeConfig(dir.path(), R"(, "gazetteer_file": ")" + good + "\""));
  INFO(run.output);
  CHECK(run.code == 0);
  const std::string bad = dir.path() + "/gazetteer.csv";
  bb::test::writeFile(bad, "#source: test\naddress;Marienplatz;1;85560;Ebersberg;48.0777;11.9706\n"
                           "address;Marienplatz;2;85560;Ebersberg;48,0778;11.9707\n");
  run = checkConfig(writeConfig(dir.path(), R"(, "gazetteer_file": ")" + bad + "\""));
  CHECK(run.code == 2);
  CHECK(run.output.find("flows.gazetteer_file: " + bad + ": line 3: not a record") !=
        std::string::npos);
}

TEST_CASE("check-config: a text missing in one language is an error naming key and language") {
  bb::test::TempDir dir;
  const std::string texts = dir.path() + "/texts";
  REQUIRE(std::system(("mkdir -p '" + texts + "' && cp '" + kSource + "/config/texts/de.json' '" +
                       texts + "/' && grep -v '\"menu.prompt\"' '" + kSource +
                       "/config/texts/en.json' > '" + texts + "/en.json'")
                          .c_str()) == 0);
  REQUIRE(bb::test::readFile(texts + "/en.json").find("\"menu.prompt\"") == std::string::npos);
  const auto run = checkConfig(writeConfig(dir.path(), R"(, "texts_dir": ")" + texts + "\""));
  INFO(run.output);
  CHECK(run.code == 2);
  CHECK(run.output.find("texts: menu.prompt has no en text") != std::string::npos);
}

TEST_CASE("check-config: a BUERGERBOX_ variable naming no key is an error, a warning only warns") {
  bb::test::TempDir dir;
  const std::string config = writeConfig(dir.path(), "");
  const auto typo = checkConfig(config, {{"BUERGERBOX_SERVER_PROT", "8081"}});
  INFO(typo.output);
  CHECK(typo.code == 2);
  CHECK(typo.output.find("BUERGERBOX_SERVER_PROT: names no config key") != std::string::npos);
  CHECK(checkConfig(config, {{"BUERGERBOX_SERVER_PORT", "8081"}}).code == 0);

  // No boundary: a warning, listed, and still exit 0.
  bb::test::writeFile(dir.path() + "/plain.json", R"({"demo": true, "flows": {"categories_file": ")" +
                                                      kSource + R"(/config/categories.json", "texts_dir": ")" +
                                                      kSource + R"(/config/texts"}})");
  const auto warned = checkConfig(dir.path() + "/plain.json");
  INFO(warned.output);
  CHECK(warned.code == 0);
  CHECK(warned.output.find("config warning: flows.boundary_file: not set") != std::string::npos);
  CHECK(warned.output.find("1 warning(s)") != std::string::npos);
}

TEST_CASE("check-config: flows.ticket_messages_per_day out of range is an error") {
  bb::test::TempDir dir;
  const auto run = checkConfig(writeConfig(dir.path(), R"(, "ticket_messages_per_day": 0)"));
  CHECK(run.code == 2);
  CHECK(run.output.find("flows.ticket_messages_per_day: must be 1..1000") != std::string::npos);
  const auto ok = checkConfig(writeConfig(dir.path(), R"(, "ticket_messages_per_day": 3)"));
  CHECK(ok.code == 0);
}

TEST_CASE("check-config: flows.department_names must be well-formed and name known departments") {
  bb::test::TempDir dir;
  const auto ok = checkConfig(writeConfig(
      dir.path(), R"(, "department_names": {"tiefbau-kernstadt": "Tiefbauamt Kernstadt", "bauhof": "Bauhof"})"));
  INFO(ok.output);
  CHECK(ok.code == 0);
  CHECK(ok.output.find("department_names") == std::string::npos);
  const auto typo = checkConfig(writeConfig(dir.path(), R"(, "department_names": {"bauhoff": "Bauhof"})"));
  INFO(typo.output);
  CHECK(typo.code == 0);
  CHECK(typo.output.find("config warning: flows.department_names: 'bauhoff' is no department") !=
        std::string::npos);
  const auto bad = checkConfig(writeConfig(dir.path(), R"(, "department_names": {"bauhof": "A;B"})"));
  CHECK(bad.code == 2);
  CHECK(bad.output.find("flows.department_names") != std::string::npos);
  const auto env = checkConfig(writeConfig(dir.path(), ""),
                               {{"BUERGERBOX_FLOWS_DEPARTMENT_NAMES", "bauhof=Bauhof;tiefbau"}});
  CHECK(env.code == 2);
  CHECK(env.output.find("flows.department_names: must be") != std::string::npos);
}

TEST_CASE("check-config: mail without TLS to another machine and a login without password are warned about") {
  bb::test::TempDir dir;
  const std::string base = R"("smtp": {"from": "buergerbox@stadt.example", )";
  const auto local = checkConfig(writeConfig(dir.path(), "", base + R"("url": "smtp://127.0.0.1:2525", "require_tls": false}, )"));
  INFO(local.output);
  CHECK(local.code == 0);
  CHECK(local.output.find("smtp") == std::string::npos);
  const auto remote = checkConfig(writeConfig(dir.path(), "", base + R"("url": "smtp://mail.stadt.example:25", "require_tls": false}, )"));
  INFO(remote.output);
  CHECK(remote.code == 0);
  CHECK(remote.output.find("config warning: smtp.require_tls: false sends the staff addresses and the "
                           "SMTP login unencrypted to mail.stadt.example:25") != std::string::npos);
  const auto no_password = checkConfig(writeConfig(dir.path(), "", base + R"("url": "smtps://mail.stadt.example", "user": "bb"}, )"));
  INFO(no_password.output);
  CHECK(no_password.output.find("config warning: smtp.user is set but no password") != std::string::npos);
  const auto with_password = checkConfig(writeConfig(dir.path(), "", base + R"("url": "smtps://mail.stadt.example", "user": "bb"}, )"),
                                         {{"BUERGERBOX_SMTP_PASSWORD", "geheim"}});
  CHECK(with_password.code == 0);
  CHECK(with_password.output.find("smtp") == std::string::npos);
  const auto bad = checkConfig(writeConfig(dir.path(), "", R"("smtp": {"url": "smtp://mail.stadt.example"}, )"));
  CHECK(bad.code == 2);
  CHECK(bad.output.find("smtp.from: must be the sender's mail address") != std::string::npos);
}

TEST_CASE("check-config: with WhatsApp on, a notice kind without a template is a warning") {
  bb::test::TempDir dir;
  // The shipped catalogue without proposal_outcome and broadcast.
  const std::string shipped = bb::test::readFile(kSource + "/config/whatsapp_templates.json");
  const std::string kept = dir.path() + "/templates.json";
  {
    auto all = nlohmann::json::parse(shipped);
    nlohmann::json some = nlohmann::json::array();
    for (const auto& t : all) {
      if (t["kind"] != "proposal_outcome" && t["kind"] != "broadcast") { some.push_back(t); }
    }
    bb::test::writeFile(kept, some.dump(2));
  }
  const std::map<std::string, std::string> secrets = {
      {"BUERGERBOX_WHATSAPP_ENABLED", "true"},
      {"BUERGERBOX_WHATSAPP_PHONE_NUMBER_ID", "1234567890"},
      {"BUERGERBOX_WHATSAPP_ACCESS_TOKEN", "EAAtoken"},
      {"BUERGERBOX_WHATSAPP_APP_SECRET", "app-secret"},
      {"BUERGERBOX_WHATSAPP_VERIFY_TOKEN", "verify"}};
  const std::string config = writeConfig(dir.path(), "", R"("whatsapp": {"templates_file": ")" + kept + R"("}, )");
  const auto warned = checkConfig(config, secrets);
  INFO(warned.output);
  CHECK(warned.code == 0);
  CHECK(warned.output.find("config warning: whatsapp.templates_file: no template for notice kind "
                           "proposal_outcome; such notices stay held outside the 24-hour window") !=
        std::string::npos);
  CHECK(warned.output.find("no template for notice kind broadcast") != std::string::npos);
  CHECK(warned.output.find("notice kind ticket_status") == std::string::npos);
  CHECK(warned.output.find("2 warning(s)") != std::string::npos);
  // WhatsApp off: the catalogue is still checked, but a missing kind concerns no one.
  const auto off = checkConfig(config);
  INFO(off.output);
  CHECK(off.code == 0);
  CHECK(off.output.find("no template for notice kind") == std::string::npos);
  // The complete shipped catalogue: no warning.
  const auto full = checkConfig(
      writeConfig(dir.path(), "", R"("whatsapp": {"templates_file": ")" + kSource +
                                      R"(/config/whatsapp_templates.json"}, )"),
      secrets);
  INFO(full.output);
  CHECK(full.code == 0);
  CHECK(full.output.find("whatsapp.templates_file") == std::string::npos);
}

TEST_CASE("check-config: a broken template catalogue is an error with file, line and column") {
  bb::test::TempDir dir;
  const std::string file = dir.path() + "/templates.json";
  bb::test::writeFile(file, "[\n  {\"kind\": \"ticket_status\",\n   \"name\": \"x\",\n]\n");
  const auto run = checkConfig(
      writeConfig(dir.path(), "", R"("whatsapp": {"templates_file": ")" + file + R"("}, )"));
  INFO(run.output);
  CHECK(run.code == 2);
  CHECK(run.output.find("config error: whatsapp.templates_file: " + file + ":4:1: JSON syntax error") !=
        std::string::npos);
  bb::test::writeFile(file, R"([{"kind": "staff_message", "name": "buergerbox_staff_message",
    "category": "UTILITY", "languages": {"de": {"body": "Neue Nachricht zu {{1}} und {{2}}.",
    "examples": ["1042", "x"], "button": "Nachricht anzeigen"}}}])");
  const auto semantic = checkConfig(
      writeConfig(dir.path(), "", R"("whatsapp": {"templates_file": ")" + file + R"("}, )"));
  INFO(semantic.output);
  CHECK(semantic.code == 2);
  CHECK(semantic.output.find(file + ": [0] staff_message: de.body: uses 2 parameter(s); "
                                    "staff_message takes 1 (ticket number)") != std::string::npos);
}
