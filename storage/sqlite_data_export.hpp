#pragma once
// SQLite side of the citizen's data export (bot/privacy/data_export.hpp): the export links and
// the export document, read in one snapshot.

#include <string>
#include <vector>

#include "bot/privacy/data_export.hpp"
#include "storage/database.hpp"

namespace bb::storage {

class SqliteDataExport final : public DataExportStore {
public:
  explicit SqliteDataExport(Database& db) : db_(db) {}

  Result<std::optional<ExportLink>> exportLink(const std::string& token_hash,
                                               SysTime now) override;
  Result<bool> useExportLink(const std::string& token_hash, SysTime now) override;
  Result<std::string> exportDocument(const std::string& pseudonym, SysTime now) override;

  //! Every table the document reads (a test checks that each table with a column linking a row
  //! to a person is among them, so a new table cannot be left out of the export unnoticed).
  static const std::vector<std::string>& tablesRead();

private:
  Database& db_;
};

}  // namespace bb::storage
