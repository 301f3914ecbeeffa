#include "support/gazetteer_backend.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/migrations.hpp"
#include "storage/postgresql/pg_gazetteer.hpp"
#include "storage/sqlite_gazetteer.hpp"

namespace bb::test {

GazetteerOn::GazetteerOn(Backend backend) {
  if (backend == Backend::Postgresql) {
    pg = openPostgres(migratedPostgres());
    gazetteer = std::make_unique<storage::pg::PgGazetteer>(*pg, clock);
    return;
  }
  storage::DatabaseOptions o;
  o.path = dir.path() + "/db.sqlite";
  auto opened = storage::Database::open(o);
  REQUIRE(opened.has_value());
  db = std::move(*opened);
  Result<int> version = fail(ErrorCode::Internal);
  REQUIRE(db->exclusive([&](SQLite::Database& raw) { version = storage::migrate(raw); }));
  REQUIRE(version.has_value());
  gazetteer = std::make_unique<storage::SqliteGazetteer>(*db, clock);
}

GazetteerOn::~GazetteerOn() {
  gazetteer.reset();
  if (db) { db->close(); }
  pg.reset();
}

geo::ForwardResult GazetteerOn::find(const std::string& text) {
  auto r = gazetteer->forward(text);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().detail));
  return *r;
}

}  // namespace bb::test
