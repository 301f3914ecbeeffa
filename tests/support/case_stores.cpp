#include "support/case_stores.hpp"

#include "storage/postgresql/pg_case_store.hpp"
#include "storage/sqlite_case_store.hpp"

namespace bb::test {

std::unique_ptr<CaseStore> caseStoreOf(EngineHarness& h, double grid_m) {
  if (h.pg) { return std::make_unique<storage::pg::PgCaseStore>(*h.pg, grid_m); }
  REQUIRE(h.db);
  return std::make_unique<storage::SqliteCaseStore>(*h.db, grid_m);
}

}  // namespace bb::test
