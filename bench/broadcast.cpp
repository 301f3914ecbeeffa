// bench broadcast: N subscribers (default 100,000) get one message each. The subscriptions
// fan-out was not in the tree when this was written, so this measures the path it
// ends in: the whole batch enqueued into the durable outbox in one Store::commitStep, then the
// real OutboxWorker delivering through a ChannelSender at the configured rate. Floors in the
// same run: the same number of rows INSERTed into a plain table in one transaction; the
// configured rate itself.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <mutex>

#include <fmt/format.h>
#include <SQLiteCpp/SQLiteCpp.h>

#include "bench/bench.hpp"
#include "bench/bench_util.hpp"
#include "bot/conversation/codec.hpp"
#include "bot/security/crypto.hpp"
#include "bot/outbox/outbox_worker.hpp"
#include "bot/ports.hpp"
#include "storage/database.hpp"
#include "storage/migrations.hpp"
#include "storage/sqlite_store.hpp"

namespace bb::bench {
namespace {

//! Records when each send happened; answers like a Graph API that accepted it.
class RecordingSender final : public outbox::ChannelSender {
public:
  outbox::SendResult send(const OutboxRow& row, const std::string& address,
                          const OutboundMessage&) override {
    std::lock_guard lock(mutex_);
    times_.push_back(std::chrono::steady_clock::now());
    ok_ = ok_ && !address.empty();
    return outbox::SendResult::sent("wamid.b" + std::to_string(row.id));
  }
  std::vector<std::chrono::steady_clock::time_point> times() {
    std::lock_guard lock(mutex_);
    return times_;
  }
  bool ok() {
    std::lock_guard lock(mutex_);
    return ok_;
  }

private:
  std::mutex mutex_;
  std::vector<std::chrono::steady_clock::time_point> times_;
  bool ok_ = true;
};

}  // namespace

int benchBroadcast(const Options& o) {
  TempDir dir;
  storage::DatabaseOptions dbo;
  dbo.path = dir.path() + "/db.sqlite";
  auto opened = storage::Database::open(dbo);
  if (!opened) { return 2; }
  auto& db = **opened;
  Result<int> version = fail(ErrorCode::Internal, "not run");
  (void)db.exclusive([&version](SQLite::Database& raw) { version = storage::migrate(raw); });
  if (!version) { return 2; }
  storage::SqliteStore store(db);
  const long n = o.subscribers;
  std::cout << fmt::format("bench broadcast: {} subscribers, configured rate {}/s, {} s of delivery\n",
                           n, o.send_rate, o.send_seconds)
            << std::flush;

  // The subscribers' sealed addresses exist before a broadcast (citizens table): built untimed.
  crypto::Key key{};
  key.fill(7);
  OutboundMessage message;
  message.text = "Ergebnis der Stadtratssitzung vom 26.11.: Der Haushalt 2027 ist beschlossen.";
  StepCommit step;
  step.now = SystemClock().now();
  step.outbound.reserve(static_cast<std::size_t>(n));
  const std::string payload = encodeOutbound(message);
  for (long i = 0; i < n; ++i) {
    const auto sealed = crypto::seal(key, fmt::format("49151{:08}", i));
    NewOutbound out;
    out.channel = Channel::WhatsApp;
    out.pseudonym = fmt::format("{:064x}", static_cast<std::uint64_t>(i) * 2654435761u);
    out.address_ct = sealed.ciphertext;
    out.key_id = sealed.key_id;
    out.payload = payload;
    out.kind = "notice";
    step.outbound.push_back(std::move(out));
  }

  // Floor: the same rows into a plain table in one transaction.
  double floor_s = 0;
  {
    auto r = db.exclusive([&step, &floor_s](SQLite::Database& raw) {
      raw.exec("CREATE TABLE bench_plain (id INTEGER PRIMARY KEY, pseudonym TEXT, address BLOB, "
               "key_id TEXT, payload TEXT)");
      const double t0 = nowSeconds();
      raw.exec("BEGIN");
      SQLite::Statement ins(raw, "INSERT INTO bench_plain (pseudonym, address, key_id, payload) "
                                 "VALUES (?, ?, ?, ?)");
      for (const auto& out : step.outbound) {
        ins.bind(1, out.pseudonym);
        ins.bind(2, out.address_ct.data(), static_cast<int>(out.address_ct.size()));
        ins.bind(3, out.key_id);
        ins.bind(4, out.payload);
        ins.exec();
        ins.reset();
      }
      raw.exec("COMMIT");
      floor_s = nowSeconds() - t0;
    });
    if (!r) { return 2; }
  }
  const double t0 = nowSeconds();
  auto committed = store.commitStep(step);
  const double enqueue_s = nowSeconds() - t0;
  if (!committed) {
    std::cerr << "enqueue failed: " << committed.error().detail << "\n";
    return 1;
  }
  std::cout << fmt::format("  enqueued {} in {:.3f} s (floor {:.3f} s)\n", n, enqueue_s, floor_s)
            << std::flush;

  {
    const double q0 = nowSeconds();
    auto due = store.dueOutbox(Channel::WhatsApp, SystemClock().now(), 100);
    const double q1 = nowSeconds();
    auto mark = store.markOutbox((*due)[0].id, "queued", "", "", 0, SysTime{}, SysTime{});
    std::cout << fmt::format("  one due-rows query {:.1f} ms, one mark {:.1f} ms\n",
                             (q1 - q0) * 1000, (nowSeconds() - q1) * 1000);
  }
  // Delivery at the configured rate through the real worker.
  RecordingSender sender;
  SystemClock clock;
  outbox::OutboxOptions oo;
  oo.channel = Channel::WhatsApp;
  oo.rate_per_second = o.send_rate;
  oo.recipient_interval = std::chrono::milliseconds(0);
  oo.idle_poll = std::chrono::milliseconds(100);
  oo.concurrency = 16;  // whatsapp.send_concurrency default
  outbox::OutboxWorker worker(
      store, sender, [&key](const std::string& ct, const std::string&) { return crypto::open(key, ct); },
      clock, oo);
  const auto start = std::chrono::steady_clock::now();
  worker.start();
  std::this_thread::sleep_for(std::chrono::duration<double>(o.send_seconds));
  worker.stop();
  const auto times = sender.times();
  db.close();

  // Achieved rate over the window, and the most sends in any one-second window.
  double achieved = 0;
  std::size_t max_window = 0;
  if (times.size() > 1) {
    achieved = static_cast<double>(times.size() - 1) /
               std::chrono::duration<double>(times.back() - times.front()).count();
    std::size_t j = 0;
    for (std::size_t i = 0; i < times.size(); ++i) {
      while (times[i] - times[j] >= std::chrono::seconds(1)) { ++j; }
      max_window = std::max(max_window, i - j + 1);
    }
  }
  const auto allowed = static_cast<std::size_t>(o.send_rate) + 1;  // +1: the bucket's first token
  const std::size_t above = max_window > allowed ? max_window - allowed : 0;
  (void)start;
  std::vector<Row> rows = {
      {fmt::format("enqueue {} messages (one commit)", n), enqueue_s * 1000, "ms",
       "plain INSERTs, one transaction", floor_s * 1000, "< 2000 ms", enqueue_s < 2},
      {"delivery rate achieved", achieved, "/s", "configured rate", o.send_rate, "within ±2 %",
       achieved >= 0.98 * o.send_rate && achieved <= 1.02 * o.send_rate},
      {"most sends in any 1 s window", static_cast<double>(max_window), "", "configured rate",
       o.send_rate, "-", true},
      {"sends above the rate", static_cast<double>(above), "", "", 0, "0", above == 0},
  };
  const bool met = printTable(fmt::format("broadcast ({} subscribers)", n), rows);
  if (times.empty() || !sender.ok()) { return 1; }
  return o.smoke || met ? 0 : 3;
}

}  // namespace bb::bench
