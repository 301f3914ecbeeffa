#include "storage/postgresql/pg_key_rotation.hpp"

#include <stdexcept>

namespace bb::storage::pg {
namespace {

//! Re-seals `table`'s address_ct/key_id where the key id is not current; `where` narrows the
//! rows (final outbox rows have their address wiped).
int rotateColumns(Session& s, const std::string& table, const std::string& key_column,
                  const std::string& where, AddressResealer& resealer) {
  const std::string& current = resealer.currentKeyId();
  resealer.report.already_current += static_cast<int>(
      s.run("SELECT count(*) FROM " + table + " WHERE " + where + " AND key_id = $1", current)
          .int64(0, 0));
  Rows rows = s.run("SELECT " + key_column + "::text, address_ct, key_id FROM " + table +
                        " WHERE " + where + " AND key_id <> $1 FOR UPDATE",
                    current);
  const std::string update = "UPDATE " + table + " SET address_ct = $1, key_id = $2 WHERE " +
                             key_column + "::text = $3";
  int done = 0;
  for (int i = 0; i < rows.size(); ++i) {
    auto sealed = resealer.reseal(rows.bytes(i, 1), rows.text(i, 2));
    if (!sealed) { continue; }
    s.run(update, Bytes{sealed->ciphertext}, sealed->key_id, rows.text(i, 0));
    ++done;
  }
  return done;
}

int rotateInbound(Session& s, AddressResealer& resealer) {
  Rows rows = s.run("SELECT id, payload FROM inbound_events WHERE payload IS NOT NULL "
                    "FOR UPDATE");
  int done = 0;
  for (int i = 0; i < rows.size(); ++i) {
    auto resealed = resealer.resealPayload(rows.text(i, 1));
    if (!resealed) { continue; }
    s.run("UPDATE inbound_events SET payload = $1 WHERE id = $2", *resealed, rows.int64(i, 0));
    ++done;
  }
  return done;
}

}  // namespace

Result<RotationReport> reencryptAddresses(PgDatabase& db, const std::string& current_key_id,
                                          const OpenSealed& open, const SealCurrent& seal) {
  AddressResealer resealer(current_key_id, open, seal);
  auto written = db.transaction([&](Session& s) {
    resealer.reset();
    resealer.report.citizens = rotateColumns(s, "citizens", "pseudonym", "true", resealer);
    resealer.report.outbox =
        rotateColumns(s, "outbox", "id", "length(address_ct) > 0", resealer);
    resealer.report.inbound_events = rotateInbound(s, resealer);
    if (resealer.anyUnreadable()) {
      // Throwing rolls the transaction back: a half-rotated database would need both keys.
      throw std::runtime_error("unreadable");
    }
  });
  return resealer.answer(written);
}

}  // namespace bb::storage::pg
