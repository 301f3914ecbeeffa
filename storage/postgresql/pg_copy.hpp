#pragma once
// Moving an installation from SQLite to PostgreSQL (`buergerbox migrate-to-postgresql`): every
// table's rows copied in one PostgreSQL transaction, then compared table by table (row count and a
// checksum over the rows' values) before that transaction commits. Nothing is committed when a
// single table differs.

#include <cstdint>
#include <string>
#include <vector>

#include "bot/result.hpp"
#include "storage/postgresql/pg_database.hpp"

namespace SQLite {
class Database;
}

namespace bb::storage::pg {

//! One table on both sides. The checksum is a sum of per-row SHA-256 prefixes over the values
//! as both databases hold them (integers, doubles, text, bytes; NULL distinct from empty), so
//! it does not depend on the order in which either database returns the rows.
struct TableComparison {
  std::string table;
  std::int64_t sqlite_rows = 0;
  std::int64_t postgres_rows = 0;
  std::string sqlite_checksum;
  std::string postgres_checksum;
  bool matches() const {
    return sqlite_rows == postgres_rows && sqlite_checksum == postgres_checksum;
  }
};

struct CopyReport {
  std::vector<TableComparison> tables;
  bool matches() const;
};

//! Every table of the SQLite schema with its rows, compared with the same table on PostgreSQL.
//! Internal when the two schemas differ (a table or column missing on one side).
Result<CopyReport> compareDatabases(SQLite::Database& sqlite, Session& postgres);

//! Copies every row of `sqlite` (migrated to this build's schema; a snapshot: it reads in one
//! transaction) into `postgres` (migrated, and empty: InvalidInput otherwise), sets the identity
//! sequences past every id SQLite ever gave out, and commits only when compareDatabases matches
//! for every table (Conflict with the report's first difference otherwise).
Result<CopyReport> copySqliteToPostgres(SQLite::Database& sqlite, PgDatabase& postgres);

}  // namespace bb::storage::pg
