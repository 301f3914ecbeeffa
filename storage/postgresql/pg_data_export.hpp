#pragma once
// PostgreSQL side of the citizen's data export (bot/privacy/data_export.hpp): the same sections
// as SQLite's (storage/data_export_sections.hpp), read in one snapshot.

#include <string>

#include "bot/privacy/data_export.hpp"
#include "storage/postgresql/pg_database.hpp"

namespace bb::storage::pg {

class PgDataExport final : public DataExportStore {
public:
  explicit PgDataExport(PgDatabase& db) : db_(db) {}

  Result<std::optional<ExportLink>> exportLink(const std::string& token_hash,
                                               SysTime now) override;
  Result<bool> useExportLink(const std::string& token_hash, SysTime now) override;
  Result<std::string> exportDocument(const std::string& pseudonym, SysTime now) override;

private:
  PgDatabase& db_;
};

}  // namespace bb::storage::pg
