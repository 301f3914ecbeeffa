#include "storage/backup.hpp"

#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include <sqlite3.h>

namespace bb::storage {
namespace {

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, CloseDb>;

Result<Db> open(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    return fail(ErrorCode::Unavailable, "cannot open " + path + ": " + sqlite3_errstr(rc));
  }
  sqlite3_busy_timeout(db.get(), 10000);
  return db;
}

//! "ok" from PRAGMA quick_check, or the first problem it names.
Result<void> quickCheck(sqlite3* db, const std::string& what) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &raw, nullptr) != SQLITE_OK) {
    return fail(ErrorCode::InvalidInput, what + ": not an SQLite database: " + sqlite3_errmsg(db));
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw, sqlite3_finalize);
  if (sqlite3_step(stmt.get()) != SQLITE_ROW) {
    return fail(ErrorCode::InvalidInput, what + ": not an SQLite database: " + sqlite3_errmsg(db));
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
  const std::string answer = text != nullptr ? text : "";
  if (answer != "ok") { return fail(ErrorCode::InvalidInput, what + ": damaged: " + answer); }
  return {};
}

//! Copies every page of `src` into `dst` in one step, so the copy is one snapshot; retries while
//! the destination or source is locked.
Result<BackupInfo> copyPages(sqlite3* src, sqlite3* dst) {
  sqlite3_backup* backup = sqlite3_backup_init(dst, "main", src, "main");
  if (backup == nullptr) {
    return fail(ErrorCode::Unavailable, std::string("backup: ") + sqlite3_errmsg(dst));
  }
  int rc = SQLITE_OK;
  for (int attempt = 0; attempt < 200; ++attempt) {
    rc = sqlite3_backup_step(backup, -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) { break; }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  BackupInfo info;
  info.pages = sqlite3_backup_pagecount(backup);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    return fail(ErrorCode::Unavailable, std::string("backup: ") + sqlite3_errstr(rc));
  }
  sqlite3_int64 page_size = 0;
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(dst, "PRAGMA page_size", -1, &raw, nullptr) == SQLITE_OK &&
      sqlite3_step(raw) == SQLITE_ROW) {
    page_size = sqlite3_column_int64(raw, 0);
  }
  sqlite3_finalize(raw);
  info.bytes = info.pages * page_size;
  return info;
}

}  // namespace

Result<BackupInfo> backupDatabase(const std::string& from, const std::string& to) {
  auto src = open(from, SQLITE_OPEN_READONLY);
  if (!src) { return fail(src.error().code, src.error().detail); }
  const std::string partial = to + ".partial";
  std::remove(partial.c_str());
  auto dst = open(partial, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!dst) { return fail(dst.error().code, dst.error().detail); }
  auto info = copyPages(src->get(), dst->get());
  if (info) {
    // The copy keeps the source's WAL flag; fold it into one self-contained file.
    sqlite3_exec(dst->get(), "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
    if (auto checked = quickCheck(dst->get(), to); !checked) {
      info = fail(checked.error().code, checked.error().detail);
    }
  }
  dst.value().reset();
  if (!info) {
    std::remove(partial.c_str());
    return info;
  }
  if (std::rename(partial.c_str(), to.c_str()) != 0) {
    std::remove(partial.c_str());
    return fail(ErrorCode::Unavailable, "cannot write " + to);
  }
  return info;
}

Result<BackupInfo> restoreDatabase(const std::string& from, const std::string& to) {
  auto src = open(from, SQLITE_OPEN_READONLY);
  if (!src) { return fail(src.error().code, src.error().detail); }
  if (auto checked = quickCheck(src->get(), from); !checked) {
    return fail(checked.error().code, checked.error().detail);
  }
  auto dst = open(to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!dst) { return fail(dst.error().code, dst.error().detail); }
  auto info = copyPages(src->get(), dst->get());
  if (!info) { return info; }
  if (auto checked = quickCheck(dst->get(), to); !checked) {
    return fail(checked.error().code, checked.error().detail);
  }
  return info;
}

}  // namespace bb::storage
