#include "storage/readiness.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

namespace bb::storage {

Result<void> probeWrite(Database& database) {
  // A changed value every time: only a written page meets a full disk.
  return database.write([](SQLite::Database& db) {
    db.exec("INSERT INTO meta (key, value) VALUES ('ready_probe', '1') ON CONFLICT (key) "
            "DO UPDATE SET value = CAST(value AS INTEGER) % 1000000 + 1");
  });
}

}  // namespace bb::storage
