// The case store on both backends where no handler test reaches it on PostgreSQL: deliveries
// that need staff (dead entries, failed messages, parked events), a back-office update id
// claimed by several at once, and a citizen's message read from the ticket's thread.

#include <doctest/doctest.h>

#include <algorithm>
#include <latch>
#include <thread>

#include "bot/cases/deliveries.hpp"
#include "storage/millis.hpp"
#include "support/case_stores.hpp"
#include "support/engine_harness.hpp"

using bb::DeliveryProblem;
using bb::test::EngineHarness;

namespace {

bb::AuditEntry audit(const char* action, bb::SysTime at) {
  bb::AuditEntry a;
  a.at = at;
  a.actor = "erika";
  a.action = action;
  return a;
}

//! The problem of `kind` and `id` in `problems`, REQUIREd.
DeliveryProblem problemOf(const std::vector<DeliveryProblem>& problems, DeliveryProblem::Kind kind,
                          std::int64_t id) {
  const auto it = std::find_if(problems.begin(), problems.end(), [&](const DeliveryProblem& p) {
    return p.kind == kind && p.id == id;
  });
  REQUIRE_MESSAGE(it != problems.end(), bb::deliveryRef(kind, id));
  return *it;
}

}  // namespace

TEST_CASE_TEMPLATE("case store: dead entries and failed messages are listed, retried and discarded with an audit entry", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  EngineHarness h(B::backend);
  auto cases = bb::test::caseStoreOf(h);
  h.onboard("anna");
  h.clock.advance(std::chrono::minutes(1));
  const auto n = h.report("anna", "schlagloch", bb::test::kMarktplatz);
  const std::string ticket = std::to_string(n);
  const auto entry = h.scalar("SELECT min(id) FROM case_queue WHERE ticket_number = " + ticket);
  h.execute("UPDATE case_queue SET state = 'dead', tries = 9, last_status = 503, "
            "last_error = 'http 503' WHERE id = " + std::to_string(entry));
  // The ticket's last message refused for good, its sealed address wiped (a final row).
  const auto failed = h.scalar("SELECT max(o.id) FROM outbox o JOIN tickets t ON "
                               "t.id = o.ticket_id WHERE t.number = " + ticket);
  h.execute("UPDATE outbox SET status = 'failed', error = 'permanent: 131026', tries = 1, "
            "address_ct = substr(address_ct, 1, 0) WHERE id = " + std::to_string(failed));
  // A reply held outside the window whose notice was refused; the case of "notice:" does not
  // matter (SQLite's LIKE ignores it).
  const auto held = h.scalar("SELECT min(id) FROM outbox");
  h.execute("UPDATE outbox SET status = 'held', error = 'window NOTICE: 132000' WHERE id = " +
            std::to_string(held));
  // Held for the window alone is no problem.
  const auto waiting = h.scalar("SELECT min(id) FROM outbox WHERE id > " + std::to_string(held));
  h.execute("UPDATE outbox SET status = 'held', error = 'window' WHERE id = " +
            std::to_string(waiting));

  auto problems = cases->deliveryProblems(10);
  REQUIRE(problems);
  REQUIRE(problems->size() == 3);
  CHECK(*cases->deliveryProblemCount() == 3);
  CHECK(std::is_sorted(problems->begin(), problems->end(), [](const auto& a, const auto& b) {
    return a.since < b.since || (a.since == b.since && a.id < b.id);
  }));
  const auto dead = problemOf(*problems, DeliveryProblem::Kind::BackOffice, entry);
  CHECK(dead.ticket_number == n);
  CHECK(dead.department == "tiefbau-kernstadt");
  CHECK(dead.state == "dead");
  CHECK(dead.reason == "http 503");
  CHECK(dead.tries == 9);
  const auto message = problemOf(*problems, DeliveryProblem::Kind::Message, failed);
  CHECK(message.ticket_number == n);
  CHECK(message.department == "tiefbau-kernstadt");
  CHECK(message.channel == "webchat");
  CHECK(message.state == "failed");
  CHECK(message.reason == "permanent: 131026");
  const auto notice = problemOf(*problems, DeliveryProblem::Kind::Message, held);
  CHECK(notice.ticket_number == 0);
  CHECK(notice.department.empty());
  CHECK(notice.state == "held");

  // A retried message gets the citizen's address back and goes to the queue again.
  const bb::SysTime now = h.clock.now();
  REQUIRE(cases->retryDelivery(DeliveryProblem::Kind::Message, failed, now,
                               audit("delivery_retry", now)));
  CHECK(h.scalar("SELECT count(*) FROM outbox WHERE id = " + std::to_string(failed) +
                 " AND status = 'queued' AND tries = 0 AND error IS NULL AND "
                 "length(address_ct) > 0") == 1);
  CHECK_FALSE(cases->retryDelivery(DeliveryProblem::Kind::Message, failed, now,
                                   audit("delivery_retry", now)));
  REQUIRE(cases->discardDelivery(DeliveryProblem::Kind::BackOffice, entry, now,
                                 audit("delivery_discard", now)));
  CHECK(h.scalar("SELECT count(*) FROM case_queue WHERE state = 'discarded'") == 1);
  CHECK_FALSE(cases->retryDelivery(DeliveryProblem::Kind::BackOffice, entry, now,
                                   audit("delivery_retry", now)));
  REQUIRE(cases->discardDelivery(DeliveryProblem::Kind::Message, held, now,
                                 audit("delivery_discard", now)));
  CHECK(h.scalar("SELECT count(*) FROM outbox WHERE status = 'discarded'") == 1);
  CHECK(*cases->deliveryProblemCount() == 0);
  CHECK(h.scalar("SELECT count(*) FROM audit_log WHERE ticket_number = " + ticket) == 2);
  CHECK(h.scalar("SELECT count(*) FROM audit_log WHERE ticket_number IS NULL AND "
                 "action = 'delivery_discard'") == 1);

  SUBCASE("an erased citizen's message cannot be retried, only discarded") {
    h.execute("UPDATE outbox SET status = 'dead', pseudonym = 'erased' WHERE id = " +
              std::to_string(waiting));
    auto retried = cases->retryDelivery(DeliveryProblem::Kind::Message, waiting, now,
                                        audit("delivery_retry", now));
    REQUIRE_FALSE(retried);
    CHECK(retried.error().code == bb::ErrorCode::NotFound);
    REQUIRE(cases->discardDelivery(DeliveryProblem::Kind::Message, waiting, now,
                                   audit("delivery_discard", now)));
  }
}

TEST_CASE_TEMPLATE("case store: a citizen's parked events are one problem, a discard drops the first and frees the rest", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  EngineHarness h(B::backend);
  auto cases = bb::test::caseStoreOf(h);
  h.onboard("anna");
  h.onboard("bert");
  h.engine->stop();  // what the store frees stays as it is left
  auto lastEvents = [&h](const std::string& user, int n) {
    return "(SELECT id FROM inbound_events WHERE pseudonym = '" + h.pseudonym(user) +
           "' ORDER BY id DESC LIMIT " + std::to_string(n) + ")";
  };
  h.execute("UPDATE inbound_events SET processed_at = NULL, payload = '{}', parked_at = 1, "
            "park_reason = 'commit_failed: x', park_tries = 4 WHERE id IN " + lastEvents("anna", 2));
  h.execute("UPDATE inbound_events SET processed_at = NULL, payload = '{}', parked_at = 1, "
            "park_reason = 'commit_failed: y', park_tries = 2 WHERE id IN " + lastEvents("bert", 1));
  const std::string of_anna = " FROM inbound_events WHERE parked_at IS NOT NULL AND pseudonym = '" +
                              h.pseudonym("anna") + "'";
  const auto first = h.scalar("SELECT min(id)" + of_anna);
  const auto later = h.scalar("SELECT max(id)" + of_anna);

  auto problems = cases->deliveryProblems(10);
  REQUIRE(problems);
  REQUIRE(problems->size() == 2);  // one per citizen
  const auto p = problemOf(*problems, DeliveryProblem::Kind::Inbound, first);
  CHECK(p.state == "parked");
  CHECK(p.channel == "webchat");
  CHECK(p.tries == 4);
  CHECK(p.ticket_number == 0);
  CHECK(p.reason == "commit_failed: x; 1 later waiting");
  CHECK(p.since == bb::storage::fromMillis(h.scalar(
                       "SELECT received_at FROM inbound_events WHERE id = " + std::to_string(first))));
  const auto other = (*problems)[0].id == first ? (*problems)[1] : (*problems)[0];
  CHECK(other.reason == "commit_failed: y");
  CHECK(other.tries == 2);
  CHECK(*cases->deliveryProblemCount() == 2);

  const bb::SysTime now = h.clock.now();
  // Only the first parked event of a citizen stands for them.
  CHECK_FALSE(cases->discardDelivery(DeliveryProblem::Kind::Inbound, later, now,
                                     audit("delivery_discard", now)));
  REQUIRE(cases->discardDelivery(DeliveryProblem::Kind::Inbound, first, now,
                                 audit("delivery_discard", now)));
  CHECK(h.scalar("SELECT count(*) FROM inbound_events WHERE id = " + std::to_string(first) +
                 " AND processed_at IS NOT NULL AND payload IS NULL AND parked_at IS NULL AND "
                 "park_reason = 'discarded'") == 1);
  CHECK(h.scalar("SELECT count(*) FROM inbound_events WHERE id = " + std::to_string(later) +
                 " AND processed_at IS NULL AND payload IS NOT NULL AND parked_at IS NULL AND "
                 "park_reason IS NULL AND park_tries IS NULL") == 1);
  CHECK(*cases->deliveryProblemCount() == 1);  // the other citizen's
  CHECK(h.scalar("SELECT count(*) FROM audit_log WHERE ticket_number IS NULL") == 1);
  CHECK_FALSE(cases->retryDelivery(DeliveryProblem::Kind::Inbound, first, now,
                                   audit("delivery_retry", now)));
}

TEST_CASE_TEMPLATE("case store: an update id is applied once, also when several claim it at once", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  EngineHarness h(B::backend);
  auto cases = bb::test::caseStoreOf(h);
  h.onboard("anna");
  const auto n = h.report("anna", "schlagloch", bb::test::kMarktplatz);
  auto citizen = h.store->citizen(h.pseudonym("anna"));
  REQUIRE(citizen);
  REQUIRE(*citizen);
  const bb::NewOutbound told{bb::Channel::WebChat, (*citizen)->pseudonym, (*citizen)->address_ct,
                             (*citizen)->key_id, R"({"text":"Trupp ist unterwegs"})", "status", n};
  const std::string outbox = "SELECT count(*) FROM outbox";
  const auto before = h.scalar("SELECT count(*) FROM case_queue");
  const auto sent_before = h.scalar(outbox);

  // Status changes and public notes with the one id, all let go at the same moment.
  constexpr int kClaimants = 4;
  std::latch start(kClaimants);
  std::vector<bb::Result<void>> results(kClaimants, bb::Result<void>{});
  std::vector<std::thread> threads;
  for (int i = 0; i < kClaimants; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      if (i % 2 == 0) {
        bb::StatusChange change{n, "in_bearbeitung", "Trupp ist unterwegs", "backoffice:kfa",
                                h.clock.now(), {told}, 0};
        results[static_cast<std::size_t>(i)] = cases->changeStatusOnce(change, "kfa:u-1");
      } else {
        bb::PublicNote note{n, "Trupp ist unterwegs", "backoffice:kfa", h.clock.now(), {told},
                            0, "kfa:u-1"};
        results[static_cast<std::size_t>(i)] = cases->addPublicNote(note);
      }
    });
  }
  for (auto& t : threads) { t.join(); }
  for (const auto& r : results) {
    CHECK_MESSAGE(r.has_value(), (r ? "" : r.error().detail));  // a repeat is no failure
  }
  CHECK(h.scalar("SELECT count(*) FROM ticket_events WHERE kind IN ('status_changed', "
                 "'public_note')") == 1);
  CHECK(h.scalar("SELECT count(*) FROM case_queue") == before + 1);
  CHECK(h.scalar(outbox) == sent_before + 1);
  CHECK(h.scalar("SELECT count(*) FROM api_updates") == 1);
  CHECK(*cases->updateSeen("kfa:u-1"));
  CHECK_FALSE(*cases->updateSeen("kfa:u-2"));
  // Without an id every change is applied.
  REQUIRE(cases->addPublicNote(bb::PublicNote{n, "Material bestellt", "staff:erika",
                                              h.clock.now(), {told}, 0, ""}));
  CHECK(h.scalar(outbox) == sent_before + 2);
  CHECK(h.scalar("SELECT count(*) FROM api_updates") == 1);
}

TEST_CASE_TEMPLATE("case store: a citizen's message is read from the thread, and nothing of it after an erasure", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  EngineHarness h(B::backend);
  auto cases = bb::test::caseStoreOf(h);
  h.onboard("dora");
  const auto n = h.report("dora", "schlagloch", bb::test::kMarktplatz);
  // A status change with a note opens the citizen's reply window for the ticket.
  REQUIRE(h.engine->changeTicketStatus(n, "in_pruefung", "Wo genau ist das Loch?", "staff:x"));
  (void)h.replies("dora");
  h.text("dora", "Genau vor der Apotheke");
  h.image("dora", "sha256:" + std::string(64, 'd'));
  (void)h.replies("dora");
  h.execute("UPDATE media SET status = 'ready', mime_type = 'image/jpeg', content_id = '" +
            std::string(64, 'd') + "'");
  auto entries = cases->caseEntriesOf(n);
  REQUIRE(entries);
  std::vector<bb::CaseEntry> messages;
  for (const auto& e : *entries) {
    if (e.event_type == "citizen_message") { messages.push_back(e); }
  }
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].thread_first > 0);
  CHECK(messages[0].thread_last >= messages[0].thread_first);

  auto text = cases->citizenMessage(n, messages[0].thread_first, messages[0].thread_last);
  REQUIRE(text);
  CHECK(text->text == "Genau vor der Apotheke");
  CHECK(text->photos.empty());
  auto photo = cases->citizenMessage(n, messages[1].thread_first, messages[1].thread_last);
  REQUIRE(photo);
  CHECK(photo->text.empty());
  REQUIRE(photo->photos.size() == 1);
  CHECK(photo->photos[0].content_id == std::string(64, 'd'));
  CHECK(photo->photos[0].mime_type == "image/jpeg");
  auto report = cases->caseReport(n);
  REQUIRE(report);
  REQUIRE(*report);
  CHECK((*report)->message_photos.size() == 1);
  CHECK((*report)->photos.empty());
  CHECK_FALSE(*cases->caseReport(n + 1000));

  h.text("dora", "daten löschen");
  h.choice("dora", "confirm");
  text = cases->citizenMessage(n, messages[0].thread_first, messages[0].thread_last);
  REQUIRE(text);
  CHECK(text->text.empty());
  photo = cases->citizenMessage(n, messages[1].thread_first, messages[1].thread_last);
  REQUIRE(photo);
  CHECK(photo->photos.empty());
}
