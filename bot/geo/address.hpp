#pragma once
// What people type as an address, taken apart: keys that ignore case, umlaut spellings, "Str."
// and spacing, the house number with its suffix, postcode and town, "Ecke A / B", "am Rathaus".
// Pure functions; the gazetteer (bot/geo/gazetteer.hpp) matches the keys against its streets.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace bb::geo {

//! A key for comparing names: lower case, ä→ae ö→oe ü→ue ß→ss, letters and digits only, a
//! trailing "str" / "strasse" written as "strasse" ("Dr.-Wintrich-Str." → "drwintrichstrasse",
//! "Ebersberger Straße" → "ebersbergerstrasse").
std::string nameKey(std::string_view name);

//! A house number's key: digits and a lower-case suffix without spaces ("12 A" → "12a").
std::string numberKey(std::string_view number);

//! Levenshtein distance between two keys, computed up to `bound`; anything larger is bound + 1.
std::size_t editDistance(std::string_view a, std::string_view b, std::size_t bound);

//! The typos a key of this length tolerates: none below 5 characters, then one per 5 (max 3).
std::size_t typoAllowance(std::size_t key_length);

struct AddressQuery {
  std::string street;         //!< as typed, e.g. "Marienplatzz" (or a place: "Rathaus")
  std::string street_key;     //!< nameKey(street)
  //! The key without leading words such as "am", "beim", "Ecke" ("beim Bahnhof" → "bahnhof");
  //! tried after street_key, since many streets begin with "Am".
  std::string bare_key;
  std::string number;         //!< numberKey of the house number, empty when none
  std::string postcode;       //!< five digits when typed
  std::string town_key;       //!< nameKey of the town when typed ("ebersberg", "muenchen")
  std::string cross_key;      //!< the second street of "Ecke A / B"; empty: not an intersection
  std::string cross_street;   //!< as typed
};

//! Takes typed text apart. Nullopt when there is no name in it at all ("ca. 30 cm", "12").
std::optional<AddressQuery> parseAddress(std::string_view text);

}  // namespace bb::geo
