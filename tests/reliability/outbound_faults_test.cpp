// Issue 14, outbound faults: the real server sends through fake WhatsApp, Telegram and Matrix APIs
// that answer 500, 429, reset the connection, stall past the client timeout or answer slowly for
// 30 % of the calls. Every message must arrive exactly once, in order per recipient, with bounded
// tries; a recipient that always fails ends as a visible dead letter.

#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "bot/conversation/codec.hpp"
#include "tests/reliability/rig.hpp"

namespace {

using namespace std::chrono_literals;
using bb::test::Citizen;
using bb::test::FakeApis;
using bb::test::Rig;

//! The texts of the rows sent to `c`, in outbox order.
std::vector<std::string> sentTexts(Rig& rig, const Citizen& c) {
  std::vector<std::string> out;
  for (const auto& row : rig.rows(bb::test::withLiteral(
           "SELECT payload FROM outbox WHERE pseudonym = ? AND status <> 'queued' ORDER BY id",
           rig.pseudonym(c)))) {
    auto m = bb::decodeOutbound(row.at(0));
    REQUIRE(m);
    out.push_back(m->text);
  }
  return out;
}

//! A wire text carries the row's text at its start (channels add choices after it).
bool sameMessage(const std::string& wire, const std::string& row) {
  const std::string prefix = row.substr(0, std::min<std::size_t>(row.size(), 24));
  return wire.rfind(prefix, 0) == 0;
}

}  // namespace

TEST_CASE_TEMPLATE("reliability: 30 % faulty channel APIs — every message delivered once, in order, "
          "tries bounded", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  FakeApis apis(FakeApis::Options{0.30, 1414, 1200, 10800});
  Rig rig(apis, B::backend);
  REQUIRE_MESSAGE(rig.start(), rig.server->log());

  std::vector<Citizen> citizens;
  int index = 0;
  for (const char* ch : {"whatsapp", "telegram", "matrix"}) {
    for (int i = 0; i < 2; ++i) { citizens.push_back(bb::test::makeCitizen(ch, ++index)); }
  }
  std::vector<std::thread> threads;
  for (auto& c : citizens) {
    threads.emplace_back([&rig, &c] {
      const std::string n = std::to_string(c.index);
      for (const std::string& text : {std::string("Hallo"), std::string("ja"),
                                      std::string("briefkasten"), "Brief " + n + " eins",
                                      std::string("ändern"), "Brief " + n + " zwei",
                                      std::string("ja")}) {
        int status = 0;
        for (int attempt = 0; attempt < 20 && status != 200; ++attempt) {
          status = rig.say(c, text).first;
          if (status != 200) {
            --c.next;  // the platform retries the same event
            std::this_thread::sleep_for(100ms);
          }
        }
        CHECK(status == 200);
      }
    });
  }
  for (auto& t : threads) { t.join(); }
  REQUIRE_MESSAGE(rig.settle(120s), rig.server->log());

  const int max_tries = 14;
  CHECK(rig.scalar("SELECT count(*) FROM outbox WHERE status IN ('dead','failed')") == 0);
  CHECK(rig.scalar("SELECT max(tries) FROM outbox WHERE channel <> 'webchat'") <= max_tries);
  int messages = 0;
  for (const auto& c : citizens) {
    const auto rows = sentTexts(rig, c);
    const auto wire = apis.deliveriesTo(c.recipient);
    CAPTURE(c.channel);
    CHECK(rows.size() >= 7);
    REQUIRE(wire.size() == rows.size());  // nothing lost, nothing twice
    for (std::size_t i = 0; i < rows.size(); ++i) {
      CHECK_MESSAGE(sameMessage(wire[i].text, rows[i]), "#" << i << " wire: " << wire[i].text
                                                            << " row: " << rows[i]);
    }
    messages += static_cast<int>(rows.size());
    CHECK(rig.scalar("SELECT count(*) FROM tickets WHERE reporter = ?", rig.pseudonym(c)) == 1);
  }
  const auto faults = apis.faults();
  MESSAGE("outbound faults: messages=" << messages << " send_requests=" << apis.sendRequests()
                                       << " faults=" << apis.faultCount());
  for (const auto& [kind, n] : faults) { MESSAGE("  fault " << kind << ": " << n); }
  CHECK(apis.faultCount() >= messages / 5);  // the faults really happened
  CHECK(rig.server->stop(SIGTERM) == 0);
}

TEST_CASE_TEMPLATE("reliability: a recipient that always fails ends as a dead letter after max_tries", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  FakeApis apis;
  Rig rig(apis, B::backend);
  rig.extra_env["BUERGERBOX_TELEGRAM_MAX_TRIES"] = "3";
  REQUIRE_MESSAGE(rig.start(), rig.server->log());
  Citizen c = bb::test::makeCitizen("telegram", 77);
  apis.failAlways(c.recipient);
  CHECK(rig.say(c, "Hallo").first == 200);
  REQUIRE_MESSAGE(rig.settle(30s), rig.server->log());
  CHECK(rig.scalar("SELECT count(*) FROM outbox WHERE status = 'dead' AND tries = 3") == 1);
  CHECK(apis.faults()["always500"] == 3);  // bounded: exactly max_tries attempts on the wire
  CHECK(apis.deliveriesTo(c.recipient).empty());
  // Visible to operators: the metrics count it (the number, not only the metric's name).
  httplib::Client client("127.0.0.1", rig.port);
  auto metrics = client.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("buergerbox_outbox_dead_total{channel=\"telegram\"} 1\n") !=
        std::string::npos);
  CHECK(rig.server->stop(SIGTERM) == 0);
}

TEST_CASE_TEMPLATE("reliability: an API that sends and then drops the answer — duplicates per channel "
          "counted and bounded, none on Matrix", B, bb::test::OnSqlite,
                   bb::test::OnPostgresql) {
  FakeApis apis;
  Rig rig(apis, B::backend);
  REQUIRE_MESSAGE(rig.start(), rig.server->log());
  std::vector<Citizen> citizens;
  int index = 80;
  for (const char* ch : {"whatsapp", "telegram", "matrix"}) {
    citizens.push_back(bb::test::makeCitizen(ch, ++index));
    apis.dropAnswers(citizens.back().recipient, 1);  // the first send of each is answered into the void
  }
  for (auto& c : citizens) { CHECK(rig.say(c, "Hallo").first == 200); }
  REQUIRE_MESSAGE(rig.settle(60s), rig.server->log());
  for (const auto& c : citizens) {
    CAPTURE(c.channel);
    const auto rows = sentTexts(rig, c);
    const auto wire = apis.deliveriesTo(c.recipient);
    REQUIRE(rows.size() >= 1);
    if (c.channel == "matrix") {
      // The retry reuses the transaction id: the homeserver keeps one event.
      CHECK(wire.size() == rows.size());
    } else {
      // WhatsApp and Telegram have no idempotency key: the citizen sees the first message twice,
      // once per lost answer and never more.
      REQUIRE(wire.size() == rows.size() + 1);
      CHECK(sameMessage(wire[0].text, rows[0]));
      CHECK(sameMessage(wire[1].text, rows[0]));
    }
  }
  CHECK(apis.matrixRepeats() == 1);
  CHECK(apis.faults()["dropped_answer"] == 3);
  CHECK(rig.scalar("SELECT count(*) FROM outbox WHERE status IN ('dead','failed')") == 0);
  CHECK(rig.server->stop(SIGTERM) == 0);
}
