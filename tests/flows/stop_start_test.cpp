// "stop" asks what to stop (everything / subscriptions only), "start" turns notifications back
// on: one test per row of the stop question's table and of the global stop / start rows.

#include "tests/flows/flow_test_support.hpp"

namespace bb::flows::testing {

namespace {

const std::vector<std::string> kStopIds{"stop:all", "stop:subscriptions", "cancel"};
const std::vector<std::string> kMenuIds{"report",        "letter", "participation", "my_tickets",
                                        "subscriptions", "help",   "language"};

//! The stop question as "stop" in `from` leaves it.
Conversation asked(const Fixture& f, const Conversation& from) {
  auto r = f.run(from, text("stop"));
  REQUIRE(r.next.state == "stop_choice");
  return r.next;
}

}  // namespace

TEST_CASE("stop: the question offers everything, subscriptions only and cancel, and stops nothing") {
  Fixture f;
  Event event;
  SUBCASE("typed") { event = text("stop"); }
  SUBCASE("typed Stopp") { event = text("Stopp"); }
  SUBCASE("Telegram command") { event = text("/stop"); }
  SUBCASE("choice id") { event = choice("stop"); }
  const auto r = f.run(at(State::Menu), event);
  CHECK(r.next.state == "stop_choice");
  CHECK(r.next.draft.stop_return.empty());
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "stop.question");
  CHECK(choiceIds(reply) == kStopIds);
  CHECK(reply.choices[0].label == "Alles");
  CHECK(reply.choices[1].label == "Nur Abos");
  CHECK(findEffect<StopNotifications>(r) == nullptr);
}

TEST_CASE("stop: everything stops all notifications and returns to the menu") {
  Fixture f;
  Event event;
  SUBCASE("button") { event = choice("stop:all"); }
  SUBCASE("typed label") { event = text("Alles"); }
  SUBCASE("typed in English") { event = text("everything"); }
  const auto r = f.run(asked(f, at(State::Menu)), event);
  CHECK(r.next.state == "menu");
  const auto* stop = findEffect<StopNotifications>(r);
  REQUIRE(stop != nullptr);
  CHECK(stop->everything);
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "stop.all_done");
  CHECK(reply.text.find("start") != std::string::npos);  // says how to undo it
  CHECK(choiceIds(reply) == kMenuIds);
  CHECK(r.next.draft.stop_return.empty());
}

TEST_CASE("stop: subscriptions only ends subscriptions and keeps ticket news") {
  Fixture f;
  Event event;
  SUBCASE("button") { event = choice("stop:subscriptions"); }
  SUBCASE("typed label") { event = text("nur Abos"); }
  SUBCASE("typed in English") { event = text("Subscriptions only"); }
  const auto r = f.run(asked(f, at(State::Menu)), event);
  CHECK(r.next.state == "menu");
  const auto* stop = findEffect<StopNotifications>(r);
  REQUIRE(stop != nullptr);
  CHECK_FALSE(stop->everything);
  CHECK(onlyReply(r).key == "stop.subscriptions_done");
}

TEST_CASE("stop: asked in the middle of a report, the answer returns to the report's step") {
  Fixture f;
  const Conversation q = asked(f, at(State::ReportQuestion, potholeDraft()));
  const auto r = f.run(q, choice("stop:all"));
  CHECK(r.next.state == "report_question");
  CHECK(r.next.draft.category_id == "schlagloch");
  CHECK(r.next.draft.stop_return.empty());
  REQUIRE(findEffect<StopNotifications>(r) != nullptr);
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "stop.all_done");
  CHECK(choiceIds(reply) == std::vector<std::string>{"skip", "cancel"});  // the step's choices
}

TEST_CASE("stop: cancel, anything else or a repeated stop stops nothing") {
  Fixture f;
  const Conversation q = asked(f, at(State::ReportDescription, potholeDraft()));
  SUBCASE("cancel button returns to the report") {
    const auto r = f.run(q, choice("cancel"));
    CHECK(findEffect<StopNotifications>(r) == nullptr);
    CHECK(onlyReply(r).key == "stop.cancelled");
    CHECK(r.next.state == "report_description");
    CHECK(r.next.draft.category_id == "schlagloch");
  }
  SUBCASE("other text returns to the report") {
    const auto r = f.run(q, text("ja"));
    CHECK(findEffect<StopNotifications>(r) == nullptr);
    CHECK(onlyReply(r).key == "stop.cancelled");
    CHECK(r.next.state == "report_description");
  }
  SUBCASE("stop again asks again with the same way back") {
    const auto r = f.run(q, text("stop"));
    CHECK(r.next.state == "stop_choice");
    CHECK(r.next.draft.stop_return == "report_description");
    CHECK(onlyReply(r).key == "stop.question");
  }
  SUBCASE("menu drops the report") {
    const auto r = f.run(q, text("menü"));
    CHECK(findEffect<StopNotifications>(r) == nullptr);
    CHECK(r.next.state == "menu");
    CHECK(r.next.draft.category_id.empty());
    CHECK(r.next.draft.stop_return.empty());
  }
}

TEST_CASE("stop: after an expired draft the answer goes to the menu, not the empty draft") {
  Fixture f;
  Conversation c = at(State::ReportDescription, potholeDraft());
  c.last_activity = t0() - 2h;
  const auto q = f.run(c, text("stop"));
  CHECK(replyKeys(q) == std::vector<std::string>{"draft.expired", "stop.question"});
  CHECK(q.next.state == "stop_choice");
  CHECK(q.next.draft.stop_return.empty());
  const auto r = f.run(q.next, choice("stop:all"));
  CHECK(r.next.state == "menu");
}

TEST_CASE("start: while stopped it turns notifications back on and shows the menu") {
  Fixture f;
  f.ctx.notifications_stopped = true;
  Event event;
  SUBCASE("typed") { event = text("start"); }
  SUBCASE("Telegram command") { event = text("/start"); }
  SUBCASE("capitalized") { event = text("Start"); }
  const auto r = f.run(at(State::Menu), event);
  CHECK(findEffect<StartNotifications>(r) != nullptr);
  CHECK(r.next.state == "menu");
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "start.done");
  // Subscriptions are not restored: the text says so and the menu offers them.
  CHECK(reply.text.find("Abos") != std::string::npos);
  CHECK(choiceIds(reply) == kMenuIds);
}

TEST_CASE("start: while stopped in a draft it turns notifications on and drops the draft") {
  Fixture f;
  f.ctx.notifications_stopped = true;
  const auto r = f.run(at(State::ReportPhoto, potholeDraft()), text("start"));
  CHECK(findEffect<StartNotifications>(r) != nullptr);
  CHECK(r.next.state == "menu");
  CHECK(r.next.draft.category_id.empty());
  CHECK(onlyReply(r).key == "start.done");
}

TEST_CASE("start: after an expired draft it still turns notifications back on") {
  Fixture f;
  f.ctx.notifications_stopped = true;
  Conversation c = at(State::ReportDescription, potholeDraft());
  c.last_activity = t0() - 2h;
  const auto r = f.run(c, text("start"));
  CHECK(findEffect<StartNotifications>(r) != nullptr);
  CHECK(replyKeys(r) == std::vector<std::string>{"draft.expired", "start.done"});
}

TEST_CASE("start: when nothing is stopped it is the menu as before") {
  Fixture f;
  SUBCASE("in the menu") {
    const auto r = f.run(at(State::Menu), text("start"));
    CHECK(findEffect<StartNotifications>(r) == nullptr);
    CHECK(r.next.state == "menu");
    CHECK(onlyReply(r).key == "menu.prompt");
  }
  SUBCASE("in a draft it drops the draft like menü") {
    const auto r = f.run(at(State::ReportPhoto, potholeDraft()), text("start"));
    CHECK(findEffect<StartNotifications>(r) == nullptr);
    CHECK(r.next.state == "menu");
    CHECK(onlyReply(r).key == "cancel.done");
  }
}

TEST_CASE("stop: what the citizen asks for still answers while stopped") {
  Fixture f;
  f.ctx.notifications_stopped = true;
  SUBCASE("status query") {
    const auto r = f.run(at(State::Menu), text("status 123"));
    const auto* q = findEffect<QueryStatus>(r);
    REQUIRE(q != nullptr);
    CHECK(q->number == 123);
  }
  SUBCASE("my data") {
    CHECK(findEffect<ExportData>(f.run(at(State::Menu), text("meine daten"))) != nullptr);
  }
  SUBCASE("erase") {
    CHECK(onlyReply(f.run(at(State::Menu), text("daten löschen"))).key == "erase.confirm");
  }
  SUBCASE("help") {
    CHECK(onlyReply(f.run(at(State::Menu), text("hilfe"))).key == "help.general");
  }
}

TEST_CASE("stop: before consent it declines the notice as before") {
  Fixture f;
  Conversation c;
  c.state = "consent";
  c.last_activity = t0() - 1min;
  const auto r = f.run(c, text("stop"));
  CHECK(findEffect<ForgetCitizen>(r) != nullptr);
  CHECK(findEffect<StopNotifications>(r) == nullptr);
}

}  // namespace bb::flows::testing
