#include "storage/key_rotation.hpp"

#include <set>
#include <stdexcept>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

namespace bb::storage {
namespace {

struct Unreadable {
  int count = 0;
  std::set<std::string> key_ids;
};

//! Re-seals the `address_ct`/`key_id` columns of `table` where the key id is not current.
//! `where` narrows the rows (e.g. outbox rows whose address was wiped are skipped).
int rotateColumns(SQLite::Database& db, const std::string& table, const std::string& key_column,
                  const std::string& where, const std::string& current_key_id,
                  const OpenSealed& open, const SealCurrent& seal, Unreadable& unreadable,
                  int& already_current) {
  {
    SQLite::Statement count(db, "SELECT count(*) FROM " + table + " WHERE " + where +
                                    " AND key_id = ?1");
    count.bind(1, current_key_id);
    if (count.executeStep()) { already_current += count.getColumn(0).getInt(); }
  }
  struct Row {
    std::string key;
    std::string ciphertext;
    std::string key_id;
  };
  std::vector<Row> rows;
  {
    SQLite::Statement q(db, "SELECT " + key_column + ", address_ct, key_id FROM " + table +
                                " WHERE " + where + " AND key_id <> ?1");
    q.bind(1, current_key_id);
    while (q.executeStep()) {
      const auto blob = q.getColumn(1);
      rows.push_back({q.getColumn(0).getString(),
                      std::string(static_cast<const char*>(blob.getBlob()),
                                  static_cast<std::size_t>(blob.getBytes())),
                      q.getColumn(2).getString()});
    }
  }
  SQLite::Statement update(db, "UPDATE " + table + " SET address_ct = ?1, key_id = ?2 WHERE " +
                                   key_column + " = ?3");
  int done = 0;
  for (const auto& row : rows) {
    auto plain = open(row.ciphertext, row.key_id);
    if (!plain) {
      ++unreadable.count;
      unreadable.key_ids.insert(row.key_id);
      continue;
    }
    const crypto::Sealed sealed = seal(*plain);
    update.reset();
    update.bind(1, sealed.ciphertext.data(), static_cast<int>(sealed.ciphertext.size()));
    update.bind(2, sealed.key_id);
    update.bind(3, row.key);
    update.exec();
    ++done;
  }
  return done;
}

//! Pending inbound events keep the sealed address in their JSON payload ("addr" hex, "key_id").
int rotateInbound(SQLite::Database& db, const std::string& current_key_id, const OpenSealed& open,
                  const SealCurrent& seal, Unreadable& unreadable, int& already_current) {
  std::vector<std::pair<std::int64_t, std::string>> rows;
  {
    SQLite::Statement q(db, "SELECT id, payload FROM inbound_events WHERE payload IS NOT NULL");
    while (q.executeStep()) { rows.emplace_back(q.getColumn(0).getInt64(), q.getColumn(1).getString()); }
  }
  SQLite::Statement update(db, "UPDATE inbound_events SET payload = ?1 WHERE id = ?2");
  int done = 0;
  for (auto& [id, payload] : rows) {
    auto j = nlohmann::json::parse(payload, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("addr") || !j.contains("key_id")) {
      continue;  // not a sealed payload (nothing to rotate)
    }
    const std::string key_id = j.value("key_id", "");
    if (key_id == current_key_id) {
      ++already_current;
      continue;
    }
    auto ciphertext = crypto::fromHex(j.value("addr", ""));
    auto plain = ciphertext ? open(*ciphertext, key_id) : Result<std::string>(fail(ErrorCode::Internal));
    if (!plain) {
      ++unreadable.count;
      unreadable.key_ids.insert(key_id);
      continue;
    }
    const crypto::Sealed sealed = seal(*plain);
    j["addr"] = crypto::toHex(sealed.ciphertext);
    j["key_id"] = sealed.key_id;
    update.reset();
    update.bind(1, j.dump());
    update.bind(2, id);
    update.exec();
    ++done;
  }
  return done;
}

}  // namespace

Result<RotationReport> reencryptAddresses(Database& db, const std::string& current_key_id,
                                          const OpenSealed& open, const SealCurrent& seal) {
  RotationReport report;
  Unreadable unreadable;
  auto written = db.write([&](SQLite::Database& raw) {
    report = {};
    unreadable = {};
    report.citizens = rotateColumns(raw, "citizens", "pseudonym", "1", current_key_id, open, seal,
                                    unreadable, report.already_current);
    // Final outbox rows have their address wiped (X''): nothing left to rotate there.
    report.outbox = rotateColumns(raw, "outbox", "id", "length(address_ct) > 0", current_key_id,
                                  open, seal, unreadable, report.already_current);
    report.inbound_events =
        rotateInbound(raw, current_key_id, open, seal, unreadable, report.already_current);
    if (unreadable.count > 0) {
      // Throwing rolls this job back: a half-rotated database would need both keys forever.
      throw std::runtime_error("unreadable");
    }
  });
  if (unreadable.count > 0) {
    std::string ids;
    for (const auto& id : unreadable.key_ids) { ids += (ids.empty() ? "" : ", ") + id; }
    return fail(ErrorCode::Internal,
                std::to_string(unreadable.count) + " sealed values use a key that is not configured (key ids: " +
                    ids + "); add it to privacy.previous_encryption_keys. Nothing was changed.");
  }
  if (!written) { return fail(written.error().code, written.error().detail); }
  return report;
}

}  // namespace bb::storage
