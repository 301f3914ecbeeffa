#include "storage/sqlite_data_export.hpp"

#include <nlohmann/json.hpp>
#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/data_export_sections.hpp"
#include "storage/millis.hpp"

namespace bb::storage {
namespace {

using nlohmann::json;

ExportCell cellOf(const SQLite::Column& c) {
  ExportCell cell;
  if (c.isNull()) { return cell; }
  if (c.isInteger()) {
    cell.kind = ExportCell::Kind::Integer;
    cell.integer = c.getInt64();
  } else if (c.isFloat()) {
    cell.kind = ExportCell::Kind::Real;
    cell.real = c.getDouble();
  } else {
    cell.kind = ExportCell::Kind::Text;
    cell.text = c.getString();
  }
  return cell;
}

json sectionRows(SQLite::Database& db, const ExportSection& s, const std::string& pseudonym) {
  SQLite::Statement q(db, s.sql);
  q.bind(":p", pseudonym);
  json rows = json::array();
  while (q.executeStep()) {
    json row = json::object();
    for (int i = 0; i < q.getColumnCount(); ++i) {
      const std::string name = q.getColumnName(i);
      row[name] = exportValue(cellOf(q.getColumn(i)), name);
    }
    rows.push_back(std::move(row));
  }
  if (!s.single) { return rows; }
  return rows.empty() ? json(nullptr) : rows.front();
}

}  // namespace

const std::vector<std::string>& SqliteDataExport::tablesRead() { return exportTablesRead(); }

Result<std::optional<ExportLink>> SqliteDataExport::exportLink(const std::string& token_hash,
                                                               SysTime now) {
  return db_.read([&](SQLite::Database& db) -> std::optional<ExportLink> {
    SQLite::Statement q(db,
                        "SELECT pseudonym, expires_at FROM data_exports "
                        "WHERE token_hash = ? AND expires_at > ?");
    q.bind(1, token_hash);
    q.bind(2, toMillis(now));
    if (!q.executeStep()) { return std::nullopt; }
    return ExportLink{q.getColumn(0).getString(), fromMillis(q.getColumn(1).getInt64())};
  });
}

Result<bool> SqliteDataExport::useExportLink(const std::string& token_hash, SysTime now) {
  bool used = false;
  auto written = db_.write([&](SQLite::Database& db) {
    SQLite::Statement q(db, "DELETE FROM data_exports WHERE token_hash = ? AND expires_at > ?");
    q.bind(1, token_hash);
    q.bind(2, toMillis(now));
    used = q.exec() == 1;
  });
  if (!written) { return fail(written.error().code, written.error().detail); }
  return used;
}

Result<std::string> SqliteDataExport::exportDocument(const std::string& pseudonym, SysTime now) {
  return db_.read([&](SQLite::Database& db) {
    // One snapshot for every section; read only, so it ends by rolling back.
    SQLite::Transaction snapshot(db);
    json doc = exportFrame(pseudonym, now);
    for (const ExportSection& s : exportSections()) {
      doc[s.key] = sectionRows(db, s, pseudonym);
    }
    return doc.dump(2);
  });
}

}  // namespace bb::storage
