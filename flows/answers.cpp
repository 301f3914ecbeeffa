#include "flows/answers.hpp"

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "flows/machine.hpp"

namespace bb::flows {

namespace {

// A short answer is a few words; anything longer is a description, an address or a question.
constexpr std::size_t kMaxAnswerBytes = 64;

struct Phrase {
  const char* text;  //!< lower case, words separated by one space
  Answer answer;
};

// clang-format off
constexpr Phrase kGerman[] = {
  {"ja", Answer::Yes},            {"jawohl", Answer::Yes},        {"jawoll", Answer::Yes},
  {"jo", Answer::Yes},            {"joa", Answer::Yes},           {"jup", Answer::Yes},
  {"jep", Answer::Yes},           {"jap", Answer::Yes},           {"klar", Answer::Yes},
  {"na klar", Answer::Yes},       {"klaro", Answer::Yes},         {"ja klar", Answer::Yes},
  {"gerne", Answer::Yes},         {"gern", Answer::Yes},          {"ja gerne", Answer::Yes},
  {"genau", Answer::Yes},         {"ja genau", Answer::Yes},      {"passt", Answer::Yes},
  {"passt so", Answer::Yes},      {"ja passt", Answer::Yes},      {"stimmt", Answer::Yes},
  {"richtig", Answer::Yes},       {"korrekt", Answer::Yes},       {"sicher", Answer::Yes},
  {"natürlich", Answer::Yes},     {"natuerlich", Answer::Yes},    {"einverstanden", Answer::Yes},
  {"bestätigen", Answer::Yes},    {"bestaetigen", Answer::Yes},   {"auf jeden fall", Answer::Yes},
  {"absolut", Answer::Yes},       {"ja das stimmt", Answer::Yes}, {"akzeptieren", Answer::Yes},
  {"ok", Answer::Ok},             {"okay", Answer::Ok},           {"okey", Answer::Ok},
  {"oki", Answer::Ok},            {"alles klar", Answer::Ok},     {"in ordnung", Answer::Ok},
  {"geht klar", Answer::Ok},      {"gut", Answer::Ok},            {"ok passt", Answer::Ok},
  {"nein", Answer::No},           {"nee", Answer::No},            {"ne", Answer::No},
  {"nö", Answer::No},             {"noe", Answer::No},            {"nicht", Answer::No},
  {"lieber nicht", Answer::No},   {"auf keinen fall", Answer::No}, {"keinesfalls", Answer::No},
  {"stimmt nicht", Answer::No},   {"falsch", Answer::No},         {"ablehnen", Answer::No},
  {"abbrechen", Answer::Cancel},  {"abbruch", Answer::Cancel},    {"vergiss es", Answer::Cancel},
  {"beenden", Answer::Cancel},    {"aufhören", Answer::Cancel},   {"aufhoeren", Answer::Cancel},
  {"doch nicht", Answer::Cancel}, {"stornieren", Answer::Cancel},
  {"zurück", Answer::Back},       {"zurueck", Answer::Back},      {"zuruck", Answer::Back},
  {"schritt zurück", Answer::Back}, {"einen schritt zurück", Answer::Back},
  {"zurück gehen", Answer::Back}, {"vorheriger schritt", Answer::Back},
  {"überspringen", Answer::Skip}, {"ueberspringen", Answer::Skip}, {"weiter", Answer::Skip},
  {"keins", Answer::Skip},        {"keine", Answer::Skip},        {"nichts", Answer::Skip},
  {"kein foto", Answer::Skip},    {"kein bild", Answer::Skip},    {"ohne foto", Answer::Skip},
  {"ohne", Answer::Skip},         {"später", Answer::Skip},       {"fertig", Answer::Skip},
  {"hilfe", Answer::Help},        {"wie geht das", Answer::Help}, {"was nun", Answer::Help},
  {"was jetzt", Answer::Help},    {"ich verstehe nicht", Answer::Help},
  {"versteh ich nicht", Answer::Help}, {"hä", Answer::Help},     {"häh", Answer::Help},
};

constexpr Phrase kEnglish[] = {
  {"yes", Answer::Yes},           {"yeah", Answer::Yes},          {"yea", Answer::Yes},
  {"yep", Answer::Yes},           {"yup", Answer::Yes},           {"sure", Answer::Yes},
  {"of course", Answer::Yes},     {"definitely", Answer::Yes},    {"absolutely", Answer::Yes},
  {"correct", Answer::Yes},       {"right", Answer::Yes},         {"agreed", Answer::Yes},
  {"i agree", Answer::Yes},       {"accept", Answer::Yes},        {"confirm", Answer::Yes},
  {"yes sure", Answer::Yes},      {"that's right", Answer::Yes},  {"thats right", Answer::Yes},
  {"ok", Answer::Ok},             {"okay", Answer::Ok},           {"k", Answer::Ok},
  {"kk", Answer::Ok},             {"alright", Answer::Ok},        {"all right", Answer::Ok},
  {"fine", Answer::Ok},           {"sounds good", Answer::Ok},    {"got it", Answer::Ok},
  {"no", Answer::No},             {"nope", Answer::No},           {"nah", Answer::No},
  {"not really", Answer::No},     {"no way", Answer::No},         {"decline", Answer::No},
  {"wrong", Answer::No},          {"incorrect", Answer::No},      {"not now", Answer::No},
  {"cancel", Answer::Cancel},     {"abort", Answer::Cancel},      {"quit", Answer::Cancel},
  {"forget it", Answer::Cancel},  {"never mind", Answer::Cancel}, {"nevermind", Answer::Cancel},
  {"exit", Answer::Cancel},
  {"back", Answer::Back},         {"go back", Answer::Back},      {"previous", Answer::Back},
  {"step back", Answer::Back},
  {"skip", Answer::Skip},         {"next", Answer::Skip},         {"none", Answer::Skip},
  {"nothing", Answer::Skip},      {"no photo", Answer::Skip},     {"later", Answer::Skip},
  {"continue", Answer::Skip},     {"done", Answer::Skip},
  {"help", Answer::Help},         {"what now", Answer::Help},     {"how does this work", Answer::Help},
  {"i don't understand", Answer::Help}, {"i dont understand", Answer::Help}, {"huh", Answer::Help},
};

// Signs that answer on their own, whatever the language.
constexpr Phrase kSigns[] = {
  {"👍", Answer::Yes}, {"👌", Answer::Ok}, {"✅", Answer::Yes}, {"✔", Answer::Yes},
  {"☑", Answer::Yes}, {"👎", Answer::No}, {"❌", Answer::No},   {"✖", Answer::No},
  {"🔙", Answer::Back}, {"⬅", Answer::Back}, {"❓", Answer::Help}, {"?", Answer::Help},
};

// Politeness around an answer: "ja bitte", "nein danke", "yes please", "no thanks", "ok 🙏".
constexpr const char* kFillers[] = {
  "bitte", "danke", "dankeschön", "vielen", "dank", "sehr",
  "please", "pls", "plz", "thanks", "thank", "you", "thx", "🙏", "😊", "🙂",
};
// clang-format on

//! The code point starting at `i` and its length; invalid bytes count as one unit.
std::pair<std::uint32_t, std::size_t> decode(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = 1;
  std::uint32_t cp = b0;
  if (b0 >= 0xF0) {
    len = 4;
    cp = b0 & 0x07U;
  } else if (b0 >= 0xE0) {
    len = 3;
    cp = b0 & 0x0FU;
  } else if (b0 >= 0xC0) {
    len = 2;
    cp = b0 & 0x1FU;
  }
  if (i + len > s.size()) {
    return {b0, 1};
  }
  for (std::size_t k = 1; k < len; ++k) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3FU);
  }
  return {cp, len};
}

bool isSeparator(std::uint32_t cp) {
  switch (cp) {
    case ' ': case '\t': case '\n': case '\r': case '.': case ',': case '!': case ';':
    case ':': case '-': case '(': case ')': case '"': case '*': case '~': case '_':
      return true;
    default:
      // General punctuation (…, „“, dashes) separates words too.
      return (cp >= 0x2010 && cp <= 0x205F) || cp == 0xA0;
  }
}

bool isIgnored(std::uint32_t cp) {
  return (cp >= 0x1F3FB && cp <= 0x1F3FF) || cp == 0xFE0F || cp == 0xFE0E || cp == 0x200D;
}

//! A sign that stands as its own word even when written against another ("ja👍", "ok?").
bool isSign(std::uint32_t cp) {
  return cp == '?' || cp >= 0x2100;
}

//! "jaaa" → "ja", "neeein" → "nein": a letter held down three times or more counts once.
std::string collapseRuns(const std::string& word) {
  std::string out;
  for (std::size_t i = 0; i < word.size();) {
    std::size_t j = i;
    while (j < word.size() && word[j] == word[i]) {
      ++j;
    }
    const std::size_t run = j - i;
    const bool ascii = static_cast<unsigned char>(word[i]) < 0x80;
    out.append(ascii && run >= 3 ? 1 : run, word[i]);
    i = j;
  }
  return out;
}

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  const auto flush = [&] {
    if (!current.empty()) {
      out.push_back(collapseRuns(current));
      current.clear();
    }
  };
  for (std::size_t i = 0; i < text.size();) {
    const auto [cp, len] = decode(text, i);
    const std::string_view bytes = text.substr(i, len);
    i += len;
    if (isIgnored(cp)) {
      continue;
    }
    if (cp == 0x2019) {  // typographic apostrophe: "don’t" is "don't"
      current += '\'';
      continue;
    }
    if (isSeparator(cp)) {
      flush();
    } else if (isSign(cp)) {
      flush();
      // "???" is one question mark: a sign repeated is the same sign.
      if (out.empty() || out.back() != bytes) {
        out.emplace_back(bytes);
      }
    } else {
      current.append(bytes);
    }
  }
  flush();
  return out;
}

bool isFiller(const std::string& word) {
  for (const char* filler : kFillers) {
    if (word == filler) {
      return true;
    }
  }
  return false;
}

std::optional<Answer> lookup(std::span<const Phrase> table, const std::string& phrase) {
  for (const Phrase& p : table) {
    if (phrase == p.text) {
      return p.answer;
    }
  }
  return std::nullopt;
}

}  // namespace

const char* toString(Answer answer) {
  switch (answer) {
    case Answer::Yes: return "yes";
    case Answer::No: return "no";
    case Answer::Ok: return "ok";
    case Answer::Cancel: return "cancel";
    case Answer::Back: return "back";
    case Answer::Skip: return "skip";
    case Answer::Help: return "help";
  }
  return "help";
}

std::optional<Answer> normalizeAnswer(std::string_view text, Lang lang) {
  if (text.empty() || text.size() > kMaxAnswerBytes) {
    return std::nullopt;
  }
  std::vector<std::string> kept;
  std::vector<std::string> all = words(detail::lower(std::string(text)));
  for (std::string& word : all) {
    if (!isFiller(word)) {
      kept.push_back(std::move(word));
    }
  }
  if (kept.empty()) {
    return std::nullopt;  // "bitte" or "danke" alone answers nothing
  }
  // A question mark after a word ("ok?", "weiter?") asks rather than answers only when it is
  // alone; after a word it is punctuation.
  if (kept.size() > 1 && kept.back() == "?") {
    kept.pop_back();
  }
  std::string phrase;
  for (const std::string& word : kept) {
    phrase += phrase.empty() ? word : " " + word;
  }
  const std::span<const Phrase> own = lang == Lang::En ? std::span<const Phrase>(kEnglish)
                                                       : std::span<const Phrase>(kGerman);
  const std::span<const Phrase> other = lang == Lang::En ? std::span<const Phrase>(kGerman)
                                                         : std::span<const Phrase>(kEnglish);
  if (auto a = lookup(kSigns, phrase)) {
    return a;
  }
  if (auto a = lookup(own, phrase)) {
    return a;
  }
  if (auto a = lookup(other, phrase)) {
    return a;
  }
  // "ja 👍", "👍👍": a sign beside its own meaning in words.
  std::optional<Answer> same;
  for (const std::string& word : kept) {
    auto a = lookup(kSigns, word);
    if (!a) {
      a = lookup(own, word);
    }
    if (!a) {
      a = lookup(other, word);
    }
    if (!a || (same && *same != *a)) {
      return std::nullopt;
    }
    same = a;
  }
  return same;
}

}  // namespace bb::flows
