// bench ingest-pg: acknowledged WhatsApp webhooks (the traffic and client of `bench ingest`) on
// PostgreSQL, beside floors measured in the same run with the same client: (a) a bare
// cpp-httplib handler, (c) the same handler doing one PostgreSQL INSERT per request
// (autocommit) on the same server; then the real server on SQLite, on PostgreSQL with one
// instance, and with two instances on one database, the load split across their ports.
// The PostgreSQL server is the benchmark's own (tests/support/temp_postgres.hpp) with fsync and
// synchronous_commit on: an acknowledgement waits for the disk, as in production.
#include <algorithm>
#include <condition_variable>
#include <chrono>
#include <exception>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_set>

#include <linux/magic.h>
#include <sys/statfs.h>

#include <fmt/format.h>
#include <libpq-fe.h>
#include <SQLiteCpp/SQLiteCpp.h>

#include "bench/bench.hpp"
#include "bench/bench_util.hpp"
#include "bench/ingest_common.hpp"
#include "bench/load_client.hpp"
#include "tests/support/temp_postgres.hpp"

namespace bb::bench {
namespace {

using Env = std::map<std::string, std::string>;
using PgConn = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using PgResult = std::unique_ptr<PGresult, decltype(&PQclear)>;

//! Floor (c) keeps at most this many connections: the server allows 200 (temp_postgres.cpp),
//! and the real instances need theirs afterwards.
constexpr int kFloorPoolCap = 100;

//! A connection to `url`; throws (the benchmark cannot run) when there is none.
PgConn connectPg(const std::string& url) {
  PgConn conn(PQconnectdb(url.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error(std::string("PostgreSQL: ") + PQerrorMessage(conn.get()));
  }
  return conn;
}

//! Runs one statement; throws with PostgreSQL's message when it fails.
PgResult execPg(PGconn* conn, const std::string& sql) {
  PgResult r(PQexec(conn, sql.c_str()), &PQclear);
  const ExecStatusType status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error(sql + ": " + PQerrorMessage(conn));
  }
  return r;
}

//! The first column of every row of `sql`.
std::vector<std::string> columnOf(const std::string& url, const std::string& sql) {
  PgConn conn = connectPg(url);
  PgResult r = execPg(conn.get(), sql);
  std::vector<std::string> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) { out.emplace_back(PQgetvalue(r.get(), i, 0)); }
  return out;
}

//! Each phase starts without a checkpoint owed by the WAL of the one before it.
void checkpoint(const std::string& url) {
  execPg(connectPg(url).get(), "CHECKPOINT");
}

//! libpq connections for floor (c), the INSERT prepared on each. As many as the client keeps
//! requests in flight (up to kFloorPoolCap): a request waits for PostgreSQL, not for a
//! connection, so concurrent commits share their WAL flushes as PostgreSQL lets them.
class PgPool {
public:
  PgPool(const std::string& url, int size) {
    for (int i = 0; i < size; ++i) {
      PgConn conn = connectPg(url);
      PgResult r(PQprepare(conn.get(), "insert", "INSERT INTO events (body) VALUES ($1)", 1,
                           nullptr),
                 &PQclear);
      if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
        throw std::runtime_error(std::string("prepare: ") + PQerrorMessage(conn.get()));
      }
      idle_.push_back(std::move(conn));
    }
  }

  //! One INSERT in its own transaction (autocommit); false when it failed.
  bool insert(const std::string& body) {
    PgConn conn = take();
    const char* values[] = {body.c_str()};
    PgResult r(PQexecPrepared(conn.get(), "insert", 1, values, nullptr, nullptr, 0), &PQclear);
    const bool done = PQresultStatus(r.get()) == PGRES_COMMAND_OK;
    give(std::move(conn));
    return done;
  }

private:
  PgConn take() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [this] { return !idle_.empty(); });
    PgConn conn = std::move(idle_.back());
    idle_.pop_back();
    return conn;
  }
  void give(PgConn conn) {
    {
      std::lock_guard lock(mutex_);
      idle_.push_back(std::move(conn));
    }
    ready_.notify_one();
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<PgConn> idle_;
};

//! Floor (c): floor (a)'s handler plus one INSERT of the body per request, in a fresh database
//! on the same server the real instances use.
LoadResult measurePgFloor(const Options& o, test::TempPostgres& pg) {
  const std::string url = pg.newDatabase();
  if (url.empty()) { throw std::runtime_error(pg.error()); }
  execPg(connectPg(url).get(),
         "CREATE TABLE events (id bigserial PRIMARY KEY, body text NOT NULL)");
  PgPool pool(url, std::min(o.connections, kFloorPoolCap));
  WhatsAppTraffic traffic(kIngestAppSecret, o.senders, "fc");
  FloorServer fs(o.connections + 8);  // after the pool: stops serving before the pool closes
  fs.server.Post("/webhooks/whatsapp", [&pool](const httplib::Request& req,
                                               httplib::Response& res) {
    if (!pool.insert(req.body)) {
      res.status = 500;
      return;
    }
    res.set_content(R"({"ok":true})", "application/json");
  });
  fs.start();
  if (!o.smoke) { checkpoint(url); }
  LoadResult floor_c = closedLoop(fs.port, o, traffic);
  describe("floor (c) httplib + 1 PG INSERT", floor_c);
  return floor_c;
}

//! fsync on a tmpfs returns at once: a run there would measure no disk at all.
bool onTmpfs(const std::string& path) {
  struct statfs fs {};
  return ::statfs(path.c_str(), &fs) == 0 && fs.f_type == TMPFS_MAGIC;
}

//! Prints the run's setup as the server reports it (not as it was asked for); false when the
//! server does not flush its commits, which would make every PostgreSQL figure meaningless.
bool describeSetup(const Options& o, const test::TempPostgres& pg, const std::string& dir) {
  PgConn conn = connectPg(pg.url("postgres"));
  const auto show = [&conn](const char* setting) {
    return std::string(PQgetvalue(execPg(conn.get(), std::string("SHOW ") + setting).get(), 0, 0));
  };
  const std::string fsync = show("fsync");
  const std::string commit = show("synchronous_commit");
  std::cout << fmt::format(
      "bench ingest-pg: {} connections, closed loop {} s per phase\n"
      "  PostgreSQL {} on 127.0.0.1 (the benchmark's own server, data under /tmp): fsync={}, "
      "synchronous_commit={}, full_page_writes={}, wal_sync_method={}\n",
      o.connections, o.seconds, show("server_version"), fsync, commit, show("full_page_writes"),
      show("wal_sync_method"));
  if (onTmpfs("/tmp") || onTmpfs(dir)) {
    std::cout << "  WARNING: /tmp or the benchmark folder is a tmpfs: no sync reaches a disk\n";
  }
  if (o.sync_delay_us > 0) {
    std::cout << "  --sync-delay-us is ignored here: it would slow SQLite but not PostgreSQL\n";
  }
  return fsync == "on" && commit == "on";
}

//! The environment of one real instance on PostgreSQL (the rest as `bench ingest` sets it).
Env pgEnv(const std::string& dir, int graph_port, const std::string& url, const std::string& id,
          const std::string& media_dir) {
  Env env = serverEnv(dir, graph_port, kIngestAppSecret);
  env["BUERGERBOX_STORAGE_BACKEND"] = "postgresql";
  env["BUERGERBOX_STORAGE_POSTGRESQL_URL"] = url;
  env["BUERGERBOX_STORAGE_POSTGRESQL_INSTANCE_ID"] = id;
  env["BUERGERBOX_STORAGE_MEDIA_DIR"] = media_dir;  // shared, as docs/deploy/ha.md requires
  return env;
}

//! Starts one server per environment, one after the other (the first migrates the database).
std::vector<std::unique_ptr<ServerChild>> startServers(const std::vector<Env>& envs,
                                                       const std::string& dir,
                                                       const std::string& tag) {
  std::vector<std::unique_ptr<ServerChild>> servers;
  for (std::size_t i = 0; i < envs.size(); ++i) {
    auto server = std::make_unique<ServerChild>();
    const std::string log = fmt::format("{}/server-{}-{}.log", dir, tag, i);
    if (!server->start(binaryPath(), sourceDir(), log, envs[i])) {
      throw std::runtime_error(
          fmt::format("server {}-{} did not start; its log:\n{}", tag, i, server->logTail()));
    }
    std::cout << fmt::format("  server {}-{} on port {} (startup {:.0f} ms)\n", tag, i,
                             server->port(), server->startupMs());
    servers.push_back(std::move(server));
  }
  return servers;
}

//! Waits until each of `instances` instances holds its share of the 64 conversation partitions,
//! so that the load meets the cluster as it runs and not while one takes over from the other.
void waitForShares(const std::string& url, int instances, std::chrono::seconds timeout) {
  const std::string sql = fmt::format(
      "SELECT count(*) FROM (SELECT owner FROM partition_leases WHERE owner IS NOT NULL AND "
      "expires_at > (extract(epoch FROM clock_timestamp()) * 1000)::bigint GROUP BY owner "
      "HAVING count(*) >= {}) AS shares",
      64 / instances);
  const double start = nowSeconds();
  while (nowSeconds() - start < static_cast<double>(timeout.count())) {
    if (columnOf(url, sql).at(0) == std::to_string(instances)) {
      std::cout << fmt::format("  {} instances hold 64/{} partitions each after {:.1f} s\n",
                               instances, instances, nowSeconds() - start);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::cout << fmt::format("  partitions not yet shared evenly after {} s; loading anyway\n",
                           timeout.count());
}

//! The instances' results as one: counts and latencies together, the rate their sum.
LoadResult sumOf(const std::vector<LoadResult>& parts) {
  LoadResult sum;
  double rate = 0;
  for (const LoadResult& p : parts) {
    sum.sent += p.sent;
    sum.ok += p.ok;
    sum.errors += p.errors;
    sum.seconds = std::max(sum.seconds, p.seconds);
    sum.connect_max_ms = std::max(sum.connect_max_ms, p.connect_max_ms);
    sum.latency_us.insert(sum.latency_us.end(), p.latency_us.begin(), p.latency_us.end());
    rate += p.perSecond();
  }
  // perSecond() is ok / seconds: these seconds make it the summed rate.
  if (rate > 0) { sum.seconds = static_cast<double>(sum.ok) / rate; }
  return sum;
}

//! o.connections split evenly across `ports`, one closed loop per port, all at once (as a load
//! balancer spreads them); every 200 goes into `acked`. One result per port.
std::vector<LoadResult> loadPorts(const Options& o, const std::vector<int>& ports,
                                  const std::string& tag, AckLog& acked) {
  const int n = static_cast<int>(ports.size());
  std::vector<WhatsAppTraffic> traffic;
  traffic.reserve(ports.size());  // the recorders keep references into it
  for (int i = 0; i < n; ++i) {
    traffic.emplace_back(kIngestAppSecret, o.senders, fmt::format("{}-{}", tag, i));
  }
  std::vector<LoadResult> results(ports.size());
  std::vector<std::exception_ptr> failures(ports.size());
  std::vector<std::thread> loops;
  for (int i = 0; i < n; ++i) {
    Options share = o;
    share.connections = std::max(1, o.connections / n + (i < o.connections % n ? 1 : 0));
    loops.emplace_back([&, i, share] {
      try {
        results[i] = closedLoop(ports[i], share, traffic[i], acked.recorder(traffic[i]));
      } catch (...) {
        failures[i] = std::current_exception();  // rethrown below, off the load thread
      }
    });
  }
  for (auto& loop : loops) { loop.join(); }
  for (const auto& failure : failures) {
    if (failure) { std::rethrow_exception(failure); }
  }
  return results;
}

//! What one configuration of the real server reached, and whether all it acknowledged is stored.
struct RealRun {
  LoadResult load;  //!< summed over the instances
  std::size_t acked = 0;
  std::size_t missing = 0;
};

//! The external ids a configuration's database holds for channel 'whatsapp'.
using StoredIds = std::function<std::unordered_set<std::string>()>;

//! Starts one server per environment, loads them together, stops them, then counts the
//! acknowledged events the database does not hold. `before_load` runs once all listen.
RealRun runReal(const Options& o, const std::string& name, const std::string& tag,
                const std::vector<Env>& envs, const std::string& dir, const StoredIds& stored,
                const std::function<void()>& before_load) {
  auto servers = startServers(envs, dir, tag);
  if (before_load) { before_load(); }
  std::vector<int> ports;
  std::vector<ThreadCpu> cpu_before;
  for (const auto& s : servers) {
    ports.push_back(s->port());
    cpu_before.push_back(threadCpuOf(s->pid()));
  }
  AckLog acked;
  const std::vector<LoadResult> parts = loadPorts(o, ports, tag, acked);
  RealRun run;
  run.load = sumOf(parts);
  for (std::size_t i = 0; i < servers.size(); ++i) {
    if (servers.size() > 1) { describe(fmt::format("  instance {}", i), parts[i]); }
    // Where each instance's CPU went per event it acknowledged (bench ingest prints the same).
    std::cout << fmt::format("    instance {} CPU per acknowledged event: {}\n", i,
                             describeCpuPerEvent(cpu_before[i], threadCpuOf(servers[i]->pid()),
                                                 static_cast<double>(parts[i].ok)));
  }
  describe(name, run.load);
  std::string exits;
  for (const auto& s : servers) {
    exits += (exits.empty() ? "" : ", ") + std::to_string(s->stop());
  }
  const std::vector<std::string> wamids = acked.wamids();
  run.acked = wamids.size();
  run.missing = countMissing(wamids, stored());
  std::cout << fmt::format(
      "    verified: {} acknowledged, {} in the database, {} missing (exit {})\n", run.acked,
      run.acked - run.missing, run.missing, exits);
  return run;
}

//! The real server on SQLite, as `bench ingest` runs it (storage.synchronous = FULL).
RealRun runSqlite(const Options& o, const std::string& dir, int graph_port) {
  const std::string own = dir + "/sqlite";
  std::filesystem::create_directories(own);
  const StoredIds stored = [own] {
    std::unordered_set<std::string> ids;
    SQLite::Database db(own + "/db.sqlite", SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "SELECT external_id FROM inbound_events WHERE channel = 'whatsapp'");
    while (q.executeStep()) { ids.insert(q.getColumn(0).getString()); }
    return ids;
  };
  return runReal(o, "buergerbox SQLite, 1 instance", "sq",
                 {serverEnv(own, graph_port, kIngestAppSecret)}, dir, stored, {});
}

//! The real server on a fresh PostgreSQL database: `instances` of them, one shared media folder.
RealRun runPostgres(const Options& o, const std::string& dir, int graph_port,
                    test::TempPostgres& pg, int instances) {
  const std::string url = pg.newDatabase();
  if (url.empty()) { throw std::runtime_error(pg.error()); }
  const std::string tag = fmt::format("pg{}", instances);
  std::vector<Env> envs;
  for (int i = 0; i < instances; ++i) {
    const std::string own = fmt::format("{}/{}-{}", dir, tag, i);
    std::filesystem::create_directories(own);
    envs.push_back(
        pgEnv(own, graph_port, url, fmt::format("bench-{}", i), dir + "/" + tag + "-media"));
  }
  const StoredIds stored = [url] {
    const auto ids =
        columnOf(url, "SELECT external_id FROM inbound_events WHERE channel = 'whatsapp'");
    return std::unordered_set<std::string>(ids.begin(), ids.end());
  };
  const auto before_load = [&] {
    if (o.smoke) { return; }  // both only steady the figures; a smoke run checks correctness
    if (instances > 1) { waitForShares(url, instances, std::chrono::seconds(20)); }
    checkpoint(url);
  };
  const std::string name = fmt::format("buergerbox PostgreSQL, {} instance{}", instances,
                                       instances > 1 ? "s" : "");
  return runReal(o, name, tag, envs, dir, stored, before_load);
}

//! The figure of one real configuration: its rate against both floors, its p99, and the
//! acknowledged events missing from its database.
void addRun(std::vector<Row>& rows, const std::string& label, const RealRun& run,
            const LoadResult& floor_a, const LoadResult& floor_c, const std::string& target,
            bool met) {
  const double rate = run.load.perSecond();
  rows.push_back({label + ": acknowledged/s", rate, "/s", "c", floor_c.perSecond(), target, met});
  rows.push_back({"  vs floor (a) bare httplib", rate, "/s", "a", floor_a.perSecond(), "-", true});
  rows.push_back({"  ack latency p99", percentiles(run.load.latency_us).p99_ms, "ms", "", 0, "-",
                  true});
  rows.push_back({"  acknowledged events missing from the database",
                  static_cast<double>(run.missing), "", "", 0, "0",
                  run.missing == 0 && run.acked > 0});
}

std::vector<Row> tableOf(const SyncFloor& sync, const LoadResult& floor_a,
                         const LoadResult& floor_c, const RealRun& sqlite, const RealRun& pg1,
                         const RealRun& pg2) {
  const double one = pg1.load.perSecond();
  std::vector<Row> rows = {
      {"disk sync p50 (fdatasync, benchmark folder)", sync.p50_us / 1000.0, "ms", "", 0, "-",
       true},
      {"floor (c) httplib + 1 PostgreSQL INSERT", floor_c.perSecond(), "/s", "a",
       floor_a.perSecond(), "-", true},
  };
  addRun(rows, "SQLite, 1 instance (synchronous=FULL)", sqlite, floor_a, floor_c, "-", true);
  // The one target, a guard against regressions: each webhook is one transaction of four round
  // trips (BEGIN, INSERT, NOTIFY, COMMIT) where floor (c) has one autocommit INSERT, so an
  // instance can reach about a quarter of the floor (docs/performance.md, "Ingest on PostgreSQL").
  addRun(rows, "PostgreSQL, 1 instance", pg1, floor_a, floor_c, ">= 0.2x floor (c)",
         one >= 0.2 * floor_c.perSecond());
  addRun(rows, "PostgreSQL, 2 instances (summed)", pg2, floor_a, floor_c, "-", true);
  rows.push_back({"  2 instances vs 1 instance", pg2.load.perSecond(), "/s", "1 instance", one,
                  "-", true});
  return rows;
}

}  // namespace

int benchIngestPg(const Options& o) {
  test::TempPostgres& pg = test::TempPostgres::durable();
  if (!pg.ok()) {
    std::cerr << "PostgreSQL did not start: " << pg.error() << "\n";
    return 2;
  }
  TempDir dir;
  if (!describeSetup(o, pg, dir.path())) {
    std::cerr << "the PostgreSQL server does not flush its commits: no figure would mean much\n";
    return 2;
  }
  const SyncFloor sync_floor = measureSyncFloor(dir.path(), o.smoke ? 20 : 500, 0);
  describeSyncFloor(sync_floor, 0);
  const LoadResult floor_a = measureBareFloor(o);
  const LoadResult floor_c = measurePgFloor(o, pg);
  FakeGraph graph;
  const RealRun sqlite = runSqlite(o, dir.path(), graph.port());
  const RealRun pg1 = runPostgres(o, dir.path(), graph.port(), pg, 1);
  const RealRun pg2 = runPostgres(o, dir.path(), graph.port(), pg, 2);
  const bool met =
      printTable("ingest-pg", tableOf(sync_floor, floor_a, floor_c, sqlite, pg1, pg2));
  for (const RealRun* run : {&sqlite, &pg1, &pg2}) {
    if (run->missing != 0 || run->acked == 0) { return 1; }  // fails even a smoke run
  }
  return o.smoke || met ? 0 : 3;
}

}  // namespace bb::bench
