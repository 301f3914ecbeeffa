#pragma once
// The citizen's export document (bot/privacy/data_export.hpp) as both backends build it: the
// sections with their SQL (portable: the citizen's pseudonym as :p, which PostgreSQL's side
// turns into $1), the tables they read, and how a column's value becomes the document's value.
// Internal to storage/.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bot/types.hpp"

namespace bb::storage {

//! One part of the document: `sql` selects the citizen's rows with their pseudonym as :p.
//! Column names are the document's keys.
struct ExportSection {
  const char* key;
  const char* sql;
  bool single;  //!< one object (or null) instead of an array
};

const std::vector<ExportSection>& exportSections();

//! Every table the document reads (a test checks that each table with a column linking a row
//! to a person is among them, so a new table cannot be left out of the export unnoticed).
const std::vector<std::string>& exportTablesRead();

//! A column's value as either database hands it over.
struct ExportCell {
  enum class Kind { Null, Integer, Real, Text } kind = Kind::Null;
  std::int64_t integer = 0;
  double real = 0;
  std::string text;
};

//! The document's value of column `name`: a name ending in "_at" holding an integer is a time
//! (RFC 3339, UTC); "payload" and "data" hold JSON and are embedded as values; "actor" names
//! only the kind ("staff:anna" → "staff": a login is the staff member's data, not the citizen's).
nlohmann::json exportValue(const ExportCell& cell, std::string_view name);

//! The document's frame: format, version, generation time and the pseudonym.
nlohmann::json exportFrame(const std::string& pseudonym, SysTime now);

}  // namespace bb::storage
