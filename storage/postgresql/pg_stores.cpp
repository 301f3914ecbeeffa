// The stores on PostgreSQL (storage/stores.hpp): not every port has its PostgreSQL store yet.

#include "storage/stores.hpp"

namespace bb::storage {

Result<std::unique_ptr<Stores>> openPostgresqlStores(const config::Config&, const Clock&) {
  return fail(ErrorCode::Unavailable,
              "storage.backend postgresql: serve cannot run on PostgreSQL in this build yet");
}

}  // namespace bb::storage
