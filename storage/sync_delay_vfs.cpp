#include "storage/sync_delay_vfs.hpp"

#include <sqlite3.h>

#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace bb::storage {
namespace {

// One wrapper VFS per delay; never unregistered (SQLite keeps pointers to it for the process).
struct DelayVfs {
  sqlite3_vfs vfs{};
  sqlite3_vfs* real = nullptr;
  std::chrono::microseconds delay{0};
  std::string name;
};

// Our file object: the wrapper's method table first (SQLite reads pMethods from offset 0), then
// the real VFS's file object in the same allocation.
struct DelayFile {
  sqlite3_file base;
  const DelayVfs* owner;
  sqlite3_file* real;
};

DelayFile* self(sqlite3_file* f) { return reinterpret_cast<DelayFile*>(f); }
sqlite3_file* real(sqlite3_file* f) { return self(f)->real; }

int xClose(sqlite3_file* f) {
  const int rc = real(f)->pMethods != nullptr ? real(f)->pMethods->xClose(real(f)) : SQLITE_OK;
  f->pMethods = nullptr;
  return rc;
}
int xRead(sqlite3_file* f, void* p, int n, sqlite3_int64 o) {
  return real(f)->pMethods->xRead(real(f), p, n, o);
}
int xWrite(sqlite3_file* f, const void* p, int n, sqlite3_int64 o) {
  return real(f)->pMethods->xWrite(real(f), p, n, o);
}
int xTruncate(sqlite3_file* f, sqlite3_int64 size) {
  return real(f)->pMethods->xTruncate(real(f), size);
}
int xSync(sqlite3_file* f, int flags) {
  std::this_thread::sleep_for(self(f)->owner->delay);
  return real(f)->pMethods->xSync(real(f), flags);
}
int xFileSize(sqlite3_file* f, sqlite3_int64* size) {
  return real(f)->pMethods->xFileSize(real(f), size);
}
int xLock(sqlite3_file* f, int l) { return real(f)->pMethods->xLock(real(f), l); }
int xUnlock(sqlite3_file* f, int l) { return real(f)->pMethods->xUnlock(real(f), l); }
int xCheckReservedLock(sqlite3_file* f, int* out) {
  return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
int xFileControl(sqlite3_file* f, int op, void* arg) {
  return real(f)->pMethods->xFileControl(real(f), op, arg);
}
int xSectorSize(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int xDeviceCharacteristics(sqlite3_file* f) {
  return real(f)->pMethods->xDeviceCharacteristics(real(f));
}
int xShmMap(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return real(f)->pMethods->xShmMap(real(f), page, size, extend, out);
}
int xShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
void xShmBarrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
int xShmUnmap(sqlite3_file* f, int del) { return real(f)->pMethods->xShmUnmap(real(f), del); }
int xFetch(sqlite3_file* f, sqlite3_int64 o, int n, void** out) {
  return real(f)->pMethods->xFetch(real(f), o, n, out);
}
int xUnfetch(sqlite3_file* f, sqlite3_int64 o, void* p) {
  return real(f)->pMethods->xUnfetch(real(f), o, p);
}

// Version 3 of the method table (WAL needs the shared-memory methods of version 2; version 3
// adds memory-mapped reads). A real file with an older table gets a matching older one.
const sqlite3_io_methods kMethods = {
    3,          xClose,     xRead,         xWrite,      xTruncate,
    xSync,      xFileSize,  xLock,         xUnlock,     xCheckReservedLock,
    xFileControl, xSectorSize, xDeviceCharacteristics, xShmMap, xShmLock,
    xShmBarrier, xShmUnmap, xFetch,        xUnfetch};
const sqlite3_io_methods kMethodsV2 = {
    2,          xClose,     xRead,         xWrite,      xTruncate,
    xSync,      xFileSize,  xLock,         xUnlock,     xCheckReservedLock,
    xFileControl, xSectorSize, xDeviceCharacteristics, xShmMap, xShmLock,
    xShmBarrier, xShmUnmap, nullptr,       nullptr};
const sqlite3_io_methods kMethodsV1 = {
    1,          xClose,     xRead,         xWrite,      xTruncate,
    xSync,      xFileSize,  xLock,         xUnlock,     xCheckReservedLock,
    xFileControl, xSectorSize, xDeviceCharacteristics, nullptr, nullptr,
    nullptr,    nullptr,    nullptr,       nullptr};

int xOpen(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  const auto* owner = static_cast<const DelayVfs*>(vfs->pAppData);
  auto* f = self(file);
  f->owner = owner;
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->base.pMethods = nullptr;
  const int rc = owner->real->xOpen(owner->real, name, f->real, flags, out_flags);
  if (f->real->pMethods == nullptr) { return rc; }  // SQLite calls no xClose then
  switch (f->real->pMethods->iVersion) {
    case 1: f->base.pMethods = &kMethodsV1; break;
    case 2: f->base.pMethods = &kMethodsV2; break;
    default: f->base.pMethods = &kMethods; break;
  }
  return rc;
}

sqlite3_vfs* realOf(sqlite3_vfs* vfs) { return static_cast<DelayVfs*>(vfs->pAppData)->real; }
int xDelete(sqlite3_vfs* v, const char* n, int sync) { return realOf(v)->xDelete(realOf(v), n, sync); }
int xAccess(sqlite3_vfs* v, const char* n, int flags, int* out) {
  return realOf(v)->xAccess(realOf(v), n, flags, out);
}
int xFullPathname(sqlite3_vfs* v, const char* n, int size, char* out) {
  return realOf(v)->xFullPathname(realOf(v), n, size, out);
}
void* xDlOpen(sqlite3_vfs* v, const char* n) { return realOf(v)->xDlOpen(realOf(v), n); }
void xDlError(sqlite3_vfs* v, int n, char* out) { realOf(v)->xDlError(realOf(v), n, out); }
void (*xDlSym(sqlite3_vfs* v, void* h, const char* s))(void) {
  return realOf(v)->xDlSym(realOf(v), h, s);
}
void xDlClose(sqlite3_vfs* v, void* h) { realOf(v)->xDlClose(realOf(v), h); }
int xRandomness(sqlite3_vfs* v, int n, char* out) { return realOf(v)->xRandomness(realOf(v), n, out); }
int xSleep(sqlite3_vfs* v, int us) { return realOf(v)->xSleep(realOf(v), us); }
int xCurrentTime(sqlite3_vfs* v, double* out) { return realOf(v)->xCurrentTime(realOf(v), out); }
int xGetLastError(sqlite3_vfs* v, int n, char* out) {
  return realOf(v)->xGetLastError(realOf(v), n, out);
}
int xCurrentTimeInt64(sqlite3_vfs* v, sqlite3_int64* out) {
  return realOf(v)->xCurrentTimeInt64(realOf(v), out);
}

}  // namespace

Result<std::string> syncDelayVfs(std::chrono::microseconds delay) {
  if (delay.count() <= 0) { return std::string(); }
  static std::mutex mutex;
  static std::map<std::int64_t, std::unique_ptr<DelayVfs>> registered;
  std::lock_guard lock(mutex);
  auto& slot = registered[delay.count()];
  if (slot) { return slot->name; }
  sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
  if (base == nullptr || base->iVersion < 2) {
    registered.erase(delay.count());
    return fail(ErrorCode::Internal, "sync delay: no default SQLite VFS of version 2 or later");
  }
  auto v = std::make_unique<DelayVfs>();
  v->real = base;
  v->delay = delay;
  v->name = "bb-sync-delay-" + std::to_string(delay.count());
  v->vfs.iVersion = 2;
  v->vfs.szOsFile = static_cast<int>(sizeof(DelayFile)) + base->szOsFile;
  v->vfs.mxPathname = base->mxPathname;
  v->vfs.zName = v->name.c_str();
  v->vfs.pAppData = v.get();
  v->vfs.xOpen = xOpen;
  v->vfs.xDelete = xDelete;
  v->vfs.xAccess = xAccess;
  v->vfs.xFullPathname = xFullPathname;
  v->vfs.xDlOpen = xDlOpen;
  v->vfs.xDlError = xDlError;
  v->vfs.xDlSym = xDlSym;
  v->vfs.xDlClose = xDlClose;
  v->vfs.xRandomness = xRandomness;
  v->vfs.xSleep = xSleep;
  v->vfs.xCurrentTime = xCurrentTime;
  v->vfs.xGetLastError = xGetLastError;
  v->vfs.xCurrentTimeInt64 = xCurrentTimeInt64;
  if (sqlite3_vfs_register(&v->vfs, 0) != SQLITE_OK) {
    registered.erase(delay.count());
    return fail(ErrorCode::Internal, "sync delay: the VFS could not be registered");
  }
  slot = std::move(v);
  return slot->name;
}

}  // namespace bb::storage
