// The inbox's status counts come from `ticket_counts`, kept by triggers on `tickets` (on
// PostgreSQL one trigger function): after any mix of inserts, status changes, recategorizations
// and deletes the table must say exactly what a full GROUP BY over the tickets says, and the
// store must answer with it, on both backends.
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
#include "support/engine_harness.hpp"
#include "support/server_process.hpp"
#include "support/test_storage.hpp"

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

//! The INSERT of a ticket (the values are the test's own: no quotes in them).
std::string insertTicket(std::int64_t number, const std::string& department,
                         const std::string& category, const std::string& status,
                         const std::string& description = "") {
  return "INSERT INTO tickets (number, category_id, department, status, channel, description, "
         "created_at, updated_at) VALUES (" + std::to_string(number) + ", '" + category + "', '" +
         department + "', '" + status + "', 'web', '" + description + "', 0, 0);\n";
}

Counts sorted(Counts c) {
  std::sort(c.begin(), c.end());
  return c;
}

//! The truth: a full scan of the tickets.
Counts scanned(bb::test::TestStorage& storage, const std::string& where) {
  Counts out;
  for (const auto& row :
       storage.rows("SELECT status, count(*) FROM tickets " + where + " GROUP BY status")) {
    out.emplace_back(row[0], std::stoll(row[1]));
  }
  return sorted(out);
}

}  // namespace

TEST_CASE("ticket counts: the migration counts the tickets already there") {
  bb::test::TempDir dir;
  auto db = openIn(dir);
  migrateTo(*db, 8);  // the schema before the counts table
  REQUIRE(db->write([](SQLite::Database& raw) {
    for (int i = 1; i <= 30; ++i) {
      raw.exec(insertTicket(i, kDepartments[static_cast<std::size_t>(i) % 3],
                            kCategories[static_cast<std::size_t>(i) % 4],
                            kStatuses[static_cast<std::size_t>(i) % 4]));
    }
  }));
  migrateTo(*db, bb::storage::migrations().size());

  bb::storage::SqliteInboxStore store(*db);
  bb::TicketQuery all;
  all.all_departments = true;
  auto counts = store.statusCounts(all);
  REQUIRE(counts.has_value());
  auto truth = db->read([](SQLite::Database& raw) {
    Counts out;
    SQLite::Statement q(raw, "SELECT status, count(*) FROM tickets GROUP BY status");
    while (q.executeStep()) {
      out.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getInt64());
    }
    return out;
  });
  REQUIRE(truth.has_value());
  CHECK(sorted(*counts) == sorted(*truth));
  std::int64_t total = 0;
  for (const auto& [status, n] : *counts) { total += n; }
  CHECK(total == 30);
}

TEST_CASE_TEMPLATE("ticket counts: inserts, status changes, recategorizing and deletes keep them exact",
                   B, bb::test::OnSqlite, bb::test::OnPostgresql) {
  bb::test::TestStorage storage(B::backend);
  bb::InboxStore& store = storage.inbox();

  std::mt19937 rng(20261128);
  auto pick = [&rng](const std::vector<std::string>& from) {
    return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng)];
  };
  std::int64_t next_number = 1;
  for (int round = 0; round < 20; ++round) {
    std::string sql;  // one transaction per round
    for (int op = 0; op < 50; ++op) {
      const int kind = std::uniform_int_distribution<int>(0, 9)(rng);
      const std::int64_t target =
          std::uniform_int_distribution<std::int64_t>(1, std::max<std::int64_t>(1, next_number))(rng);
      const std::string where = " WHERE number = " + std::to_string(target) + ";\n";
      if (kind < 5 || next_number < 5) {
        sql += insertTicket(next_number++, pick(kDepartments), pick(kCategories), pick(kStatuses));
      } else if (kind < 7) {
        sql += "UPDATE tickets SET status = '" + pick(kStatuses) + "'" + where;
      } else if (kind < 8) {
        const std::string department = pick(kDepartments);
        sql += "UPDATE tickets SET department = '" + department + "', category_id = '" +
               pick(kCategories) + "'" + where;
      } else if (kind < 9) {
        // An update that does not touch the counted columns.
        sql += "UPDATE tickets SET description = 'x', status = status" + where;
      } else {
        sql += "DELETE FROM tickets" + where;
      }
    }
    storage.execute(sql);
  }

  // Every scope the inbox asks about, against a full scan.
  bb::TicketQuery all;
  all.all_departments = true;
  auto c = store.statusCounts(all);
  REQUIRE(c.has_value());
  CHECK(sorted(*c) == scanned(storage, ""));

  bb::TicketQuery dept;
  dept.departments = {"bauhof", "gruen"};
  c = store.statusCounts(dept);
  REQUIRE(c.has_value());
  CHECK(sorted(*c) == scanned(storage, "WHERE department IN ('bauhof', 'gruen')"));

  bb::TicketQuery filtered;
  filtered.all_departments = true;
  filtered.category = "light";
  filtered.department = "ordnungsamt";
  filtered.status = "done";  // counts ignore the status filter: they are the tabs beside it
  c = store.statusCounts(filtered);
  REQUIRE(c.has_value());
  CHECK(sorted(*c) ==
        scanned(storage, "WHERE category_id = 'light' AND department = 'ordnungsamt'"));

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
  CHECK(sorted(*c) == scanned(storage, "WHERE channel = 'web'"));
  channel.channel = "telegram";
  c = store.statusCounts(channel);
  REQUIRE(c.has_value());
  CHECK(c->empty());

  // Nothing counted twice or lost: the table's total is the number of tickets.
  const auto totals = storage.rows(
      "SELECT (SELECT coalesce(sum(n), 0) FROM ticket_counts), (SELECT count(*) FROM tickets)");
  REQUIRE(totals.size() == 1);
  CHECK(totals[0][0] == totals[0][1]);
  CHECK(std::stoll(totals[0][1]) > 100);
}

TEST_CASE_TEMPLATE("inbox search: digits find that ticket number, words search the text", B,
                   bb::test::OnSqlite, bb::test::OnPostgresql) {
  bb::test::TestStorage storage(B::backend);
  storage.execute(insertTicket(12, "bauhof", "pothole", "received", "Loch vor Hauptstraße 7") +
                  insertTicket(13, "bauhof", "pothole", "received", "Loch vor Hauptstraße 12") +
                  insertTicket(14, "bauhof", "light", "received", "Lampe 12 dunkel") +
                  insertTicket(15, "bauhof", "light", "received", "Ölfleck, 50% der Fahrbahn") +
                  insertTicket(16, "bauhof", "light", "received", "Rohr_bruch"));
  bb::InboxStore& store = storage.inbox();
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
  // ASCII letters in any case; other letters as written (SQLite's LIKE, on both backends).
  CHECK(numbers("LAMPE 12 DUNKEL") == std::vector<std::int64_t>{14});
  CHECK(numbers("hauptSTRAßE 7") == std::vector<std::int64_t>{12});
  CHECK(numbers("Ölfleck") == std::vector<std::int64_t>{15});
  CHECK(numbers("ölfleck").empty());
  // The wildcards are plain characters.
  CHECK(numbers("50%") == std::vector<std::int64_t>{15});
  CHECK(numbers("0% der") == std::vector<std::int64_t>{15});
  CHECK(numbers("%").size() == 1);
  CHECK(numbers("r_b") == std::vector<std::int64_t>{16});
  CHECK(numbers("e_1").empty());  // "e 1" would match an unescaped "_"
  CHECK(numbers("_").size() == 1);
}
