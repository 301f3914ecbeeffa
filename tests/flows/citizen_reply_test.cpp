// flows/citizen_reply.cpp, one case per row: where a citizen's message outside a running flow
// goes (quoted ticket, the one open window, a choice among several, "abgeschlossen", the menu).

#include "tests/flows/flow_test_support.hpp"

namespace bb::flows::testing {
namespace {

using namespace std::chrono_literals;

ReplyWindow window(std::int64_t number, std::chrono::hours age, bool closed = false) {
  return ReplyWindow{number, t0() - age, closed, std::nullopt};
}

Event quotedText(std::string s, ReplyWindow quoted) {
  Event e = text(std::move(s));
  e.quoted = quoted;
  return e;
}

}  // namespace

TEST_CASE("citizen_reply: one open window takes free text and confirms it") {
  Fixture f;
  f.ctx.reply_windows = {window(1001, 2h)};
  const auto r = f.run(at(State::Menu), text("Genau vor der Apotheke"));
  CHECK(r.next.state == "menu");
  const auto* post = findEffect<PostToTicket>(r);
  REQUIRE(post != nullptr);
  CHECK(post->number == 1001);
  CHECK(post->text == "Genau vor der Apotheke");
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "reply.received");
  CHECK(reply.text.find("1001") != std::string::npos);
  CHECK(choiceIds(reply) == std::vector<std::string>{"menu"});
}

TEST_CASE("citizen_reply: a message within the burst is posted without a confirmation") {
  Fixture f;
  ReplyWindow w = window(1001, 2h);
  w.last_message_at = t0() - 5min;
  f.ctx.reply_windows = {w};
  const auto r = f.run(at(State::Menu), image("m7"));
  const auto* post = findEffect<PostToTicket>(r);
  REQUIRE(post != nullptr);
  CHECK(post->media_ids == std::vector<std::string>{"m7"});
  CHECK(replies(r).empty());
}

TEST_CASE("citizen_reply: a window that has run out takes nothing – the menu answers") {
  Fixture f;
  f.ctx.reply_windows = {window(1001, 24h * 14 + 1h)};
  const auto r = f.run(at(State::Menu), text("Hallo"));
  CHECK(findEffect<PostToTicket>(r) == nullptr);
  CHECK(onlyReply(r).key == "help.menu");
}

TEST_CASE("citizen_reply: several open windows: the citizen picks, the held message goes there") {
  Fixture f;
  f.ctx.reply_windows = {window(1002, 1h), window(1001, 2h), window(900, 24h * 30)};
  const auto asked = f.run(at(State::Menu), text("Rot"));
  CHECK(asked.next.state == "reply_ticket");
  CHECK(asked.next.draft.reply_text == "Rot");
  CHECK(findEffect<PostToTicket>(asked) == nullptr);
  CHECK(choiceIds(onlyReply(asked)) ==
        std::vector<std::string>{"reply:1002", "reply:1001", "menu"});

  SUBCASE("a choice") {
    const auto r = f.run(asked.next, choice("reply:1001"));
    CHECK(r.next.state == "menu");
    const auto* post = findEffect<PostToTicket>(r);
    REQUIRE(post != nullptr);
    CHECK(post->number == 1001);
    CHECK(post->text == "Rot");
    CHECK(r.next.draft.reply_text.empty());
    CHECK(onlyReply(r).key == "reply.received");
  }
  SUBCASE("a typed number") {
    const auto r = f.run(asked.next, text("#1002"));
    const auto* post = findEffect<PostToTicket>(r);
    REQUIRE(post != nullptr);
    CHECK(post->number == 1002);
  }
  SUBCASE("a ticket without an open window is not offered and not taken") {
    const auto r = f.run(asked.next, choice("reply:900"));
    CHECK(findEffect<PostToTicket>(r) == nullptr);
    CHECK(r.next.state == "reply_ticket");
  }
  SUBCASE("a photo joins the held message") {
    const auto r = f.run(asked.next, image("m3"));
    CHECK(r.next.state == "reply_ticket");
    CHECK(r.next.draft.reply_media_ids == std::vector<std::string>{"m3"});
    CHECK(onlyReply(r).key == "reply.which");
  }
  SUBCASE("menu drops it") {
    const auto r = f.run(asked.next, choice("menu"));
    CHECK(r.next.state == "menu");
    CHECK(findEffect<PostToTicket>(r) == nullptr);
    CHECK(r.next.draft.reply_text.empty());
  }
}

TEST_CASE("citizen_reply: the quoted ticket wins over the windows") {
  Fixture f;
  f.ctx.reply_windows = {window(1002, 1h), window(1001, 2h)};
  const auto r = f.run(at(State::Menu), quotedText("Seit gestern", window(1001, 2h)));
  const auto* post = findEffect<PostToTicket>(r);
  REQUIRE(post != nullptr);
  CHECK(post->number == 1001);
  CHECK(onlyReply(r).key == "reply.received");

  SUBCASE("an open ticket without a window is taken too") {
    ReplyWindow none{1003, SysTime{}, false, std::nullopt};
    const auto open = f.run(at(State::Menu), quotedText("Noch etwas", none));
    REQUIRE(findEffect<PostToTicket>(open) != nullptr);
    CHECK(findEffect<PostToTicket>(open)->number == 1003);
  }
  SUBCASE("a closed ticket after its window: abgeschlossen") {
    const auto closed =
        f.run(at(State::Menu), quotedText("Wieder kaputt", window(1001, 24h * 20, true)));
    CHECK(findEffect<PostToTicket>(closed) == nullptr);
    const Reply reply = onlyReply(closed);
    CHECK(reply.key == "reply.closed");
    CHECK(choiceIds(reply) == std::vector<std::string>{"report", "menu"});
  }
}

TEST_CASE("citizen_reply: the latest window of a closed ticket ran out: abgeschlossen, later the menu") {
  Fixture f;
  f.ctx.reply_windows = {window(1001, 24h * 15, true)};
  CHECK(onlyReply(f.run(at(State::Menu), text("Wieder da"))).key == "reply.closed");
  f.ctx.reply_windows = {window(1001, 24h * 29, true)};
  CHECK(onlyReply(f.run(at(State::Menu), text("Wieder da"))).key == "help.menu");
}

TEST_CASE("citizen_reply: words that start something, commands and running flows are not diverted") {
  Fixture f;
  f.ctx.reply_windows = {window(1001, 1h)};
  CHECK(f.run(at(State::Menu), text("melden")).next.state == "report_category");
  CHECK(findEffect<PostToTicket>(f.run(at(State::Menu), text("hilfe"))) == nullptr);
  CHECK(findEffect<PostToTicket>(f.run(at(State::Menu), choice("letter"))) == nullptr);
  const auto inReport = f.run(at(State::ReportDescription, potholeDraft()), text("Tiefes Loch"));
  CHECK(findEffect<PostToTicket>(inReport) == nullptr);
  CHECK(inReport.next.draft.description == "Tiefes Loch");
}

TEST_CASE("citizen_reply: a message over the letter limit is refused, nothing is posted") {
  Fixture f;
  f.ctx.reply_windows = {window(1001, 1h)};
  const auto r = f.run(at(State::Menu), text(std::string(f.ctx.settings.max_letter_chars + 1, 'x')));
  CHECK(findEffect<PostToTicket>(r) == nullptr);
  CHECK(onlyReply(r).key == "reply.too_long");
}

}  // namespace bb::flows::testing
