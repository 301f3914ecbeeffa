// The city raises privacy.notice_version (a new privacy notice): a citizen who accepted an older
// version sees the new notice on their next message before anything else; accepting records the
// new version with its time; declining keeps their tickets and processes nothing new.

#include <doctest/doctest.h>

#include "support/engine_harness.hpp"

using bb::test::EngineHarness;
using bb::test::OnPostgresql;
using bb::test::OnSqlite;
using bb::test::kMarktplatz;

TEST_CASE_TEMPLATE("notice version: after a raise the citizen's next message gets the new notice first",
                   B, OnSqlite, OnPostgresql) {
  EngineHarness h(B::backend, 1);
  h.onboard("anna");
  const auto number = h.report("anna", "schlagloch", kMarktplatz);
  (void)h.replies("anna");
  const int old_version = h.flows.settings.privacy_notice_version;
  const std::string of_anna = " FROM citizens WHERE pseudonym = '" + h.pseudonym("anna") + "'";
  REQUIRE(h.scalar("SELECT consent_version" + of_anna) == old_version);
  const auto accepted_at = h.scalar("SELECT consent_at" + of_anna);

  h.raiseNoticeVersion();
  h.clock.advance(std::chrono::hours(2));

  h.text("anna", "status " + std::to_string(number));
  const std::string notice = h.replyText("anna");
  CHECK(notice.find(h.text("privacy.notice_updated").substr(0, 40)) != std::string::npos);
  CHECK(notice.find("Meldung " + std::to_string(number)) == std::string::npos);  // nothing else
  CHECK(h.scalar("SELECT consent_version" + of_anna) == old_version);

  // Declining: nothing new is processed, the ticket stays.
  h.text("anna", "nein");
  CHECK(h.replyText("anna").find(h.text("privacy.update_declined").substr(0, 30)) !=
        std::string::npos);
  h.text("anna", "Noch ein Schlagloch");
  CHECK(h.replyText("anna").find(h.text("privacy.notice_updated").substr(0, 40)) !=
        std::string::npos);
  CHECK(h.scalar("SELECT count(*) FROM tickets") == 1);
  CHECK(h.scalar("SELECT count(*)" + of_anna) == 1);

  // Accepting records the new version and when.
  h.text("anna", "ja bitte");
  CHECK(h.replyText("anna").find(h.text("privacy.accepted")) != std::string::npos);
  CHECK(h.scalar("SELECT consent_version" + of_anna) == old_version + 1);
  CHECK(h.scalar("SELECT consent_at" + of_anna) > accepted_at);
  h.text("anna", "status " + std::to_string(number));
  CHECK(h.replyText("anna").find(std::to_string(number)) != std::string::npos);
}
