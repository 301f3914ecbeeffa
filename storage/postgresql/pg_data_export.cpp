#include "storage/postgresql/pg_data_export.hpp"

#include <charconv>

#include <nlohmann/json.hpp>

#include "storage/data_export_sections.hpp"
#include "storage/millis.hpp"

namespace bb::storage::pg {

namespace {

using nlohmann::json;

// PostgreSQL's type oids (pg_type.h) of the columns the sections read.
constexpr unsigned kInt8 = 20;
constexpr unsigned kInt2 = 21;
constexpr unsigned kInt4 = 23;
constexpr unsigned kFloat4 = 700;
constexpr unsigned kFloat8 = 701;

//! The section's SQL with the pseudonym as $1 (the shared text names it :p).
std::string withPlaceholder(std::string sql) {
  for (auto at = sql.find(":p"); at != std::string::npos; at = sql.find(":p", at + 2)) {
    sql.replace(at, 2, "$1");
  }
  return sql;
}

ExportCell cellOf(const Rows& rows, int row, int column) {
  ExportCell cell;
  if (rows.isNull(row, column)) { return cell; }
  const unsigned type = rows.columnType(column);
  if (type == kInt8 || type == kInt2 || type == kInt4) {
    cell.kind = ExportCell::Kind::Integer;
    cell.integer = rows.int64(row, column);
  } else if (type == kFloat8 || type == kFloat4) {
    const std::string text = rows.text(row, column);
    cell.kind = ExportCell::Kind::Real;
    std::from_chars(text.data(), text.data() + text.size(), cell.real);
  } else {
    cell.kind = ExportCell::Kind::Text;
    cell.text = rows.text(row, column);
  }
  return cell;
}

json sectionRows(Session& s, const ExportSection& section, const std::string& pseudonym) {
  Rows rows = s.run(withPlaceholder(section.sql), pseudonym);
  json out = json::array();
  for (int r = 0; r < rows.size(); ++r) {
    json row = json::object();
    for (int c = 0; c < rows.columns(); ++c) {
      const std::string name = rows.columnName(c);
      row[name] = exportValue(cellOf(rows, r, c), name);
    }
    out.push_back(std::move(row));
  }
  if (!section.single) { return out; }
  return out.empty() ? json(nullptr) : out.front();
}

}  // namespace

Result<std::optional<ExportLink>> PgDataExport::exportLink(const std::string& token_hash,
                                                           SysTime now) {
  return db_.withConnection([&](Session& s) -> std::optional<ExportLink> {
    Rows rows = s.run("SELECT pseudonym, expires_at FROM data_exports "
                      "WHERE token_hash = $1 AND expires_at > $2",
                      token_hash, toMillis(now));
    if (rows.empty()) { return std::nullopt; }
    return ExportLink{rows.text(0, 0), fromMillis(rows.int64(0, 1))};
  });
}

Result<bool> PgDataExport::useExportLink(const std::string& token_hash, SysTime now) {
  // One statement: of two uses at once, PostgreSQL lets exactly one delete the row.
  return db_.withConnection([&](Session& s) {
    return s.run("DELETE FROM data_exports WHERE token_hash = $1 AND expires_at > $2",
                 token_hash, toMillis(now))
               .affected() == 1;
  });
}

Result<std::string> PgDataExport::exportDocument(const std::string& pseudonym, SysTime now) {
  return db_.transaction([&](Session& s) {
    // One snapshot for every section.
    s.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
    json doc = exportFrame(pseudonym, now);
    for (const ExportSection& section : exportSections()) {
      doc[section.key] = sectionRows(s, section, pseudonym);
    }
    return doc.dump(2);
  });
}

}  // namespace bb::storage::pg
