// One test per row of the letterbox table.

#include "tests/flows/flow_test_support.hpp"

namespace bb::flows::testing {

namespace {

Draft letter(std::string text) {
  Draft d;
  d.letter_text = std::move(text);
  return d;
}

}  // namespace

TEST_CASE("flows: an overlong letter is refused and the text is kept out of the draft") {
  Fixture f;
  f.ctx.settings.max_letter_chars = 20;
  const auto r = f.run(at(State::LetterText), text(std::string(21, 'x')));
  CHECK(r.next.state == "letter_text");
  CHECK(r.next.draft.letter_text.empty());
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "letter.too_long");
  CHECK(reply.text.find("(21 Zeichen, höchstens 20)") != std::string::npos);
}

TEST_CASE("flows: the letter text is stored and confirmation asked") {
  Fixture f;
  const auto r = f.run(at(State::LetterText), text("  Die Bank im Park ist toll!  "));
  CHECK(r.next.state == "letter_confirm");
  CHECK(r.next.draft.letter_text == "Die Bank im Park ist toll!");
  const Reply reply = onlyReply(r);
  CHECK(reply.key == "letter.confirm");
  CHECK(reply.text.find("Die Bank im Park ist toll!") != std::string::npos);
  CHECK(choiceIds(reply) == std::vector<std::string>{"send", "change", "cancel"});
  CHECK(findEffect<SendLetter>(r) == nullptr);
}

TEST_CASE("flows: a confirmed letter is sent to the letterbox department") {
  Fixture f;
  f.ctx.settings.letterbox_department = "hauptamt";
  for (const Event& e : {choice("send"), text("Senden"), text("ja")}) {
    const auto r = f.run(at(State::LetterConfirm, letter("Danke für den neuen Spielplatz")), e);
    CHECK(r.next.state == "menu");
    CHECK(r.next.draft.letter_text.empty());
    REQUIRE(r.effects.size() == 1);
    const auto* send = findEffect<SendLetter>(r);
    REQUIRE(send != nullptr);
    CHECK(send->text == "Danke für den neuen Spielplatz");
    CHECK(send->department == "hauptamt");
  }
}

TEST_CASE("flows: 'no' to the letter confirmation discards it") {
  Fixture f;
  const auto r = f.run(at(State::LetterConfirm, letter("Hallo")), text("nein"));
  CHECK(r.next.state == "menu");
  CHECK(r.next.draft.letter_text.empty());
  CHECK(findEffect<SendLetter>(r) == nullptr);
  CHECK(onlyReply(r).key == "cancel.done");
}

TEST_CASE("flows: changing the letter asks for the text again") {
  Fixture f;
  const auto r = f.run(at(State::LetterConfirm, letter("Hallo")), choice("change"));
  CHECK(r.next.state == "letter_text");
  CHECK(onlyReply(r).key == "letter.prompt");
  SUBCASE("the new text replaces the old one") {
    const auto r2 = f.run(r.next, text("Hallo Stadt"));
    CHECK(r2.next.draft.letter_text == "Hallo Stadt");
  }
}

}  // namespace bb::flows::testing
