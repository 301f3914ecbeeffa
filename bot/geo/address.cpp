#include "bot/geo/address.hpp"

#include <algorithm>
#include <initializer_list>
#include <vector>

namespace bb::geo {

namespace {

constexpr std::size_t kMaxQueryBytes = 300;

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

bool isAsciiLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool endsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

//! The transliteration of the Latin-1 letter with UTF-8 second byte `b` after 0xC3.
const char* latin1(unsigned char b) {
  switch (b) {
    case 0x84: case 0xA4: return "ae";  // Ä ä
    case 0x96: case 0xB6: return "oe";  // Ö ö
    case 0x9C: case 0xBC: return "ue";  // Ü ü
    case 0x9F: return "ss";             // ß
    case 0x80: case 0x81: case 0x82: case 0xA0: case 0xA1: case 0xA2: return "a";
    case 0x88: case 0x89: case 0x8A: case 0xA8: case 0xA9: case 0xAA: return "e";
    case 0x8C: case 0x8D: case 0xAC: case 0xAD: return "i";
    case 0x92: case 0x93: case 0xB2: case 0xB3: return "o";
    case 0x99: case 0x9A: case 0xB9: case 0xBA: return "u";
    case 0x87: case 0xA7: return "c";
    default: return "";
  }
}

struct Token {
  std::string text;
  bool after_comma = false;  //!< the first token of a comma-separated segment after the first
};

std::vector<Token> tokenize(std::string_view text) {
  std::vector<Token> out;
  std::string current;
  bool comma = false;
  const auto flush = [&] {
    if (!current.empty()) {
      out.push_back(Token{current, comma});
      comma = false;
      current.clear();
    }
  };
  for (const char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      flush();
    } else if (c == ',' || c == ';') {
      flush();
      comma = !out.empty();
    } else if (c == '/' || c == '&') {
      flush();
      out.push_back(Token{"/", comma});
      comma = false;
    } else {
      current += c;
    }
  }
  flush();
  return out;
}

bool isPostcode(const std::string& t) {
  return t.size() == 5 && std::all_of(t.begin(), t.end(), isDigit);
}

//! "12", "12a", "12-14", "3/1" start a house number: 1–4 digits, then at most two letters.
std::optional<std::string> houseNumber(const std::string& t) {
  std::size_t digits = 0;
  while (digits < t.size() && isDigit(t[digits])) {
    ++digits;
  }
  if (digits == 0 || digits > 4) {
    return std::nullopt;
  }
  std::size_t letters = digits;
  while (letters < t.size() && isAsciiLetter(t[letters])) {
    ++letters;
  }
  if (letters - digits > 2 || (letters < t.size() && t[letters] != '-' && t[letters] != '.')) {
    return std::nullopt;
  }
  return numberKey(t.substr(0, letters));
}

bool isSingleLetter(const std::string& t) {
  return t.size() == 1 && isAsciiLetter(t[0]);
}

bool isWord(const std::string& t, std::initializer_list<const char*> words) {
  const std::string key = nameKey(t);
  return std::any_of(words.begin(), words.end(), [&](const char* w) { return key == w; });
}

std::string join(const std::vector<Token>& tokens, std::size_t from, std::size_t to) {
  std::string out;
  for (std::size_t i = from; i < to && i < tokens.size(); ++i) {
    out += out.empty() ? tokens[i].text : " " + tokens[i].text;
  }
  return out;
}

//! "am Rathaus", "beim Bahnhof", "an der Ecke": the words before a name that name no place.
std::size_t skipPrepositions(const std::vector<Token>& tokens, std::size_t i, std::size_t end) {
  while (i + 1 < end && isWord(tokens[i].text, {"am", "an", "beim", "bei", "vor", "im", "in",
                                                 "der", "dem", "den", "die", "das", "nahe",
                                                 "neben", "gegenueber", "hinter", "near", "at",
                                                 "the", "kreuzung", "ecke", "corner", "of"})) {
    ++i;
  }
  return i;
}

//! Street, number, postcode and town from tokens [begin, end).
void readSingle(const std::vector<Token>& tokens, std::size_t begin, std::size_t end,
                AddressQuery& q) {
  std::size_t street_end = end;
  bool in_town = false;
  for (std::size_t i = begin; i < end; ++i) {
    const std::string& t = tokens[i].text;
    if (isPostcode(t)) {
      q.postcode = t;
      street_end = std::min(street_end, i);
      q.town_key = nameKey(join(tokens, i + 1, end));
      break;
    }
    if (i > begin && tokens[i].after_comma) {
      street_end = std::min(street_end, i);
      in_town = true;
    }
    if (i > begin && q.number.empty() && street_end == end) {
      if (auto n = houseNumber(t)) {
        q.number = *n;
        street_end = i;
        if (i + 1 < end && isSingleLetter(tokens[i + 1].text) && !tokens[i + 1].after_comma &&
            n->find_first_not_of("0123456789") == std::string::npos) {
          q.number += nameKey(tokens[i + 1].text);
          ++i;
        }
        continue;
      }
    }
    if (in_town) {
      // Words after a comma: the town ("…, Ebersberg"). Words after the number without a comma
      // ("Marienplatz 1 Ebersberg", "30 cm") are not trusted as a town.
      const std::string key = nameKey(t);
      if (!key.empty() && !houseNumber(t)) {
        q.town_key += key;
      }
    }
  }
  q.street = join(tokens, begin, street_end);
  q.street_key = nameKey(q.street);
  q.bare_key = nameKey(join(tokens, skipPrepositions(tokens, begin, street_end), street_end));
}

}  // namespace

std::string nameKey(std::string_view name) {
  std::string key;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c >= 'A' && c <= 'Z') {
      key += static_cast<char>(c - 'A' + 'a');
    } else if ((c >= 'a' && c <= 'z') || isDigit(static_cast<char>(c))) {
      key += static_cast<char>(c);
    } else if (c == 0xC3 && i + 1 < name.size()) {
      key += latin1(static_cast<unsigned char>(name[++i]));
    } else if (c == 0xE1 && i + 2 < name.size() && static_cast<unsigned char>(name[i + 1]) == 0xBA &&
               static_cast<unsigned char>(name[i + 2]) == 0x9E) {
      key += "ss";  // ẞ
      i += 2;
    }
  }
  if (endsWith(key, "str")) {
    key += "asse";
  } else if (endsWith(key, "strase")) {
    key.insert(key.size() - 2, "s");
  }
  return key;
}

std::string numberKey(std::string_view number) {
  std::string key;
  for (const char c : number) {
    if (isDigit(c)) {
      key += c;
    } else if (isAsciiLetter(c)) {
      key += static_cast<char>(c | 0x20);
    }
  }
  return key;
}

std::size_t editDistance(std::string_view a, std::string_view b, std::size_t bound) {
  const std::size_t diff = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (diff > bound) {
    return bound + 1;
  }
  std::vector<std::size_t> prev(b.size() + 1);
  std::vector<std::size_t> cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    prev[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    std::size_t row_min = cur[0];
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitute = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, substitute});
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > bound) {
      return bound + 1;
    }
    std::swap(prev, cur);
  }
  return std::min(prev[b.size()], bound + 1);
}

std::size_t typoAllowance(std::size_t key_length) {
  if (key_length < 5) {
    return 0;
  }
  return std::min<std::size_t>(3, key_length / 5);
}

std::optional<AddressQuery> parseAddress(std::string_view text) {
  if (text.size() > kMaxQueryBytes) {
    return std::nullopt;
  }
  const std::vector<Token> tokens = tokenize(text);
  AddressQuery q;
  // "Ecke A / B", "A Ecke B", "A / B", "A und B": an intersection of two streets.
  std::size_t split = tokens.size();
  for (std::size_t i = 1; i + 1 < tokens.size(); ++i) {
    if (tokens[i].text == "/" || isWord(tokens[i].text, {"ecke", "und", "corner", "and"})) {
      split = i;
      break;
    }
  }
  if (split < tokens.size()) {
    AddressQuery first;
    readSingle(tokens, 0, split, first);
    AddressQuery second;
    readSingle(tokens, split + 1, tokens.size(), second);
    if (!first.street_key.empty() && !second.street_key.empty()) {
      q = first;
      q.number.clear();
      q.cross_street = second.street;
      q.cross_key = second.street_key;
      if (q.postcode.empty()) {
        q.postcode = second.postcode;
      }
      if (q.town_key.empty()) {
        q.town_key = second.town_key;
      }
      return q;
    }
  }
  readSingle(tokens, 0, tokens.size(), q);
  if (q.street_key.empty() ||
      std::all_of(q.street_key.begin(), q.street_key.end(), isDigit)) {
    return std::nullopt;
  }
  return q;
}

}  // namespace bb::geo
