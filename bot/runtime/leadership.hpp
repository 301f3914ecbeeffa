#pragma once
// Which instance runs the cluster-wide jobs (retention, subscription retention, scheduled
// broadcasts, OParl polling, the staff digest): one at a time, however many instances share the
// database. A job asks before each run and skips the run when another instance leads. With
// SQLite there is one instance, and it always leads; on PostgreSQL an advisory lock decides
// (storage/postgresql/pg_leadership.hpp).

namespace bb {

class Leadership {
public:
  virtual ~Leadership() = default;
  //! True while this instance may run the cluster-wide jobs. May take the lead (or find it lost)
  //! on the way, so it can block for a round trip to the database.
  virtual bool leads() = 0;
};

//! The only instance: leads always (the SQLite backend).
class SoleInstance final : public Leadership {
public:
  bool leads() override { return true; }
};

}  // namespace bb
