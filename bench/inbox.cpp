// bench inbox: the staff inbox's queries on a database of N tickets (default 1,000,000), through
// the real SqliteInboxStore on the real Database reader pool, and the server's startup on it.
// Floors in the same run: a primary-key SELECT through the same reader pool; startup on an empty
// database.
#include <iostream>
#include <random>

#include <fmt/format.h>
#include <SQLiteCpp/SQLiteCpp.h>

#include "bench/bench.hpp"
#include "bench/bench_util.hpp"
#include "bench/load_client.hpp"
#include "storage/database.hpp"
#include "storage/migrations.hpp"
#include "storage/sqlite_inbox_store.hpp"

namespace bb::bench {
namespace {

constexpr std::int64_t kFirst = 1001;
const char* const kCategories[] = {"schlagloch", "strassenbeleuchtung", "muell", "graffiti",
                                   "verkehrszeichen", "spielplatz", "baeume", "sonstiges"};
const char* const kDepartments[] = {"tiefbau", "bauhof", "umwelt", "ordnungsamt"};
const char* const kStatuses[] = {"eingegangen", "in_pruefung", "in_bearbeitung", "eingeplant",
                                 "erledigt", "geschlossen", "geschlossen", "geschlossen",
                                 "geschlossen", "erledigt"};

std::unique_ptr<storage::Database> openDb(const std::string& path) {
  storage::DatabaseOptions o;
  o.path = path;
  auto db = storage::Database::open(o);
  if (!db) { throw std::runtime_error("open: " + db.error().detail); }
  Result<int> version = fail(ErrorCode::Internal, "not run");
  auto run = (*db)->exclusive([&version](SQLite::Database& raw) { version = storage::migrate(raw); });
  if (!run || !version) { throw std::runtime_error("migrate failed"); }
  return std::move(*db);
}

void populate(storage::Database& db, long n) {
  auto r = db.exclusive([n](SQLite::Database& raw) {
    raw.exec("BEGIN");
    SQLite::Statement t(raw,
                        "INSERT INTO tickets (id, number, kind, category_id, department, district_id,"
                        " status, lat, lon, address_text, description, channel, reporter,"
                        " follow_token_hash, created_at, updated_at, closed_at)"
                        " VALUES (?, ?, 'defect', ?, ?, 'd1', ?, ?, ?, '', ?, 'whatsapp', ?, ?, ?, ?, ?)");
    SQLite::Statement e(raw,
                        "INSERT INTO ticket_events (ticket_id, kind, actor, status, body, created_at)"
                        " VALUES (?, ?, ?, ?, ?, ?)");
    const std::int64_t base = 1700000000000;
    for (long i = 0; i < n; ++i) {
      const std::int64_t id = i + 1;
      const std::int64_t created = base + i * 30000;
      const char* status = kStatuses[i % 10];
      const bool closed = std::string(status) == "geschlossen" || std::string(status) == "erledigt";
      t.bind(1, id);
      t.bind(2, kFirst + i);
      t.bind(3, kCategories[i % 8]);
      t.bind(4, kDepartments[(i / 8) % 4]);
      t.bind(5, status);
      t.bind(6, 48.05 + static_cast<double>(i % 1000) * 1e-4);
      t.bind(7, 11.95 + static_cast<double>(i % 997) * 1e-4);
      t.bind(8, fmt::format("Schlagloch vor Hausnummer {}, etwa 30 cm tief, Gefahr fuer Radfahrer",
                            i % 300));
      t.bind(9, fmt::format("{:064x}", static_cast<std::uint64_t>(i % 200000) * 2654435761u));
      t.bind(10, fmt::format("{:064x}", static_cast<std::uint64_t>(i)));
      t.bind(11, created);
      t.bind(12, created + 60000);
      if (closed) {
        t.bind(13, created + 86400000);
      } else {
        t.bind(13);
      }
      t.exec();
      t.reset();
      for (int k = 0; k < 2; ++k) {
        e.bind(1, id);
        e.bind(2, k == 0 ? "citizen" : "status");
        e.bind(3, k == 0 ? "citizen" : "staff:1");
        if (k == 0) {
          e.bind(4);
        } else {
          e.bind(4, status);
        }
        e.bind(5, k == 0 ? "Bitte beheben" : "");
        e.bind(6, created + k * 60000);
        e.exec();
        e.reset();
      }
    }
    raw.exec("COMMIT");
    raw.exec("ANALYZE");
  });
  if (!r) { throw std::runtime_error("populate: " + r.error().detail); }
}

template <class F>
std::vector<std::uint32_t> timeEach(int n, F&& f) {
  std::vector<std::uint32_t> us;
  us.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f(i);
    us.push_back(static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                std::chrono::steady_clock::now() - t0)
                                                .count()));
  }
  return us;
}

}  // namespace

int benchInbox(const Options& o) {
  TempDir dir;
  const std::string path = dir.path() + "/db.sqlite";
  const long n = o.tickets;
  std::cout << fmt::format("bench inbox: {} tickets, 2 thread events each\n", n) << std::flush;
  {
    const double t0 = nowSeconds();
    auto db = openDb(path);
    populate(*db, n);
    db->close();
    std::cout << fmt::format("  populated in {:.1f} s\n", nowSeconds() - t0) << std::flush;
  }

  // Startup of the real server on that database, and on an empty one (floor).
  FakeGraph graph;
  double startup = 0;
  double startup_empty = 0;
  {
    auto env = serverEnv(dir.path(), graph.port(), "bench-secret");
    ServerChild s;
    if (!s.start(binaryPath(), sourceDir(), dir.path() + "/server.log", env)) {
      std::cerr << "server did not start\n";
      return 2;
    }
    startup = s.startupMs();
    s.stop();
    TempDir empty;
    auto env2 = serverEnv(empty.path(), graph.port(), "bench-secret");
    ServerChild e;
    if (!e.start(binaryPath(), sourceDir(), empty.path() + "/server.log", env2)) { return 2; }
    startup_empty = e.startupMs();
    e.stop();
  }

  auto db = openDb(path);
  storage::SqliteInboxStore store(*db);
  std::mt19937 rng(13);
  std::uniform_int_distribution<std::int64_t> pick(kFirst, kFirst + n - 1);
  const int iterations = o.smoke ? 20 : 300;
  bool ok = true;

  auto floor_us = timeEach(iterations, [&](int) {
    const std::int64_t id = pick(rng) - kFirst + 1;
    auto r = db->read([id](SQLite::Database& raw) {
      SQLite::Statement q(raw, "SELECT number FROM tickets WHERE id = ?");
      q.bind(1, id);
      return q.executeStep() ? q.getColumn(0).getInt64() : 0;
    });
    ok = ok && r && *r == id + kFirst - 1;
  });

  // The list page: what GET /inbox asks the store (a page of 50 and the status counts), for an
  // admin and for a department, on the first page and deep pages (keyset cursor), with filters.
  auto list_us = timeEach(iterations, [&](int i) {
    TicketQuery q;
    q.limit = 50;
    if (i % 2 == 0) {
      q.all_departments = true;
    } else {
      q.departments = {kDepartments[i % 4]};
    }
    if (i % 3 == 1) { q.status = "open"; }
    if (i % 5 == 2) { q.category = kCategories[i % 8]; }
    if (i % 4 >= 2) { q.after_id = pick(rng) - kFirst + 1; }
    auto page = store.listTickets(q);
    auto counts = store.statusCounts(q);
    ok = ok && page && counts && !page->rows.empty();
  });
  auto view_us = timeEach(iterations, [&](int) {
    const std::int64_t number = pick(rng);
    auto t = store.inboxTicket(number);
    auto th = store.thread(number);
    auto audit = store.auditOfTicket(number);
    ok = ok && t && *t && th && th->size() == 2 && audit;
  });
  auto lookup_us = timeEach(iterations, [&](int) {
    const std::int64_t number = pick(rng);
    auto t = store.inboxTicket(number);
    ok = ok && t && *t && (*t)->ticket.number == number;
  });
  auto search_us = timeEach(o.smoke ? 5 : 30, [&](int) {
    TicketQuery q;
    q.all_departments = true;
    q.search = std::to_string(pick(rng));
    auto page = store.listTickets(q);
    ok = ok && page && !page->rows.empty();
  });
  db->close();

  const auto pf = percentiles(floor_us);
  const auto pl = percentiles(list_us);
  const auto pv = percentiles(view_us);
  const auto pk = percentiles(lookup_us);
  const auto ps = percentiles(search_us);
  std::vector<Row> rows = {
      {"list page p95 (50 rows + status counts)", pl.p95_ms, "ms", "pk select p95", pf.p95_ms,
       "< 20 ms", pl.p95_ms < 20},
      {"ticket view p95 (ticket + thread + audit)", pv.p95_ms, "ms", "pk select p95", pf.p95_ms,
       "< 20 ms", pv.p95_ms < 20},
      {"lookup by number p95", pk.p95_ms, "ms", "pk select p95", pf.p95_ms, "< 5 ms",
       pk.p95_ms < 5},
      {"search box with a number p95", ps.p95_ms, "ms", "pk select p95", pf.p95_ms, "-", true},
      {"server startup on that database", startup, "ms", "empty database", startup_empty,
       "< 500 ms", startup < 500},
  };
  const bool met = printTable(fmt::format("inbox ({} tickets)", n), rows);
  if (!ok) {
    std::cerr << "inbox: a query returned a wrong or empty answer\n";
    return 1;
  }
  return o.smoke || met ? 0 : 3;
}

}  // namespace bb::bench
