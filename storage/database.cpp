#include "storage/database.hpp"

#include <sqlite3.h>

#include <fstream>
#include <unordered_map>

#include <SQLiteCpp/SQLiteCpp.h>

#include "bot/log.hpp"
#include "bot/runtime/threads.hpp"
#include "storage/sync_delay_vfs.hpp"

namespace bb::storage {
namespace {

void configure(SQLite::Database& db, const DatabaseOptions& options) {
  db.setBusyTimeout(options.busy_timeout_ms);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA foreign_keys = ON");
  db.exec(options.synchronous == "NORMAL" ? "PRAGMA synchronous = NORMAL"
                                          : "PRAGMA synchronous = FULL");
}

}  // namespace

Error sqliteError(const std::exception& e, const char* what) {
  if (const auto* se = dynamic_cast<const SQLite::Exception*>(&e)) {
    switch (se->getErrorCode()) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
      case SQLITE_FULL:
      case SQLITE_READONLY:
      case SQLITE_IOERR:
      case SQLITE_CANTOPEN:
      case SQLITE_PROTOCOL:
        return Error{ErrorCode::Unavailable, std::string(what) + ": " + se->getErrorStr()};
      case SQLITE_CONSTRAINT:
        return Error{ErrorCode::Conflict, std::string(what) + ": constraint"};
      default:
        return Error{ErrorCode::Internal, std::string(what) + ": " + se->getErrorStr()};
    }
  }
  return Error{ErrorCode::Internal, std::string(what) + ": " + e.what()};
}

//! The transaction control statements, compiled once: sqlite3_exec compiled each of them for
//! every job (two per job, at thousands of jobs a second).
struct Database::WriterStatements {
  explicit WriterStatements(SQLite::Database& db)
      : begin(db, "BEGIN IMMEDIATE"),
        savepoint(db, "SAVEPOINT job"),
        release(db, "RELEASE job"),
        rollback_to(db, "ROLLBACK TO job"),
        commit(db, "COMMIT") {}
  SQLite::Statement begin, savepoint, release, rollback_to, commit;
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> cache;
};

struct Database::ReaderStatements {
  const SQLite::Database* connection = nullptr;
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> cache;
};

SQLite::Statement* Database::readerStatement(SQLite::Database& reader, const std::string& sql) {
  for (auto& r : reader_statements_) {
    if (r->connection != &reader) { continue; }
    if (auto it = r->cache.find(sql); it != r->cache.end()) { return it->second.get(); }
    if (r->cache.size() >= kMaxReaderStatements) { return nullptr; }
    auto& slot = r->cache[sql];
    slot = std::make_unique<SQLite::Statement>(reader, sql);
    return slot.get();
  }
  return nullptr;
}

SQLite::Statement& Database::writerStatement(SQLite::Database& writer, const std::string& sql) {
  auto& slot = control_->cache[sql];
  if (!slot) {
    slot = std::make_unique<SQLite::Statement>(writer, sql);
  } else {
    // tryReset: reset() rethrows the error of the statement's last step (a job that failed
    // and was rolled back), which is not this job's failure.
    (void)slot->tryReset();
    slot->clearBindings();
  }
  return *slot;
}

Database::Database(DatabaseOptions options) : options_(std::move(options)) {}

Result<std::unique_ptr<Database>> Database::open(const DatabaseOptions& options) {
  std::unique_ptr<Database> self(new Database(options));
  auto vfs = syncDelayVfs(std::chrono::microseconds(options.sync_delay_us));
  if (!vfs) { return fail(vfs.error().code, vfs.error().detail); }
  try {
    self->writer_ = std::make_unique<SQLite::Database>(
        options.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX, 0,
        *vfs);
    configure(*self->writer_, options);
    // Every job runs in a savepoint, so SQLite keeps a sub-journal of the pages the batch changes;
    // past 64 KiB it spilled into a temporary file that was created, written (~470 pages a batch
    // in bench/ingest, half of the writer's pwrite calls) and deleted in every commit. In memory
    // it costs what the batch changed, for the length of the batch.
    self->writer_->exec("PRAGMA temp_store = MEMORY");
    self->control_ = std::make_unique<WriterStatements>(*self->writer_);
    for (int i = 0; i < std::max(1, options.readers); ++i) {
      auto reader = std::make_unique<SQLite::Database>(
          options.path, SQLite::OPEN_READWRITE | SQLite::OPEN_FULLMUTEX, 0, *vfs);
      reader->setBusyTimeout(options.busy_timeout_ms);
      reader->exec("PRAGMA foreign_keys = ON");
      self->free_readers_.push_back(reader.get());
      auto kept = std::make_unique<ReaderStatements>();
      kept->connection = reader.get();
      self->reader_statements_.push_back(std::move(kept));
      self->readers_.push_back(std::move(reader));
    }
    self->checkpointer_ = std::make_unique<SQLite::Database>(
        options.path, SQLite::OPEN_READWRITE | SQLite::OPEN_FULLMUTEX, 0, *vfs);
    self->checkpointer_->setBusyTimeout(options.busy_timeout_ms);
    // A connection opens the WAL with its first read. Before that a checkpoint on it returns
    // SQLITE_OK and copies nothing, which is what this thread did until 5 Dec 2026: the writer
    // then copied every page itself, 12 ms a time inside its commits.
    (void)self->checkpointer_->execAndGet("SELECT count(*) FROM sqlite_schema");
  } catch (const std::exception& e) {
    return Unexpected<Error>{sqliteError(e, "open")};
  }
  // Replaces the automatic checkpoint of the writer connection (sqlite3_wal_hook overrides it).
  sqlite3_wal_hook(self->writer_->getHandle(), &Database::onWalCommit, self.get());
  self->checkpoint_thread_ = std::thread([raw = self.get()] { raw->checkpointLoop(); });
  self->writer_thread_ = std::thread([raw = self.get()] { raw->writerLoop(); });
  return self;
}

Database::~Database() { close(); }

Result<void> Database::write(WriteJob job) {
  std::future<Result<void>> future;
  {
    std::lock_guard lock(queue_mutex_);
    if (stopping_) { return fail(ErrorCode::Unavailable, "database closing"); }
    if (queue_.size() >= options_.max_queued_jobs) {
      return fail(ErrorCode::Unavailable, "write queue full");
    }
    queue_.push_back(Pending{std::move(job), {}, false, nullptr});
    future = queue_.back().done.get_future();
  }
  queue_cv_.notify_one();
  return future.get();
}

void Database::submit(WriteJob job, std::function<void(Result<void>)> done) {
  const char* refused = nullptr;
  {
    std::lock_guard lock(queue_mutex_);
    if (stopping_) {
      refused = "database closing";
    } else if (queue_.size() >= options_.max_queued_jobs) {
      refused = "write queue full";
    } else {
      queue_.push_back(Pending{std::move(job), {}, false, std::move(done)});
    }
  }
  if (refused != nullptr) {
    done(fail(ErrorCode::Unavailable, refused));
    return;
  }
  queue_cv_.notify_one();
}

void Database::finish(Pending& p, Result<void> result) {
  if (p.then) {
    p.then(std::move(result));
  } else {
    p.done.set_value(std::move(result));
  }
}

Result<void> Database::exclusive(const std::function<void(SQLite::Database&)>& fn) {
  // Runs as a write job so it is serialized with the writer thread, but without a savepoint:
  // the function manages its own transaction (migrations).
  std::promise<Result<void>> done;
  auto future = done.get_future();
  {
    std::lock_guard lock(queue_mutex_);
    if (stopping_) { return fail(ErrorCode::Unavailable, "database closing"); }
    queue_.push_back(Pending{WriteJob{fn, nullptr}, std::move(done), true, nullptr});
  }
  queue_cv_.notify_one();
  return future.get();
}

void Database::writerLoop() {
  setThreadName("bb-db-writer");
  static std::atomic<bool> told{false};
  if (!raiseThreadPriority(kWriterRaise) && !told.exchange(true)) {
    log::info("storage_writer_priority_unchanged",
              {{"hint", "allow it with LimitNICE=-" + std::to_string(kWriterRaise) +
                            " in the unit (docs/deploy/README.md)"}});
  }
  WriterStatements& control = *control_;
  auto run = [](SQLite::Statement& statement) {
    // A failed step leaves the statement unreset; tryReset starts it afresh without rethrowing
    // that earlier error (reset() would).
    (void)statement.tryReset();
    statement.exec();
  };
  for (;;) {
    std::vector<Pending> batch;
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) { return; }
      if (queue_.front().exclusive) {
        Pending p = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        try {
          p.job.run(*writer_);
          p.done.set_value(Result<void>());
        } catch (const std::exception& e) {
          p.done.set_value(Unexpected<Error>{sqliteError(e, "exclusive")});
        }
        continue;
      }
      while (!queue_.empty() && batch.size() < options_.max_batch &&
             !queue_.front().exclusive) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    applyFaultFile();
    std::vector<Result<void>> results(batch.size());
    bool committed = false;
    Error commit_error{ErrorCode::Unavailable, "commit failed"};
    try {
      run(control.begin);
      for (std::size_t i = 0; i < batch.size(); ++i) {
        run(control.savepoint);
        try {
          batch[i].job.run(*writer_);
          run(control.release);
        } catch (const std::exception& e) {
          results[i] = Unexpected<Error>{sqliteError(e, "write")};
          run(control.rollback_to);
          run(control.release);
        }
      }
      run(control.commit);
      committed = true;
    } catch (const std::exception& e) {
      commit_error = sqliteError(e, "commit");
      if (commit_error.code != ErrorCode::Unavailable) { commit_error.code = ErrorCode::Unavailable; }
      try {
        writer_->exec("ROLLBACK");
      } catch (...) {
        // No transaction was open, or the connection is broken: nothing to roll back.
      }
      log::error("storage_commit_failed", {{"detail", commit_error.detail},
                                            {"jobs", std::to_string(batch.size())}});
    }
    if (committed) {
      commits_.fetch_add(1);
      jobs_.fetch_add(batch.size());
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (results[i] && batch[i].job.after_commit) { batch[i].job.after_commit(); }
        finish(batch[i], std::move(results[i]));
      }
    } else {
      for (auto& p : batch) { finish(p, Unexpected<Error>{commit_error}); }
    }
  }
}

void Database::applyFaultFile() {
  if (options_.fault_file.empty()) { return; }
  std::ifstream in(options_.fault_file);
  std::string word;
  if (in) { in >> word; }
  const bool readonly = word == "readonly";
  if (readonly == fault_readonly_) { return; }
  try {
    writer_->exec(readonly ? "PRAGMA query_only = ON" : "PRAGMA query_only = OFF");
    fault_readonly_ = readonly;
    log::warn("storage_fault_file", {{"readonly", readonly ? "true" : "false"}});
  } catch (const std::exception&) {
    // Leave the state as it was; the next batch tries again.
  }
}

int Database::onWalCommit(void* self, sqlite3* db, const char* name, int pages) {
  auto* database = static_cast<Database*>(self);
  if (pages >= kWriterCheckpointFactor * database->options_.checkpoint_pages) {
    // The checkpointer copies while commits keep coming, but the WAL only starts over when a
    // commit begins with every frame copied and no reader on an older one: under steady load
    // that moment hardly comes (bench/ingest at 5,000/s: the WAL grew past 2 GiB). Here, after
    // the commit and before its callers are answered, nothing is appended meanwhile, so unless
    // a reader still needs older pages this one completes, copying only what the checkpointer
    // has not, and the next commit starts the WAL over: it stays bounded.
    // Busy: the checkpointer is copying right now; the next commit tries again.
    if (sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) ==
        SQLITE_OK) {
      database->writer_checkpoints_.fetch_add(1);
    }
    return SQLITE_OK;
  }
  if (pages >= database->options_.checkpoint_pages) {
    {
      std::lock_guard lock(database->checkpoint_mutex_);
      database->checkpoint_wanted_ = true;
    }
    database->checkpoint_cv_.notify_one();
  }
  return SQLITE_OK;
}

void Database::checkpointLoop() {
  setThreadName("bb-db-checkpoint");
  bool failing = false;
  for (;;) {
    {
      std::unique_lock lock(checkpoint_mutex_);
      checkpoint_cv_.wait(lock, [this] { return checkpoint_stopping_ || checkpoint_wanted_; });
      if (checkpoint_stopping_) { return; }
      checkpoint_wanted_ = false;
    }
    // PASSIVE: copies what no reader still needs, never waits for readers or blocks the writer;
    // the WAL starts over at the next commit once everything was copied.
    int wal_frames = -1;
    const int rc = sqlite3_wal_checkpoint_v2(checkpointer_->getHandle(), nullptr,
                                             SQLITE_CHECKPOINT_PASSIVE, &wal_frames, nullptr);
    if (rc == SQLITE_OK) {
      // -1: the connection is not in WAL mode, so nothing was copied (see open()).
      if (wal_frames >= 0) { checkpoints_.fetch_add(1); }
      if (failing) { log::info("storage_checkpoint_recovered"); }
      failing = false;
    } else if (rc != SQLITE_BUSY && !failing) {
      // Busy is another checkpoint running (the writer's own, a backup's): the next commit asks
      // again. Anything else (a full disk) is worth a line.
      log::warn("storage_checkpoint_failed", {{"detail", sqlite3_errstr(rc)}});
      failing = true;
    }
  }
}

SQLite::Database* Database::acquireReader() {
  std::unique_lock lock(readers_mutex_);
  readers_cv_.wait(lock, [this] { return !free_readers_.empty() || closed_.load(); });
  if (closed_.load()) { return nullptr; }
  SQLite::Database* db = free_readers_.back();
  free_readers_.pop_back();
  return db;
}

void Database::releaseReader(SQLite::Database* db) {
  bool closing = false;
  {
    std::lock_guard lock(readers_mutex_);
    free_readers_.push_back(db);
    closing = closed_.load();
  }
  // One reader came back, so one waiter can have it: waking all of them (dozens of flow
  // workers in a peak) only made them fight for the lock. close() waits for all readers.
  if (closing) {
    readers_cv_.notify_all();
  } else {
    readers_cv_.notify_one();
  }
}

bool Database::healthy() {
  if (closed_.load()) { return false; }
  auto r = read([](SQLite::Database& db) { return db.execAndGet("SELECT 1").getInt(); });
  return r.has_value() && *r == 1;
}

void Database::close() {
  {
    std::lock_guard lock(queue_mutex_);
    if (stopping_) { return; }
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_thread_.joinable()) { writer_thread_.join(); }
  {
    std::lock_guard lock(checkpoint_mutex_);
    checkpoint_stopping_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpoint_thread_.joinable()) { checkpoint_thread_.join(); }
  {
    std::unique_lock lock(readers_mutex_);
    closed_.store(true);
    readers_cv_.notify_all();
    // Wait until every reader is back before closing connections.
    readers_cv_.wait(lock, [this] { return free_readers_.size() == readers_.size(); });
  }
  reader_statements_.clear();  // finalized before their connections close
  readers_.clear();
  checkpointer_.reset();
  control_.reset();  // statements are finalized before their connection closes
  writer_.reset();
}

DatabaseStats Database::stats() const {
  DatabaseStats s;
  s.commits = commits_.load();
  s.jobs = jobs_.load();
  s.checkpoints = checkpoints_.load();
  s.writer_checkpoints = writer_checkpoints_.load();
  std::lock_guard lock(queue_mutex_);
  s.queue_depth = queue_.size();
  return s;
}

}  // namespace bb::storage
