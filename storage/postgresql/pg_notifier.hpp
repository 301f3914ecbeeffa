#pragma once
// Wake-ups between instances of one PostgreSQL database: a web-chat reply committed by instance B
// must end the long poll that instance A holds for that citizen. A writer adds notify() to the
// transaction that commits the reply; PostgreSQL delivers the notification to every listening
// instance after the commit (never for a rollback). A listener keeps a connection of its own
// with LISTEN on one thread; after a lost connection it connects again, listens again and calls
// `on_gap`, because notifications sent meanwhile are lost: the caller re-checks what it waits for.
// Payloads are internal keys (a pseudonym, a channel name), never personal data.

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "storage/postgresql/pg_database.hpp"

namespace bb::storage::pg {

//! Inside a transaction: notifies the listeners of `topic` with `payload` once it commits.
void notify(Session& s, const std::string& topic, const std::string& payload);

class PgListener {
public:
  //! `topic`: a lowercase name ([a-z0-9_]). `on_notify` runs on the listener's thread.
  PgListener(PgOptions options, std::string topic,
             std::function<void(const std::string& payload)> on_notify,
             std::function<void()> on_gap);
  ~PgListener();
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

  //! Starts the thread; returns once the first LISTEN is in place (false: no connection yet —
  //! the thread keeps trying and calls on_gap when it gets one).
  bool start();
  void stop();

private:
  void loop();
  bool listen();
  //! Hands every notification libpq holds to on_notify.
  void drain();

  PgOptions options_;
  std::string topic_;
  std::function<void(const std::string&)> on_notify_;
  std::function<void()> on_gap_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listening_{false};
  pg_conn* conn_ = nullptr;  // only the listener's thread uses it once started
  int wake_pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace bb::storage::pg
