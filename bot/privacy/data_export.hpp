#pragma once
// The citizen's copy of their data (Art. 15 and 20 GDPR, "meine daten"): the chat answers with a
// readable summary and a single-use link, valid for 24 hours, to one JSON file with every row
// held about the citizen (schema: docs/api/citizen-export.schema.json). The file is built when
// the link is used, from the rows as they are then; nothing is copied in advance, so an unused
// link holds no data and erasure needs to remove only the link row.

#include <chrono>
#include <optional>
#include <string>

#include "bot/result.hpp"
#include "bot/types.hpp"

namespace bb {

//! How long an export link stays valid.
inline constexpr std::chrono::hours kExportLinkLifetime{24};

//! The path of the export page for `token` (the secret in the link, 32 hex digits).
inline std::string exportLinkPath(const std::string& token) { return "/meine-daten/" + token; }

//! What is stored about a link: only the SHA-256 of its token, never the token itself.
std::string exportTokenHash(const std::string& token);

//! A link the step hands out, stored in the step's transaction.
struct NewExportLink {
  std::string token_hash;
  SysTime expires_at{};
};

//! A stored, unused and valid link.
struct ExportLink {
  std::string pseudonym;
  SysTime expires_at{};
};

//! Storage port of the export.
class DataExportStore {
public:
  virtual ~DataExportStore() = default;
  //! The link with `token_hash` when it is unused and valid at `now`.
  virtual Result<std::optional<ExportLink>> exportLink(const std::string& token_hash,
                                                       SysTime now) = 0;
  //! Uses the link up (deletes it); true only for the one call that did, while it was valid.
  virtual Result<bool> useExportLink(const std::string& token_hash, SysTime now) = 0;
  //! The export document (JSON text) of everything held about `pseudonym` at `now`.
  virtual Result<std::string> exportDocument(const std::string& pseudonym, SysTime now) = 0;
};

}  // namespace bb
