#pragma once
// The CaseStore of a test's backend: SqliteCaseStore or PgCaseStore on the database the harness
// (or the test storage) opened, for case queue and back-office tests that run on both.

#include <memory>

#include "bot/cases/case_store.hpp"
#include "storage/case_statements.hpp"
#include "support/engine_harness.hpp"

namespace bb::test {

//! On `h`'s database (h.db or h.pg); valid until the harness closes or restarts it.
std::unique_ptr<CaseStore> caseStoreOf(EngineHarness& h,
                                       double grid_m = storage::kDefaultPublicGridM);

}  // namespace bb::test
