// A commit that keeps failing: after flows.commit_max_tries tries the event is parked (listed
// for staff, counted on /metrics), the worker goes on with other citizens, the citizen's later
// events wait behind it, and a retry or discard from the delivery page lets them through once.
// The fault is a trigger in the real database that refuses to mark one citizen's events
// processed, so exactly that citizen's step commits fail.

#include <doctest/doctest.h>

#include <sstream>
#include <thread>

#include "bot/cases/deliveries.hpp"
#include "bot/runtime/metrics.hpp"
#include "support/case_stores.hpp"
#include "support/engine_harness.hpp"

using namespace std::chrono_literals;
using bb::DeliveryProblem;
using bb::InboundKind;
using bb::test::EngineHarness;

namespace {

constexpr int kTries = 4;

//! One worker (both citizens share it), short waits between tries.
void tune(EngineHarness& h) {
  h.tune_engine = [](bb::EngineOptions& o) {
    o.commit_max_tries = kTries;
    o.commit_retry_base = 1ms;
    o.commit_retry_max = 2ms;
    o.parked_check = 10ms;
  };
  h.crash();
  h.restart();
}

//! Every commit that marks one of `pseudonym`'s events processed fails; with `park_too` so
//! does parking them (the store refuses all their writes).
void injectFault(EngineHarness& h, const std::string& pseudonym, bool park_too = false) {
  const std::string columns = park_too ? "" : " OF processed_at";
  if (h.pg) {
    h.execute("CREATE FUNCTION injected_fault() RETURNS trigger LANGUAGE plpgsql AS "
              "$$ BEGIN RAISE EXCEPTION 'injected fault'; END $$");
    h.execute("CREATE TRIGGER injected_fault BEFORE UPDATE" + columns +
              " ON inbound_events FOR EACH ROW WHEN (OLD.pseudonym = '" + pseudonym +
              "') EXECUTE FUNCTION injected_fault()");
    return;
  }
  h.execute("CREATE TRIGGER injected_fault BEFORE UPDATE" + columns +
            " ON inbound_events WHEN OLD.pseudonym = '" + pseudonym +
            "' BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
}

void clearFault(EngineHarness& h) {
  h.execute(h.pg ? "DROP TRIGGER injected_fault ON inbound_events" : "DROP TRIGGER injected_fault");
}

//! The value of an unlabelled metric in the Prometheus text; -1 when it is missing.
double metric(const bb::Metrics& metrics, const std::string& name) {
  std::istringstream lines(metrics.render());
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(name + " ", 0) == 0) { return std::stod(line.substr(name.size() + 1)); }
  }
  return -1;
}

bb::InboundEvent textOf(EngineHarness& h, const std::string& user, const std::string& text) {
  auto e = h.event(user, InboundKind::Text);
  e.text = text;
  return e;
}

bb::AuditEntry audit(const char* action) {
  bb::AuditEntry a;
  a.actor = "test";
  a.action = action;
  return a;
}

}  // namespace

TEST_CASE_TEMPLATE("engine: a commit failing N times is parked, the worker goes on, a retry processes it once", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  EngineHarness h(B::backend, 1);
  tune(h);
  bb::Metrics metrics;
  bb::registerEngineMetrics(metrics, *h.engine);
  auto case_store = bb::test::caseStoreOf(h);
  bb::CaseStore& cases = *case_store;
  h.onboard("anna");
  h.onboard("bob");
  (void)h.replies("anna");
  (void)h.replies("bob");
  const std::string anna = h.pseudonym("anna");
  injectFault(h, anna);
  CHECK(metric(metrics, "buergerbox_engine_commits_parked_total") == 0);
  CHECK(metric(metrics, "buergerbox_engine_parked_events") == 0);

  // Anna's message first, then Bob's, on the one worker.
  REQUIRE(h.engine->ingest({textOf(h, "anna", "hilfe"), textOf(h, "bob", "hilfe")}));
  REQUIRE(h.engine->waitIdle(10s));
  const auto bob_replies = h.replies("bob");
  CHECK_FALSE(bob_replies.empty());  // the worker went on
  CHECK(h.replies("anna").empty());
  const std::string of_anna = "FROM inbound_events WHERE pseudonym = '" + anna + "'";
  CHECK(h.scalar("SELECT count(*) " + of_anna + " AND parked_at IS NOT NULL") == 1);
  CHECK(h.scalar("SELECT park_tries " + of_anna + " AND parked_at IS NOT NULL") == kTries);
  CHECK(h.scalar("SELECT count(*) " + of_anna + " AND park_reason LIKE 'commit_failed:%'") == 1);
  CHECK(metric(metrics, "buergerbox_engine_commits_parked_total") == 1);
  CHECK(metric(metrics, "buergerbox_engine_parked_events") == 1);
  CHECK(h.engine->commitsParked() == 1);

  // Anna writes again: parked behind the first (no commit tried), Bob still gets through.
  h.text("anna", "hilfe");
  h.text("bob", "hilfe");
  CHECK(h.replies("bob").size() == bob_replies.size());
  CHECK(h.replies("anna").empty());
  CHECK(metric(metrics, "buergerbox_engine_commits_parked_total") == 1);
  CHECK(metric(metrics, "buergerbox_engine_parked_events") == 2);

  // Staff see one row for Anna: the failed event, with the later one waiting.
  auto problems = cases.deliveryProblems(10);
  REQUIRE(problems);
  REQUIRE(problems->size() == 1);
  const DeliveryProblem p = (*problems)[0];
  CHECK(p.kind == DeliveryProblem::Kind::Inbound);
  CHECK(bb::deliveryRef(p) == "e-" + std::to_string(p.id));
  CHECK(p.state == "parked");
  CHECK(p.tries == kTries);
  CHECK(p.department.empty());  // no ticket: admins only
  CHECK(p.reason.find("commit_failed:") == 0);
  CHECK(p.reason.find("1 later waiting") != std::string::npos);
  CHECK(*cases.deliveryProblemCount() == 1);
  CHECK(bb::parseDeliveryRef(bb::deliveryRef(p)) == std::make_pair(p.kind, p.id));

  // A retry while the fault lasts parks it again after N more tries.
  REQUIRE(cases.retryDelivery(p.kind, p.id, h.clock.now(), audit("delivery_retry")));
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (metric(metrics, "buergerbox_engine_commits_parked_total") < 2 &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(5ms);
  }
  REQUIRE(h.engine->waitIdle(10s));
  CHECK(metric(metrics, "buergerbox_engine_commits_parked_total") == 2);
  CHECK(metric(metrics, "buergerbox_engine_parked_events") == 2);
  CHECK(h.replies("anna").empty());

  // The fault cleared, a retry processes both, in order, once each.
  clearFault(h);
  problems = cases.deliveryProblems(10);
  REQUIRE(problems);
  REQUIRE(problems->size() == 1);
  REQUIRE(cases.retryDelivery(DeliveryProblem::Kind::Inbound, (*problems)[0].id, h.clock.now(),
                              audit("delivery_retry")));
  REQUIRE(h.engine->waitIdle(10s));
  CHECK(h.scalar("SELECT count(*) " + of_anna + " AND processed_at IS NULL") == 0);
  CHECK(h.scalar("SELECT count(*) " + of_anna + " AND parked_at IS NOT NULL") == 0);
  const auto anna_replies = h.replies("anna");
  CHECK(anna_replies.size() == 2 * bob_replies.size());  // two answers to "hilfe", no more
  CHECK(metric(metrics, "buergerbox_engine_parked_events") == 0);
  CHECK(metric(metrics, "buergerbox_engine_commits_parked_total") == 2);
  CHECK(*cases.deliveryProblemCount() == 0);
  CHECK(h.scalar("SELECT count(*) FROM audit_log WHERE action = 'delivery_retry'") == 2);
  // Gone: a second retry of the same reference finds nothing.
  CHECK_FALSE(cases.retryDelivery(DeliveryProblem::Kind::Inbound, (*problems)[0].id,
                                  h.clock.now(), audit("delivery_retry")));
  // Later messages go through at once.
  h.text("anna", "hilfe");
  CHECK(h.replies("anna").size() == bob_replies.size());
}

TEST_CASE_TEMPLATE("engine: discarding a parked event drops it unprocessed and lets the later ones through", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  EngineHarness h(B::backend, 1);
  tune(h);
  auto case_store = bb::test::caseStoreOf(h);
  bb::CaseStore& cases = *case_store;
  h.onboard("anna");
  (void)h.replies("anna");
  const std::string anna = h.pseudonym("anna");
  injectFault(h, anna);
  h.text("anna", "hilfe");
  h.text("anna", "hilfe");
  CHECK(h.scalar("SELECT count(*) FROM inbound_events WHERE parked_at IS NOT NULL") == 2);
  clearFault(h);
  auto problems = cases.deliveryProblems(10);
  REQUIRE(problems);
  REQUIRE(problems->size() == 1);
  const std::int64_t first = (*problems)[0].id;
  REQUIRE(cases.discardDelivery(DeliveryProblem::Kind::Inbound, first, h.clock.now(),
                                audit("delivery_discard")));
  REQUIRE(h.engine->waitIdle(10s));
  const auto once = h.replies("anna");  // the second message only
  CHECK_FALSE(once.empty());
  const std::string row = "FROM inbound_events WHERE id = " + std::to_string(first);
  CHECK(h.scalar("SELECT count(*) " + row + " AND processed_at IS NOT NULL AND payload IS NULL "
                 "AND park_reason = 'discarded'") == 1);
  CHECK(h.scalar("SELECT count(*) FROM inbound_events WHERE processed_at IS NULL") == 0);
  CHECK(h.scalar("SELECT count(*) FROM audit_log WHERE action = 'delivery_discard'") == 1);
  h.text("anna", "hilfe");
  CHECK(h.replies("anna").size() == once.size());  // the same answer as to one message
}

TEST_CASE_TEMPLATE("engine: when the store refuses every write nothing is parked, the event goes through after", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  EngineHarness h(B::backend, 1);
  tune(h);
  bb::Metrics metrics;
  bb::registerEngineMetrics(metrics, *h.engine);
  h.onboard("anna");
  (void)h.replies("anna");
  injectFault(h, h.pseudonym("anna"), true);  // parking is refused too
  REQUIRE(h.engine->ingest({textOf(h, "anna", "hilfe")}));
  std::this_thread::sleep_for(300ms);  // many times kTries tries of 1-2 ms
  CHECK_FALSE(h.engine->waitIdle(10ms));
  CHECK(h.scalar("SELECT count(*) FROM inbound_events WHERE parked_at IS NOT NULL") == 0);
  CHECK(metric(metrics, "buergerbox_engine_commits_parked_total") == 0);
  clearFault(h);
  REQUIRE(h.engine->waitIdle(10s));  // no staff needed: the loop went on until the store took it
  CHECK_FALSE(h.replies("anna").empty());
  CHECK(h.scalar("SELECT count(*) FROM inbound_events WHERE processed_at IS NULL") == 0);
  CHECK(metric(metrics, "buergerbox_engine_commits_parked_total") == 0);
}
