#include "storage/key_rotation.hpp"

#include <stdexcept>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

namespace bb::storage {

std::optional<crypto::Sealed> AddressResealer::reseal(const std::string& ciphertext,
                                                      const std::string& key_id) {
  auto plain = open_(ciphertext, key_id);
  if (!plain) {
    ++unreadable_;
    unreadable_key_ids_.insert(key_id);
    return std::nullopt;
  }
  return seal_(*plain);
}

std::optional<std::string> AddressResealer::resealPayload(const std::string& payload) {
  auto j = nlohmann::json::parse(payload, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("addr") || !j.contains("key_id")) {
    return std::nullopt;  // not a sealed payload (nothing to rotate)
  }
  const std::string key_id = j.value("key_id", "");
  if (key_id == current_) {
    ++report.already_current;
    return std::nullopt;
  }
  auto ciphertext = crypto::fromHex(j.value("addr", ""));
  if (!ciphertext) {
    ++unreadable_;
    unreadable_key_ids_.insert(key_id);
    return std::nullopt;
  }
  auto sealed = reseal(*ciphertext, key_id);
  if (!sealed) { return std::nullopt; }
  j["addr"] = crypto::toHex(sealed->ciphertext);
  j["key_id"] = sealed->key_id;
  return j.dump();
}

void AddressResealer::reset() {
  report = {};
  unreadable_ = 0;
  unreadable_key_ids_.clear();
}

Result<RotationReport> AddressResealer::answer(const Result<void>& written) const {
  if (unreadable_ > 0) {
    std::string ids;
    for (const auto& id : unreadable_key_ids_) { ids += (ids.empty() ? "" : ", ") + id; }
    return fail(ErrorCode::Internal,
                std::to_string(unreadable_) +
                    " sealed values use a key that is not configured (key ids: " + ids +
                    "); add it to privacy.previous_encryption_keys. Nothing was changed.");
  }
  if (!written) { return fail(written.error().code, written.error().detail); }
  return report;
}

namespace {

//! Re-seals the `address_ct`/`key_id` columns of `table` where the key id is not current.
//! `where` narrows the rows (e.g. outbox rows whose address was wiped are skipped).
int rotateColumns(SQLite::Database& db, const std::string& table, const std::string& key_column,
                  const std::string& where, AddressResealer& resealer) {
  {
    SQLite::Statement count(db, "SELECT count(*) FROM " + table + " WHERE " + where +
                                    " AND key_id = ?1");
    count.bind(1, resealer.currentKeyId());
    if (count.executeStep()) { resealer.report.already_current += count.getColumn(0).getInt(); }
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
    q.bind(1, resealer.currentKeyId());
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
    auto sealed = resealer.reseal(row.ciphertext, row.key_id);
    if (!sealed) { continue; }
    update.reset();
    update.bind(1, sealed->ciphertext.data(), static_cast<int>(sealed->ciphertext.size()));
    update.bind(2, sealed->key_id);
    update.bind(3, row.key);
    update.exec();
    ++done;
  }
  return done;
}

//! Pending inbound events keep the sealed address in their JSON payload ("addr" hex, "key_id").
int rotateInbound(SQLite::Database& db, AddressResealer& resealer) {
  std::vector<std::pair<std::int64_t, std::string>> rows;
  {
    SQLite::Statement q(db, "SELECT id, payload FROM inbound_events WHERE payload IS NOT NULL");
    while (q.executeStep()) { rows.emplace_back(q.getColumn(0).getInt64(), q.getColumn(1).getString()); }
  }
  SQLite::Statement update(db, "UPDATE inbound_events SET payload = ?1 WHERE id = ?2");
  int done = 0;
  for (auto& [id, payload] : rows) {
    auto resealed = resealer.resealPayload(payload);
    if (!resealed) { continue; }
    update.reset();
    update.bind(1, *resealed);
    update.bind(2, id);
    update.exec();
    ++done;
  }
  return done;
}

}  // namespace

Result<RotationReport> reencryptAddresses(Database& db, const std::string& current_key_id,
                                          const OpenSealed& open, const SealCurrent& seal) {
  AddressResealer resealer(current_key_id, open, seal);
  auto written = db.write([&](SQLite::Database& raw) {
    resealer.reset();
    resealer.report.citizens = rotateColumns(raw, "citizens", "pseudonym", "1", resealer);
    // Final outbox rows have their address wiped (X''): nothing left to rotate there.
    resealer.report.outbox =
        rotateColumns(raw, "outbox", "id", "length(address_ct) > 0", resealer);
    resealer.report.inbound_events = rotateInbound(raw, resealer);
    if (resealer.anyUnreadable()) {
      // Throwing rolls this job back: a half-rotated database would need both keys forever.
      throw std::runtime_error("unreadable");
    }
  });
  return resealer.answer(written);
}

}  // namespace bb::storage
