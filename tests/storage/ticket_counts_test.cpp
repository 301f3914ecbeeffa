// The inbox's status counts come from `ticket_counts`, kept by triggers on `tickets`:
// after any mix of inserts, status changes, recategorizations and deletes the table must say
// exactly what a full GROUP BY over the tickets says, and the store must answer with it.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include "storage/database.hpp"
#include "storage/migrations.hpp"
#include "storage/sqlite_inbox_store.hpp"
#include "support/server_process.hpp"

using bb::storage::Database;
using bb::storage::DatabaseOptions;

namespace {

using Counts = std::vector<std::pair<std::string, std::int64_t>>;

const std::vector<std::string> kDepartments = {"bauhof", "ordnungsamt", "gruen"};
const std::vector<std::string> kCategories = {"pothole", "light", "dumping", "graffiti"};
const std::vector<std::string> kStatuses = {"received", "in_progress", "done", "rejected"};

std::unique_ptr<Database> openIn(const bb::test::TempDir& dir) {
  DatabaseOptions o;
  o.path = dir.path() + "/db.sqlite";
  auto db = Database::open(o);
  REQUIRE(db.has_value());
  return std::move(*db);
}

void migrateTo(Database& db, std::size_t version) {
  const auto& all = bb::storage::migrations();
  const std::vector<std::string> steps(all.begin(),
                                       all.begin() + static_cast<std::ptrdiff_t>(version));
  bb::Result<int> r = bb::fail(bb::ErrorCode::Internal);
  REQUIRE(db.exclusive([&](SQLite::Database& raw) { r = bb::storage::migrate(raw, steps); }));
  REQUIRE(r.has_value());
  REQUIRE(*r == static_cast<int>(version));
}

void insertTicket(SQLite::Database& db, std::int64_t number, const std::string& department,
                  const std::string& category, const std::string& status,
                  const std::string& description = "") {
  SQLite::Statement q(db,
                      "INSERT INTO tickets (number, category_id, department, status, channel, "
                      "description, created_at, updated_at) VALUES (?, ?, ?, ?, 'web', ?, 0, 0)");
  q.bind(1, number);
  q.bind(2, category);
  q.bind(3, department);
  q.bind(4, status);
  q.bind(5, description);
  q.exec();
}

//! The truth: a full scan of the tickets.
Counts scanned(Database& db, const std::string& where) {
  auto r = db.read([&](SQLite::Database& raw) {
    Counts out;
    SQLite::Statement q(raw, "SELECT status, count(*) FROM tickets " + where +
                                 " GROUP BY status ORDER BY status");
    while (q.executeStep()) {
      out.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getInt64());
    }
    return out;
  });
  REQUIRE(r.has_value());
  return *r;
}

Counts sorted(Counts c) {
  std::sort(c.begin(), c.end());
  return c;
}

}  // namespace

TEST_CASE("ticket counts: the migration counts the tickets already there") {
  bb::test::TempDir dir;
  auto db = openIn(dir);
  migrateTo(*db, 8);  // the schema before the counts table
  REQUIRE(db->write([](SQLite::Database& raw) {
    for (int i = 1; i <= 30; ++i) {
      insertTicket(raw, i, kDepartments[static_cast<std::size_t>(i) % 3],
                   kCategories[static_cast<std::size_t>(i) % 4],
                   kStatuses[static_cast<std::size_t>(i) % 4]);
    }
  }));
  migrateTo(*db, bb::storage::migrations().size());

  bb::storage::SqliteInboxStore store(*db);
  bb::TicketQuery all;
  all.all_departments = true;
  auto counts = store.statusCounts(all);
  REQUIRE(counts.has_value());
  CHECK(sorted(*counts) == scanned(*db, ""));
  std::int64_t total = 0;
  for (const auto& [status, n] : *counts) { total += n; }
  CHECK(total == 30);
}

TEST_CASE("ticket counts: inserts, status changes, recategorizing and deletes keep them exact") {
  bb::test::TempDir dir;
  auto db = openIn(dir);
  migrateTo(*db, bb::storage::migrations().size());
  bb::storage::SqliteInboxStore store(*db);

  std::mt19937 rng(20261128);
  auto pick = [&rng](const std::vector<std::string>& from) {
    return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng)];
  };
  std::int64_t next_number = 1;
  for (int round = 0; round < 20; ++round) {
    REQUIRE(db->write([&](SQLite::Database& raw) {
      for (int op = 0; op < 50; ++op) {
        const int kind = std::uniform_int_distribution<int>(0, 9)(rng);
        const std::int64_t target =
            std::uniform_int_distribution<std::int64_t>(1, std::max<std::int64_t>(1, next_number))(rng);
        if (kind < 5 || next_number < 5) {
          insertTicket(raw, next_number++, pick(kDepartments), pick(kCategories), pick(kStatuses));
        } else if (kind < 7) {
          SQLite::Statement q(raw, "UPDATE tickets SET status = ? WHERE number = ?");
          q.bind(1, pick(kStatuses));
          q.bind(2, target);
          q.exec();
        } else if (kind < 8) {
          SQLite::Statement q(raw, "UPDATE tickets SET department = ?, category_id = ? WHERE number = ?");
          q.bind(1, pick(kDepartments));
          q.bind(2, pick(kCategories));
          q.bind(3, target);
          q.exec();
        } else if (kind < 9) {
          // An update that does not touch the counted columns.
          SQLite::Statement q(raw, "UPDATE tickets SET description = 'x', status = status WHERE number = ?");
          q.bind(1, target);
          q.exec();
        } else {
          SQLite::Statement q(raw, "DELETE FROM tickets WHERE number = ?");
          q.bind(1, target);
          q.exec();
        }
      }
    }));
  }

  // Every scope the inbox asks about, against a full scan.
  bb::TicketQuery all;
  all.all_departments = true;
  auto c = store.statusCounts(all);
  REQUIRE(c.has_value());
  CHECK(sorted(*c) == scanned(*db, ""));

  bb::TicketQuery dept;
  dept.departments = {"bauhof", "gruen"};
  c = store.statusCounts(dept);
  REQUIRE(c.has_value());
  CHECK(sorted(*c) == scanned(*db, "WHERE department IN ('bauhof', 'gruen')"));

  bb::TicketQuery filtered;
  filtered.all_departments = true;
  filtered.category = "light";
  filtered.department = "ordnungsamt";
  filtered.status = "done";  // counts ignore the status filter: they are the tabs beside it
  c = store.statusCounts(filtered);
  REQUIRE(c.has_value());
  CHECK(sorted(*c) == scanned(*db, "WHERE category_id = 'light' AND department = 'ordnungsamt'"));

  bb::TicketQuery none;  // a staff member without departments sees nothing
  c = store.statusCounts(none);
  REQUIRE(c.has_value());
  CHECK(c->empty());

  // A filter the table does not hold is counted from the tickets themselves.
  bb::TicketQuery channel;
  channel.all_departments = true;
  channel.channel = "web";
  c = store.statusCounts(channel);
  REQUIRE(c.has_value());
  CHECK(sorted(*c) == scanned(*db, "WHERE channel = 'web'"));

  // Nothing counted twice or lost: the table's total is the number of tickets.
  auto totals = db->read([](SQLite::Database& raw) {
    return std::make_pair(raw.execAndGet("SELECT coalesce(sum(n), 0) FROM ticket_counts").getInt64(),
                          raw.execAndGet("SELECT count(*) FROM tickets").getInt64());
  });
  REQUIRE(totals.has_value());
  CHECK(totals->first == totals->second);
  CHECK(totals->second > 100);
}

TEST_CASE("inbox search: digits find that ticket number, words search the text") {
  bb::test::TempDir dir;
  auto db = openIn(dir);
  migrateTo(*db, bb::storage::migrations().size());
  REQUIRE(db->write([](SQLite::Database& raw) {
    insertTicket(raw, 12, "bauhof", "pothole", "received", "Loch vor Hauptstraße 7");
    insertTicket(raw, 13, "bauhof", "pothole", "received", "Loch vor Hauptstraße 12");
    insertTicket(raw, 14, "bauhof", "light", "received", "Lampe 12 dunkel");
  }));
  bb::storage::SqliteInboxStore store(*db);
  auto numbers = [&](const std::string& search) {
    bb::TicketQuery q;
    q.all_departments = true;
    q.search = search;
    auto page = store.listTickets(q);
    REQUIRE(page.has_value());
    std::vector<std::int64_t> out;
    for (const auto& row : page->rows) { out.push_back(row.ticket.number); }
    return out;
  };
  CHECK(numbers("12") == std::vector<std::int64_t>{12});
  CHECK(numbers("99").empty());
  CHECK(numbers("Hauptstraße 12") == std::vector<std::int64_t>{13});
  CHECK(numbers("Lampe") == std::vector<std::int64_t>{14});
}
