// The staff digest through the real binary: `serve` with smtp.* set sends the daily mail to a
// small SMTP server on 127.0.0.1 (tests/support/fake_smtp.hpp), with the login from a password
// file, counts and links only, and counts it in /metrics.

#include <doctest/doctest.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <string>
#include <thread>

#include "support/fake_smtp.hpp"
#include "support/server_database.hpp"
#include "support/server_process.hpp"

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE_TEMPLATE("staff digest end to end: the real server mails a member's new work to the SMTP server", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  bb::test::TempDir dir;
  bb::test::FakeSmtp smtp;
  smtp.requireLogin("bb-mailer", "smtp-geheim-42");
  bb::test::writeFile(dir.path() + "/smtp-password", "smtp-geheim-42\n");
  bb::test::ServerDatabase database(B::backend, dir.path() + "/db.sqlite");
  std::map<std::string, std::string> env{
      {"BUERGERBOX_SERVER_PORT", "0"},  // not the demo's 8080: the other backend's run is beside it
      {"BUERGERBOX_STORAGE_MEDIA_DIR", dir.path() + "/media"},
      {"BUERGERBOX_PRIVACY_PSEUDONYM_KEY", bb::test::testKey('a')},
      {"BUERGERBOX_PRIVACY_ENCRYPTION_KEY", bb::test::testKey('b')},
      {"BUERGERBOX_SERVER_PUBLIC_URL", "https://buergerbox.stadt.example"}};
  env.merge(database.env());
  REQUIRE(bb::test::runCli("migrate", "config/demo.json", env).code == 0);
  const auto staff = bb::test::runCli("staff add --login mia --role admin", "config/demo.json", env,
                                      "mias-langes-passwort\n");
  REQUIRE_MESSAGE(staff.code == 0, staff.errors);
  const auto key_run = bb::test::runCli("apikey add --name digest-test --department '*'",
                                        "config/demo.json", env);
  REQUIRE_MESSAGE(key_run.code == 0, key_run.errors);
  const std::string api_key = key_run.lastLine();
  REQUIRE(api_key.size() >= 20);
  database.execute("INSERT INTO staff_digests (staff_id, email, enabled) SELECT id, "
                   "'mia.muster@stadt.example', 1 FROM staff_users WHERE login = 'mia'");

  // First without mail: a ticket comes in through Open311.
  bb::test::ServerProcess server;
  REQUIRE_MESSAGE(server.start("config/demo.json", env), server.log());
  {
    httplib::Client client("127.0.0.1", server.port());
    client.set_read_timeout(30, 0);  // a loaded test machine, not the default 5 s
    auto r = client.Post("/open311/v2/requests.json",
                         httplib::Params{{"api_key", api_key}, {"service_code", "schlagloch"},
                                         {"lat", "48.07772"}, {"long", "11.97064"},
                                         {"description", "Loch vor Hausnummer 7"}});
    REQUIRE_MESSAGE(r, httplib::to_string(r.error()) << server.log());
    REQUIRE_MESSAGE((r->status == 200 || r->status == 201), r->body << server.log());
  }
  REQUIRE_MESSAGE(server.stop(SIGTERM) == 0, server.log());

  // Now with the mail server: from hour 0 the day's digest is due at once.
  env["BUERGERBOX_SMTP_URL"] = smtp.url();
  env["BUERGERBOX_SMTP_FROM"] = "buergerbox@stadt.example";
  env["BUERGERBOX_SMTP_USER"] = "bb-mailer";
  env["BUERGERBOX_SMTP_PASSWORD_FILE"] = dir.path() + "/smtp-password";
  env["BUERGERBOX_SMTP_REQUIRE_TLS"] = "false";
  env["BUERGERBOX_SMTP_DIGEST_HOUR"] = "0";
  REQUIRE_MESSAGE(server.start("config/demo.json", env), server.log());
  REQUIRE_MESSAGE(smtp.waitForMails(1, std::chrono::seconds(40)), server.log());
  const auto mail = smtp.mails().at(0);
  CHECK(mail.mail_from == "buergerbox@stadt.example");
  CHECK(mail.rcpt_to == std::vector<std::string>{"mia.muster@stadt.example"});
  CHECK(mail.auth_user == "bb-mailer");
  CHECK(mail.auth_password == "smtp-geheim-42");
  const auto blank = mail.data.find("\r\n\r\n");
  REQUIRE(blank != std::string::npos);
  const std::string body = bb::test::base64Decode(mail.data.substr(blank + 4));
  CHECK_MESSAGE(contains(body, ": 1 neue Meldung\r\n"), body);
  CHECK(contains(body, "Zum Posteingang: https://buergerbox.stadt.example/inbox\r\n"));
  CHECK_FALSE(contains(body, "Hausnummer"));
  {
    // The count follows once the server has closed the SMTP session: wait for it.
    httplib::Client client("127.0.0.1", server.port());
    std::string metrics;
    for (int i = 0; i < 100 && !contains(metrics, "buergerbox_staff_digests_total"); ++i) {
      if (i > 0) { std::this_thread::sleep_for(std::chrono::milliseconds(100)); }
      auto r = client.Get("/metrics");
      REQUIRE_MESSAGE(r, httplib::to_string(r.error()) << server.log());
      metrics = r->body;
    }
    CHECK_MESSAGE(contains(metrics, "buergerbox_staff_digests_total{result=\"sent\"} 1"),
                  metrics << server.log());
  }
  REQUIRE_MESSAGE(server.stop(SIGTERM) == 0, server.log());
  CHECK_MESSAGE(smtp.mails().size() == 1, server.log());
  const std::string log = server.log();
  CHECK_FALSE(contains(log, "mia.muster"));
  CHECK_FALSE(contains(log, "smtp-geheim-42"));
}
