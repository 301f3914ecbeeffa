#include <doctest/doctest.h>

#include <iterator>
#include <optional>
#include <string>

#include "flows/answers.hpp"

using bb::flows::Answer;
using bb::flows::Lang;
using bb::flows::normalizeAnswer;

namespace {

struct Row {
  const char* typed;
  Lang lang;  //!< the conversation's language
  std::optional<Answer> expected;
};

constexpr auto De = Lang::De;
constexpr auto En = Lang::En;
constexpr std::optional<Answer> kNone = std::nullopt;

// clang-format off
const Row kRows[] = {
  // yes, German
  {"ja", De, Answer::Yes},              {"Ja", De, Answer::Yes},
  {"JA!", De, Answer::Yes},             {"Ja bitte", De, Answer::Yes},
  {"ja, bitte.", De, Answer::Yes},      {"jaaa", De, Answer::Yes},
  {"klar", De, Answer::Yes},            {"Na klar!", De, Answer::Yes},
  {"gerne", De, Answer::Yes},           {"Sehr gerne", De, Answer::Yes},
  {"passt", De, Answer::Yes},           {"Passt so", De, Answer::Yes},
  {"genau", De, Answer::Yes},           {"Stimmt", De, Answer::Yes},
  {"Einverstanden.", De, Answer::Yes},  {"jo", De, Answer::Yes},
  {"Natürlich", De, Answer::Yes},       {"auf jeden Fall", De, Answer::Yes},
  {"👍", De, Answer::Yes},              {"👍🏽", De, Answer::Yes},
  {"ja 👍", De, Answer::Yes},           {"✅", De, Answer::Yes},
  {"👍👍", De, Answer::Yes},            {"  ja  ", De, Answer::Yes},
  // ok
  {"OK!", De, Answer::Ok},              {"ok", De, Answer::Ok},
  {"Okay", De, Answer::Ok},             {"alles klar", De, Answer::Ok},
  {"In Ordnung", De, Answer::Ok},       {"👌", De, Answer::Ok},
  {"ok?", De, Answer::Ok},              {"okay thanks", En, Answer::Ok},
  // no
  {"nein", De, Answer::No},             {"Nein danke", De, Answer::No},
  {"nee", De, Answer::No},              {"Nö", De, Answer::No},
  {"neeein", De, Answer::No},           {"lieber nicht", De, Answer::No},
  {"👎", De, Answer::No},               {"❌", De, Answer::No},
  {"Nein, vielen Dank", De, Answer::No},
  // cancel, back, skip, help in German
  {"Abbrechen", De, Answer::Cancel},    {"abbruch", De, Answer::Cancel},
  {"vergiss es", De, Answer::Cancel},
  {"zurück", De, Answer::Back},         {"Zurueck", De, Answer::Back},
  {"einen Schritt zurück", De, Answer::Back},
  {"überspringen", De, Answer::Skip},   {"ueberspringen", De, Answer::Skip},
  {"weiter", De, Answer::Skip},         {"kein Foto", De, Answer::Skip},
  {"nichts", De, Answer::Skip},         {"fertig", De, Answer::Skip},
  {"hilfe", De, Answer::Help},          {"Hilfe?", De, Answer::Help},
  {"?", De, Answer::Help},              {"???", De, Answer::Help},
  {"Wie geht das?", De, Answer::Help},  {"hä?", De, Answer::Help},
  // English
  {"yes", En, Answer::Yes},             {"Yes please", En, Answer::Yes},
  {"yeah", En, Answer::Yes},            {"Sure!", En, Answer::Yes},
  {"yep", En, Answer::Yes},             {"of course", En, Answer::Yes},
  {"👍", En, Answer::Yes},              {"alright", En, Answer::Ok},
  {"no", En, Answer::No},               {"No thanks", En, Answer::No},
  {"nope", En, Answer::No},             {"nah", En, Answer::No},
  {"no thank you!", En, Answer::No},
  {"cancel", En, Answer::Cancel},       {"never mind", En, Answer::Cancel},
  {"Forget it.", En, Answer::Cancel},
  {"back", En, Answer::Back},           {"Go back", En, Answer::Back},
  {"skip", En, Answer::Skip},           {"next", En, Answer::Skip},
  {"none", En, Answer::Skip},           {"help", En, Answer::Help},
  {"I don’t understand", En, Answer::Help},
  // the other language is understood too (people mix them)
  {"yes", De, Answer::Yes},             {"ja", En, Answer::Yes},
  {"zurück", En, Answer::Back},         {"skip", De, Answer::Skip},
  // not short answers: free text, addresses, descriptions, mixed signals
  {"", De, kNone},                      {"bitte", De, kNone},
  {"danke", De, kNone},                 {"thanks", En, kNone},
  {"Marienplatz 1", De, kNone},         {"ca. 30 cm", De, kNone},
  {"Ja, das Loch ist sehr tief", De, kNone},
  {"nein ja", De, kNone},               {"👍👎", De, kNone},
  {"keine Ahnung wo genau", De, kNone}, {"Jahnstraße", De, kNone},
  {"1", De, kNone},                     {"Neuer Zaun", De, kNone},
};
// clang-format on

}  // namespace

TEST_CASE("answers: the normalizer table (German and English)") {
  CHECK(std::size(kRows) >= 60);
  for (const Row& row : kRows) {
    CAPTURE(row.typed);
    CAPTURE(static_cast<int>(row.lang));
    const auto got = normalizeAnswer(row.typed, row.lang);
    if (row.expected) {
      REQUIRE(got.has_value());
      CHECK(bb::flows::toString(*got) == std::string(bb::flows::toString(*row.expected)));
    } else {
      CHECK_FALSE(got.has_value());
    }
  }
}

TEST_CASE("answers: text longer than a short answer is never an answer") {
  const std::string longYes = "ja " + std::string(80, ' ') + "bitte";
  CHECK_FALSE(normalizeAnswer(longYes, Lang::De).has_value());
  CHECK(normalizeAnswer("ja" + std::string(40, ' '), Lang::De).has_value());
}

TEST_CASE("answers: broken UTF-8 is not an answer and does not crash") {
  CHECK_FALSE(normalizeAnswer("\xF0\x9F", Lang::De).has_value());
  CHECK_FALSE(normalizeAnswer("ja\xC3", Lang::De).has_value());
}
