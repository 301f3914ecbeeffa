#pragma once
// A gazetteer on a fresh, migrated database of either backend (SQLite in a temporary folder or
// a new database on the run's PostgreSQL server), with a fake clock: the store-level gazetteer
// tests run on both.

#include <memory>
#include <string>

#include "bot/geo/gazetteer.hpp"
#include "storage/database.hpp"
#include "storage/postgresql/pg_database.hpp"
#include "support/engine_harness.hpp"
#include "support/test_storage.hpp"

namespace bb::test {

struct GazetteerOn {
  explicit GazetteerOn(Backend backend);
  ~GazetteerOn();

  //! The answer to `text`, REQUIREd to be one.
  geo::ForwardResult find(const std::string& text);

  TempDir dir;
  FakeClock clock;
  std::unique_ptr<storage::Database> db;
  std::unique_ptr<storage::pg::PgDatabase> pg;
  std::unique_ptr<geo::Gazetteer> gazetteer;
};

}  // namespace bb::test
