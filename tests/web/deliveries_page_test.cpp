// The delivery page of the staff inbox: a dead back-office entry and a failed message to a
// citizen are listed with reason and age; retry puts them back (and the forwarder then delivers
// the entry); discard gives one up, audited; other departments see and touch nothing.

#include <doctest/doctest.h>


#include "bot/cases/forwarder.hpp"
#include "support/case_stores.hpp"
#include "web/inbox/deliveries_page.hpp"
#include "web/inbox_fixture.hpp"

namespace {

using bb::test::InboxFixture;

struct DeliveryFixture : InboxFixture {
  std::unique_ptr<bb::CaseStore> cases = bb::test::caseStoreOf(h);
  bb::web::DeliveriesPage page{inbox->desk(), *cases};

  explicit DeliveryFixture(bb::test::Backend backend) : InboxFixture(backend) {
    const auto more = page.routes();
    routes.insert(routes.end(), more.begin(), more.end());
  }

  void exec(const std::string& sql) { h.execute(sql); }

  //! The ticket's first case queue entry, given up after a day of 503s.
  std::int64_t deadEntry(std::int64_t number) {
    const auto id = h.scalar("SELECT min(id) FROM case_queue WHERE ticket_number = " +
                             std::to_string(number));
    exec("UPDATE case_queue SET state = 'dead', tries = 97, last_status = 503, "
         "last_error = 'http 503' WHERE id = " + std::to_string(id));
    return id;
  }

  //! The ticket's last message to the citizen, refused for good by the platform (the row's
  //! sealed address wiped, as the outbox worker does for a final row).
  std::int64_t failedMessage(std::int64_t number) {
    const auto id = h.scalar("SELECT max(o.id) FROM outbox o JOIN tickets t ON t.id = o.ticket_id "
                             "WHERE t.number = " + std::to_string(number));
    REQUIRE(id > 0);
    exec("UPDATE outbox SET status = 'failed', error = 'permanent: 131026', tries = 1, "
         "address_ct = " + std::string(h.pg ? "'\\x'" : "X''") + " WHERE id = " + std::to_string(id));
    return id;
  }
};

}  // namespace

TEST_CASE_TEMPLATE("deliveries: a dead entry is listed, retry delivers it, discard is audited", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  DeliveryFixture f(B::backend);
  const auto pothole = f.report("anna", "schlagloch", "Tiefes Loch");  // tiefbau-kernstadt
  const auto lamp = f.report("bert", "strassenbeleuchtung", "Lampe aus");  // bauhof
  const auto entry = f.deadEntry(pothole);
  const auto message = f.failedMessage(pothole);
  const auto other = f.deadEntry(lamp);
  f.h.clock.advance(std::chrono::hours(3));
  f.account("chefin", "admin", {});
  f.account("tiefbau-lead", "agent", {"tiefbau-kernstadt"});
  const auto admin = f.login("chefin");
  const auto lead = f.login("tiefbau-lead");
  const std::string b = "b-" + std::to_string(entry);
  const std::string m = "m-" + std::to_string(message);
  const std::string b_other = "b-" + std::to_string(other);

  auto listed = f.call("GET", "/inbox/deliveries", admin);
  REQUIRE(listed.status == 200);
  CHECK(listed.body.find("id=\"" + b + "\"") != std::string::npos);
  CHECK(listed.body.find("id=\"" + m + "\"") != std::string::npos);
  CHECK(listed.body.find("id=\"" + b_other + "\"") != std::string::npos);
  CHECK(listed.body.find("http 503") != std::string::npos);
  CHECK(listed.body.find("permanent: 131026") != std::string::npos);
  CHECK(listed.body.find("3 Std.") != std::string::npos);  // the age
  CHECK(listed.body.find("Zustellungen <span class=\"count\">3</span>") != std::string::npos);

  // The tiefbau lead sees tiefbau's two, not bauhof's entry, and cannot act on it.
  auto mine = f.call("GET", "/inbox/deliveries", lead);
  REQUIRE(mine.status == 200);
  CHECK(mine.body.find("id=\"" + b + "\"") != std::string::npos);
  CHECK(mine.body.find("id=\"" + b_other + "\"") == std::string::npos);
  CHECK(mine.body.find("Zustellungen <span class=\"count\">2</span>") != std::string::npos);
  const std::string lead_csrf = f.csrf(lead);
  auto refused = f.post(lead, "/inbox/deliveries/retry", "csrf=" + lead_csrf + "&ref=" + b_other);
  CHECK(refused.status == 303);
  CHECK(InboxFixture::header(refused, "Location") == "/inbox/deliveries?e=gone");
  CHECK(f.h.scalar("SELECT count(*) FROM case_queue WHERE state = 'dead' AND id = " +
                   std::to_string(other)) == 1);
  // Without the session's token nothing happens.
  CHECK(f.post(admin, "/inbox/deliveries/retry", "ref=" + b).status == 403);
  CHECK(f.h.scalar("SELECT state = 'dead' FROM case_queue WHERE id = " + std::to_string(entry)) == 1);

  // Retry: back to pending, and the forwarder delivers it (and the ticket's later entries).
  const std::string csrf = f.csrf(admin);
  auto retried = f.post(admin, "/inbox/deliveries/retry", "csrf=" + csrf + "&ref=" + b);
  CHECK(retried.status == 303);
  CHECK(InboxFixture::header(retried, "Location") == "/inbox/deliveries?ok=retry");
  CHECK(f.h.scalar("SELECT count(*) FROM case_queue WHERE id = " + std::to_string(entry) +
                   " AND state = 'pending' AND tries = 0") == 1);
  struct Ok final : bb::HttpClient {
    std::vector<std::string> deliveries;
    bb::HttpReply send(const bb::HttpCall& call) override {
      for (const auto& [k, v] : call.headers) {
        if (k == bb::kDeliveryHeader) { deliveries.push_back(v); }
      }
      bb::HttpReply r;
      r.status = 200;
      return r;
    }
  } office;
  bb::ForwarderOptions o;
  o.url = "http://backoffice.example/in";
  o.secret = "s";
  o.jitter_seed = 3;
  bb::CaseForwarder forwarder(*f.cases, office, f.h.clock, o);
  (void)forwarder.runOnce();
  REQUIRE_FALSE(office.deliveries.empty());
  CHECK(office.deliveries.front() == std::to_string(entry));
  CHECK(f.h.scalar("SELECT state = 'delivered' FROM case_queue WHERE id = " +
                   std::to_string(entry)) == 1);
  CHECK(f.h.scalar("SELECT count(*) FROM audit_log WHERE action = 'delivery_retry' AND "
                   "actor = 'chefin' AND detail = '" + b + "' AND ticket_number = " +
                   std::to_string(pothole)) == 1);

  // The failed message is queued again with the citizen's sealed address.
  CHECK(f.post(admin, "/inbox/deliveries/retry", "csrf=" + csrf + "&ref=" + m).status == 303);
  CHECK(f.h.scalar("SELECT count(*) FROM outbox WHERE id = " + std::to_string(message) +
                   " AND status = 'queued' AND length(address_ct) > 0") == 1);

  // Discard: given up, audited, gone from the list and the count.
  auto discarded = f.post(admin, "/inbox/deliveries/discard", "csrf=" + csrf + "&ref=" + b_other);
  CHECK(InboxFixture::header(discarded, "Location") == "/inbox/deliveries?ok=discard");
  CHECK(f.h.scalar("SELECT state = 'discarded' FROM case_queue WHERE id = " +
                   std::to_string(other)) == 1);
  CHECK(f.h.scalar("SELECT count(*) FROM audit_log WHERE action = 'delivery_discard' AND "
                   "actor = 'chefin' AND detail = '" + b_other + "' AND ticket_number = " +
                   std::to_string(lamp)) == 1);
  auto after = f.call("GET", "/inbox/deliveries", admin);
  CHECK(after.body.find("id=\"" + b_other + "\"") == std::string::npos);
  CHECK(after.body.find("Keine offenen Zustellungsprobleme") != std::string::npos);
  CHECK(after.body.find("<span class=\"count\">") == std::string::npos);
  // A discarded entry no longer holds back its ticket's later entries.
  CHECK(f.post(admin, "/inbox/deliveries/discard", "csrf=" + csrf + "&ref=" + b_other).status ==
        303);  // twice: "gone", nothing changes
  CHECK(f.h.scalar("SELECT count(*) FROM audit_log WHERE action = 'delivery_discard'") == 1);
}

TEST_CASE_TEMPLATE("deliveries: retry all puts back every delivery the staff member may see", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  DeliveryFixture f(B::backend);
  const auto a = f.report("anna", "schlagloch", "Loch eins");
  const auto b = f.report("bert", "schlagloch", "Loch zwei");
  f.account("chefin", "admin", {});
  const auto admin = f.login("chefin");
  (void)f.deadEntry(a);
  // One entry: its row's own button, no "Alle 1 erneut senden" above the table.
  const auto one = f.call("GET", "/inbox/deliveries", admin).body;
  CHECK(one.find("retry-all") == std::string::npos);
  CHECK(one.find("Alle 1") == std::string::npos);
  (void)f.deadEntry(b);
  (void)f.failedMessage(b);
  CHECK(f.call("GET", "/inbox/deliveries", admin).body.find("Alle 3 erneut senden") !=
        std::string::npos);
  const std::string csrf = f.csrf(admin);
  CHECK(f.post(admin, "/inbox/deliveries/retry-all", "csrf=" + csrf).status == 303);
  CHECK(f.h.scalar("SELECT count(*) FROM case_queue WHERE state = 'dead'") == 0);
  CHECK(f.h.scalar("SELECT count(*) FROM outbox WHERE status = 'failed'") == 0);
  CHECK(f.h.scalar("SELECT count(*) FROM audit_log WHERE action = 'delivery_retry'") == 3);
}

TEST_CASE_TEMPLATE("deliveries: a message held because its WhatsApp template was refused is listed in "
          "words and can be tried again, a merely held one is not", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  DeliveryFixture f(B::backend);
  const auto pothole = f.report("anna", "schlagloch", "Tiefes Loch");
  const auto lamp = f.report("bert", "strassenbeleuchtung", "Lampe aus");
  auto lastMessage = [&](std::int64_t number) {
    return f.h.scalar("SELECT max(o.id) FROM outbox o JOIN tickets t ON t.id = o.ticket_id "
                      "WHERE t.number = " + std::to_string(number));
  };
  const auto refused = lastMessage(pothole);
  const auto waiting = lastMessage(lamp);
  f.exec("UPDATE outbox SET status = 'held', error = 'outside_window notice:132001' WHERE id = " +
         std::to_string(refused));
  f.exec("UPDATE outbox SET status = 'held', error = 'outside_window' WHERE id = " +
         std::to_string(waiting));
  f.account("chefin", "admin", {});
  const auto admin = f.login("chefin");
  const std::string m = "m-" + std::to_string(refused);

  auto listed = f.call("GET", "/inbox/deliveries", admin);
  REQUIRE(listed.status == 200);
  CHECK(listed.body.find("id=\"" + m + "\"") != std::string::npos);
  CHECK(listed.body.find("id=\"m-" + std::to_string(waiting) + "\"") == std::string::npos);
  CHECK(listed.body.find("<td>wartet auf Antwort (24-h-Fenster)</td>") != std::string::npos);
  CHECK(listed.body.find("Vorlage fehlt in dieser Sprache oder ist nicht freigegeben") !=
        std::string::npos);
  CHECK(listed.body.find("Zustellungen <span class=\"count\">1</span>") != std::string::npos);

  CHECK(f.post(admin, "/inbox/deliveries/retry", "csrf=" + f.csrf(admin) + "&ref=" + m).status ==
        303);
  CHECK(f.h.scalar("SELECT count(*) FROM outbox WHERE id = " + std::to_string(refused) +
                   " AND status = 'queued' AND error IS NULL") == 1);
  CHECK(f.h.scalar("SELECT status = 'held' FROM outbox WHERE id = " + std::to_string(waiting)) ==
        1);
}
