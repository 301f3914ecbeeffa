// The virtueller Briefkasten: free text to the city, confirmed before it is sent.

#include "flows/machine.hpp"

namespace bb::flows::detail {

namespace {

using S = State;

bool letterTooLong(const Turn& t) {
  return codePoints(trim(t.event.text)) > t.ctx.settings.max_letter_chars;
}

void askLetter(Turn& t) {
  say(t, "letter.prompt", {{"max", std::to_string(t.ctx.settings.max_letter_chars)}},
      choicesFor(t, S::LetterText));
}

void sayLetterTooLong(Turn& t) {
  say(t, "letter.too_long",
      {{"max", std::to_string(t.ctx.settings.max_letter_chars)},
       {"length", std::to_string(codePoints(trim(t.event.text)))}},
      choicesFor(t, S::LetterText));
}

void saveLetter(Turn& t) {
  t.next.draft.letter_text = trim(t.event.text);
  say(t, "letter.confirm", {{"text", t.next.draft.letter_text}}, choicesFor(t, S::LetterConfirm));
}

void sendLetter(Turn& t) {
  t.effects.emplace_back(
      SendLetter{t.next.draft.letter_text, t.ctx.settings.letterbox_department});
  t.next.draft = Draft{};
}

// clang-format off
constexpr Transition kLetterbox[] = {
  // from               on          guard          action            to
  {S::LetterText,       On::Text,   letterTooLong, sayLetterTooLong, kSame},
  {S::LetterText,       On::Text,   nullptr,       saveLetter,       S::LetterConfirm},
  {S::LetterConfirm,    On::Yes,    nullptr,       sendLetter,       S::Menu},
  {S::LetterConfirm,    On::No,     nullptr,       discardDraft,     S::Menu},
  {S::LetterConfirm,    On::Change, nullptr,       askLetter,        S::LetterText},
};
// clang-format on

}  // namespace

void startLetter(Turn& t) {
  t.next.draft = Draft{};
  askLetter(t);
}

std::span<const Transition> letterboxTable() {
  return kLetterbox;
}

}  // namespace bb::flows::detail
