#pragma once
// The SQLite core: one writer connection behind a group-commit queue, a small pool of readers.
// Every write job runs in its own SAVEPOINT inside a shared transaction; one COMMIT (one disk
// flush under synchronous=FULL) serves every job of the batch, and no job's caller is answered
// before that commit is durable.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bot/result.hpp"

struct sqlite3;

namespace SQLite {
class Database;
class Statement;
}

namespace bb::storage {

struct DatabaseOptions {
  std::string path;                  //!< file path, or ":memory:"-like names are NOT supported (WAL)
  std::string synchronous = "FULL";  //!< FULL or NORMAL
  int readers = 4;
  int busy_timeout_ms = 5000;
  std::size_t max_queued_jobs = 20000;  //!< beyond this, writes fail fast with Unavailable (→ 503)
  std::size_t max_batch = 1024;         //!< jobs per transaction
  //! Tests only (storage fault injection): while this file exists and starts with "readonly", the writer runs
  //! with PRAGMA query_only, so every write fails the way a read-only database does. Empty: off.
  std::string fault_file;
  //! Benchmarks and tests only: every sync (fdatasync) waits this long first, as on a slow disk
  //! (storage/sync_delay_vfs.hpp). 0: the default VFS.
  int sync_delay_us = 0;
  //! WAL pages after which the checkpointer copies the WAL back into the database. The copy runs
  //! on its own thread and connection: SQLite's automatic checkpoint ran inside the writer's
  //! commit and held every waiting write (and every acknowledgement) for its page writes and
  //! flushes.
  int checkpoint_pages = 1000;
};

//! Work for the writer thread. `run` executes inside a savepoint; throwing rolls back only this
//! job. `after_commit` runs on the writer thread after the batch committed, in submission order.
struct WriteJob {
  std::function<void(SQLite::Database&)> run;
  std::function<void()> after_commit;
};

struct DatabaseStats {
  std::uint64_t commits = 0;
  std::uint64_t jobs = 0;
  std::size_t queue_depth = 0;
  std::uint64_t checkpoints = 0;         //!< checkpoints the checkpointer thread completed
  std::uint64_t writer_checkpoints = 0;  //!< checkpoints the writer ran itself (WAL too long)
};

class Database {
public:
  //! Opens (creating if needed) the file with WAL, foreign keys, busy timeout and the chosen
  //! synchronous mode, and starts the writer thread. Does not migrate.
  static Result<std::unique_ptr<Database>> open(const DatabaseOptions& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  //! Runs `job` on the writer and waits until its batch is committed.
  Result<void> write(WriteJob job);
  Result<void> write(std::function<void(SQLite::Database&)> run) {
    return write(WriteJob{std::move(run), nullptr});
  }
  //! Queues `job` without waiting: `done` runs with the job's result on the writer thread after
  //! its batch committed (or failed), or at once on this thread when the queue refuses it. For
  //! callers that have other work than waiting for a flush (the outbox's send threads). `done`
  //! must be short and must not write to this database.
  void submit(WriteJob job, std::function<void(Result<void>)> done);

  //! A statement compiled once and kept on the writer connection, reset and unbound for reuse.
  //! Only inside a write job (on the writer thread, `writer` is the job's connection), and not
  //! while another use of the same SQL is still stepping: the hot statements of ingest.
  SQLite::Statement& writerStatement(SQLite::Database& writer, const std::string& sql);

  //! A statement of `sql` kept on reader connection `reader` (only inside read(), with the
  //! reader it passed): compiled once per connection, so a hot query does not pay SQLite's
  //! compiler on every call. nullptr for a connection that is not a reader or once the reader
  //! keeps kMaxReaderStatements texts (SQL built at run time): compile for this use then. The
  //! caller must reset it after use, or it holds a read snapshot (ReaderQuery in rows.hpp).
  SQLite::Statement* readerStatement(SQLite::Database& reader, const std::string& sql);
  static constexpr std::size_t kMaxReaderStatements = 256;

  //! Runs `fn` with a reader connection (a snapshot of committed data).
  template <class F>
  auto read(F&& fn) -> Result<decltype(fn(std::declval<SQLite::Database&>()))>;

  //! Runs `fn` directly on the writer connection outside the queue (startup, migrations only).
  Result<void> exclusive(const std::function<void(SQLite::Database&)>& fn);

  //! True when a reader can answer `SELECT 1` and the writer is running.
  bool healthy();
  //! Stops accepting jobs, commits what is queued, stops the writer, closes connections.
  void close();

  DatabaseStats stats() const;

private:
  explicit Database(DatabaseOptions options);
  struct Pending {
    WriteJob job;
    std::promise<Result<void>> done;
    bool exclusive = false;  //!< runs alone, outside a shared transaction (migrations)
    std::function<void(Result<void>)> then;  //!< submit(): called instead of waiting on `done`
  };
  void finish(Pending& p, Result<void> result);
  void writerLoop();
  //! The writer's WAL hook: after each commit, wakes the checkpointer once the WAL holds
  //! checkpoint_pages pages (it replaces SQLite's automatic checkpoint on the writer).
  static int onWalCommit(void* self, ::sqlite3* db, const char* name, int pages);
  void checkpointLoop();
  void applyFaultFile();
  SQLite::Database* acquireReader();
  void releaseReader(SQLite::Database* db);
  Result<void> failure(const std::exception& e, const char* what);

  struct WriterStatements;
  struct ReaderStatements;

  DatabaseOptions options_;
  std::unique_ptr<SQLite::Database> writer_;
  std::unique_ptr<WriterStatements> control_;
  std::vector<std::unique_ptr<SQLite::Database>> readers_;
  std::vector<std::unique_ptr<ReaderStatements>> reader_statements_;  //!< one per reader
  std::vector<SQLite::Database*> free_readers_;
  std::mutex readers_mutex_;
  std::condition_variable readers_cv_;

  mutable std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::atomic<bool> closed_{false};
  std::thread writer_thread_;
  std::unique_ptr<SQLite::Database> checkpointer_;
  std::thread checkpoint_thread_;
  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;
  bool checkpoint_stopping_ = false;
  std::atomic<std::uint64_t> checkpoints_{0};
  std::atomic<std::uint64_t> writer_checkpoints_{0};
  //! At this many times checkpoint_pages the writer checkpoints itself (see onWalCommit): the
  //! WAL's bound. Each of those checkpoints holds a batch's answers (2: 19 ms ingest p99 at
  //! 500 µs a sync, 4: 16 ms; docs/performance.md).
  static constexpr int kWriterCheckpointFactor = 4;
  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> jobs_{0};
  bool fault_readonly_ = false;
};

//! Classifies an SQLite failure: busy/locked/full/readonly/io → Unavailable (retry later).
Error sqliteError(const std::exception& e, const char* what);

template <class F>
auto Database::read(F&& fn) -> Result<decltype(fn(std::declval<SQLite::Database&>()))> {
  using T = decltype(fn(std::declval<SQLite::Database&>()));
  if (closed_.load()) { return fail(ErrorCode::Unavailable, "database closed"); }
  SQLite::Database* db = acquireReader();
  if (db == nullptr) { return fail(ErrorCode::Unavailable, "database closed"); }
  struct Release {
    Database* self;
    SQLite::Database* db;
    ~Release() { self->releaseReader(db); }
  } release{this, db};
  try {
    if constexpr (std::is_void_v<T>) {
      fn(*db);
      return Result<void>();
    } else {
      return Result<T>(fn(*db));
    }
  } catch (const std::exception& e) {
    return Unexpected<Error>{sqliteError(e, "read")};
  }
}

}  // namespace bb::storage
