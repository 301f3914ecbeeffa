// One test per row of the subscriptions table and per global subscription row.

#include "flows/subscriptions.hpp"
#include "tests/flows/flow_test_support.hpp"

namespace bb::flows::testing {

namespace {

std::vector<Topic> topics() {
  return {
      Topic{"stadtrat", {{Lang::De, "Stadtrat"}, {Lang::En, "City council"}}},
      Topic{"bauausschuss", {{Lang::De, "Bauausschuss"}, {Lang::En, "Building committee"}}},
      Topic{"finanzausschuss",
            {{Lang::De, "Haupt- und Finanzausschuss"}, {Lang::En, "Finance committee"}}},
      Topic{"baustellen", {{Lang::De, "Baustellen und Verkehr"}}},
  };
}

struct SubFixture : Fixture {
  std::vector<Topic> list = topics();
  SubFixture() { ctx.topics = &list; }
};

}  // namespace

TEST_CASE("subscriptions: topic lists parse ids, labels with 'und', numbers and 'alle'") {
  const auto t = topics();
  auto sel = parseTopicSelection(t, "Stadtrat und Haupt- und Finanzausschuss");
  CHECK(sel.topics == std::vector<std::string>{"stadtrat", "finanzausschuss"});
  CHECK(sel.unknown.empty());
  sel = parseTopicSelection(t, "1, 3;4 1");
  CHECK(sel.topics == std::vector<std::string>{"stadtrat", "finanzausschuss", "baustellen"});
  sel = parseTopicSelection(t, "bauausschuss,baustellen und verkehr");
  CHECK(sel.topics == std::vector<std::string>{"bauausschuss", "baustellen"});
  sel = parseTopicSelection(t, "stadtrat 9 kegelverein");
  CHECK(sel.topics == std::vector<std::string>{"stadtrat"});
  CHECK(sel.unknown == std::vector<std::string>{"9", "kegelverein"});
  CHECK(parseTopicSelection(t, "alle").all);
}

TEST_CASE("subscriptions: the menu offers subscriptions within a WhatsApp list of 10 rows") {
  SubFixture f;
  const auto r = f.run(at(State::Menu), text("menü"));
  const Reply reply = onlyReply(r);
  const auto ids = choiceIds(reply);
  CHECK(std::find(ids.begin(), ids.end(), "subscriptions") != ids.end());
  CHECK(ids.size() <= 10);
}

TEST_CASE("subscriptions: 'abos' lists every topic with subscribe choices") {
  SubFixture f;
  f.ctx.subscribed = {"bauausschuss"};
  const auto r = f.run(at(State::Menu), text("abos"));
  CHECK(r.next.state == "subscriptions");
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "subscriptions.list");
  CHECK(reply.text.find("2. ✅ Bauausschuss") != std::string::npos);
  CHECK(reply.text.find("1. ◻️ Stadtrat") != std::string::npos);
  CHECK(choiceIds(reply) == std::vector<std::string>{"sub:stadtrat", "unsub:bauausschuss",
                                                     "sub:finanzausschuss", "sub:baustellen",
                                                     "menu"});
  CHECK(findEffect<Subscribe>(r) == nullptr);
}

TEST_CASE("subscriptions: the menu choice opens the list too") {
  SubFixture f;
  const auto r = f.run(at(State::Menu), choice("subscriptions"));
  CHECK(r.next.state == "subscriptions");
  CHECK(onlyReply(r).key == "subscriptions.list");
}

TEST_CASE("subscriptions: without topics the chat says so and stays in the menu") {
  Fixture f;
  const auto r = f.run(at(State::Menu), text("abos"));
  CHECK(r.next.state == "menu");
  CHECK(onlyReply(r).key == "subscriptions.none_configured");
}

TEST_CASE("subscriptions: a sub: choice subscribes with the notice version") {
  SubFixture f;
  const auto r = f.run(at(State::Subscriptions), choice("sub:stadtrat"));
  const auto* sub = findEffect<Subscribe>(r);
  REQUIRE(sub != nullptr);
  CHECK(sub->topics == std::vector<std::string>{"stadtrat"});
  CHECK(sub->notice_version == 2);
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "subscriptions.subscribed");
  CHECK(reply.text.find("https://example.org/datenschutz") != std::string::npos);
  CHECK(choiceIds(reply).front() == "unsub:stadtrat");  // the list shows the new state
}

TEST_CASE("subscriptions: 'abonnieren' with several topics subscribes only the new ones") {
  SubFixture f;
  f.ctx.subscribed = {"stadtrat"};
  const auto r = f.run(at(State::Menu), text("abonnieren Stadtrat, Bauausschuss"));
  CHECK(r.next.state == "subscriptions");
  const auto* sub = findEffect<Subscribe>(r);
  REQUIRE(sub != nullptr);
  CHECK(sub->topics == std::vector<std::string>{"bauausschuss"});
}

TEST_CASE("subscriptions: 'abbestellen' ends several subscriptions at once") {
  SubFixture f;
  f.ctx.subscribed = {"stadtrat", "bauausschuss", "baustellen"};
  const auto r = f.run(at(State::Menu), text("abbestellen stadtrat und bauausschuss"));
  const auto* unsub = findEffect<Unsubscribe>(r);
  REQUIRE(unsub != nullptr);
  CHECK(unsub->topics == std::vector<std::string>{"stadtrat", "bauausschuss"});
  CHECK(findEffect<Subscribe>(r) == nullptr);
  CHECK(onlyReply(r).key == "subscriptions.unsubscribed");
}

TEST_CASE("subscriptions: 'abbestellen alle' ends every subscription, unknown words are named") {
  SubFixture f;
  f.ctx.subscribed = {"stadtrat", "baustellen"};
  const auto r = f.run(at(State::Subscriptions), text("unsubscribe all kegelverein"));
  const auto* unsub = findEffect<Unsubscribe>(r);
  REQUIRE(unsub != nullptr);
  CHECK(unsub->topics == std::vector<std::string>{"baustellen", "stadtrat"});
  CHECK(replyKeys(r) ==
        std::vector<std::string>{"subscriptions.unknown", "subscriptions.unsubscribed"});
}

TEST_CASE("subscriptions: numbers typed in the list toggle each topic") {
  SubFixture f;
  f.ctx.subscribed = {"stadtrat"};
  const auto r = f.run(at(State::Subscriptions), text("1, 2"));
  CHECK(r.next.state == "subscriptions");
  const auto* sub = findEffect<Subscribe>(r);
  const auto* unsub = findEffect<Unsubscribe>(r);
  REQUIRE(sub != nullptr);
  REQUIRE(unsub != nullptr);
  CHECK(sub->topics == std::vector<std::string>{"bauausschuss"});
  CHECK(unsub->topics == std::vector<std::string>{"stadtrat"});
  CHECK(onlyReply(r).key == "subscriptions.changed");
}

TEST_CASE("subscriptions: 'zurück' in the list goes back to the menu") {
  SubFixture f;
  const auto r = f.run(at(State::Subscriptions), text("zurück"));
  CHECK(r.next.state == "menu");
  CHECK(onlyReply(r).key == "menu.prompt");
}

TEST_CASE("subscriptions: other text in the list gets the list's help") {
  SubFixture f;
  const auto r = f.run(at(State::Subscriptions), text("wann ist die nächste Sitzung?"));
  CHECK(r.next.state == "subscriptions");
  CHECK(onlyReply(r).key == "help.subscriptions");
  CHECK(findEffect<Subscribe>(r) == nullptr);
}

TEST_CASE("subscriptions: 'stop' in the list asks what to stop, then ends every subscription") {
  SubFixture f;
  const auto asked = f.run(at(State::Subscriptions), text("stop"));
  CHECK(findEffect<StopNotifications>(asked) == nullptr);
  CHECK(asked.next.state == "stop_choice");
  CHECK(onlyReply(asked).key == "stop.question");
  const auto r = f.run(asked.next, choice("stop:subscriptions"));
  const auto* stop = findEffect<StopNotifications>(r);
  REQUIRE(stop != nullptr);
  CHECK_FALSE(stop->everything);
  CHECK(onlyReply(r).key == "stop.subscriptions_done");
}

TEST_CASE("subscriptions: while a report is drafted the words are the description") {
  SubFixture f;
  const auto r = f.run(at(State::ReportDescription, potholeDraft()), text("abbestellen stadtrat"));
  CHECK(findEffect<Unsubscribe>(r) == nullptr);
  CHECK(r.next.draft.description == "abbestellen stadtrat");
}

TEST_CASE("subscriptions: the list is not a draft and never expires") {
  SubFixture f;
  Conversation c = at(State::Subscriptions);
  c.last_activity = t0() - 10h;
  const auto r = f.run(c, choice("sub:baustellen"));
  CHECK(findEffect<Subscribe>(r) != nullptr);
  CHECK(replyKeys(r) == std::vector<std::string>{"subscriptions.subscribed"});
}

}  // namespace bb::flows::testing
