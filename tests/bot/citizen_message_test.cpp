// The one builder of messages to a citizen: the outbox row carries the citizen's address as
// stored (channel, pseudonym, sealed reply address, key id), the kind that says what the message
// is, the ticket thread, and a payload the outbox senders decode back into the message.

#include <doctest/doctest.h>

#include "bot/conversation/citizen_message.hpp"
#include "bot/conversation/codec.hpp"

namespace bb::test {
namespace {

CitizenRecord anna() {
  CitizenRecord c;
  c.pseudonym = "p-anna";
  c.channel = Channel::Telegram;
  c.address_ct = std::string("sealed\0bytes", 12);
  c.key_id = "k1";
  c.lang = "en";
  return c;
}

}  // namespace

TEST_CASE("citizen message: the row is addressed as the citizen's record says") {
  const CitizenRecord c = anna();
  const NewOutbound o = CitizenMessage::reply(c).text("Hello").build();
  CHECK(o.channel == Channel::Telegram);
  CHECK(o.pseudonym == "p-anna");
  CHECK(o.address_ct == c.address_ct);
  CHECK(o.key_id == "k1");
  CHECK(o.kind == "reply");
  CHECK(o.ticket_number == 0);
  const auto m = decodeOutbound(o.payload);
  REQUIRE(m);
  CHECK(m->text == "Hello");
  CHECK(m->choices.empty());
  CHECK_FALSE(m->request_location);
}

TEST_CASE("citizen message: each kind of message names its outbox kind and ticket thread") {
  const CitizenRecord c = anna();
  CHECK(CitizenMessage::reply(c).aboutTicket(1002).build().ticket_number == 1002);
  const NewOutbound news = CitizenMessage::ticketNews(c, 1001).build();
  CHECK(news.kind == "status");
  CHECK(news.ticket_number == 1001);
  const NewOutbound staff = CitizenMessage::staffReply(c, 1003).build();
  CHECK(staff.kind == "staff");
  CHECK(staff.ticket_number == 1003);
  CHECK(CitizenMessage::notice(c).build().kind == "notice");
  CHECK(CitizenMessage::broadcast(c).build().kind == "broadcast");
}

TEST_CASE("citizen message: choices, location request, follow link and templates travel") {
  const CitizenRecord c = anna();
  const std::vector<flows::Choice> offered{{"report", "Report"}, {"menu", "Menu"}};
  const auto m = decodeOutbound(CitizenMessage::reply(c)
                                    .text("Where?")
                                    .choices(offered)
                                    .requestLocation(true)
                                    .followUrl("/chat/follow/abc")
                                    .build()
                                    .payload);
  REQUIRE(m);
  REQUIRE(m->choices.size() == 2);
  CHECK(m->choices[1].id == "menu");
  CHECK(m->choices[1].label == "Menu");
  CHECK(m->request_location);
  CHECK(m->follow_url == "/chat/follow/abc");

  const auto b = decodeOutbound(CitizenMessage::broadcast(c)
                                    .templateMessage("buergerbox_broadcast", {"Council news", "-"})
                                    .text("Council news")
                                    .build()
                                    .payload);
  REQUIRE(b);
  CHECK(b->template_name == "buergerbox_broadcast");
  CHECK(b->template_params == std::vector<std::string>{"Council news", "-"});
  CHECK(b->text == "Council news");
}

TEST_CASE("citizen message: the language is the citizen's, German when unknown") {
  CitizenRecord c = anna();
  CHECK(CitizenMessage::notice(c).lang() == flows::Lang::En);
  c.lang = "fr";
  CHECK(languageOf(c) == flows::Lang::De);
  c.lang = "";
  CHECK(CitizenMessage::notice(c).lang() == flows::Lang::De);
}

}  // namespace bb::test
