#include "storage/postgresql/pg_notifier.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include "bot/log.hpp"
#include "bot/runtime/threads.hpp"

namespace bb::storage::pg {

void notify(Session& s, const std::string& topic, const std::string& payload) {
  s.run("SELECT pg_notify($1, $2)", topic, payload);
}

PgListener::PgListener(PgOptions options, std::string topic,
                       std::function<void(const std::string&)> on_notify,
                       std::function<void()> on_gap)
    : options_(std::move(options)),
      topic_(std::move(topic)),
      on_notify_(std::move(on_notify)),
      on_gap_(std::move(on_gap)) {}

PgListener::~PgListener() { stop(); }

bool PgListener::listen() {
  PQfinish(conn_);
  conn_ = nullptr;
  for (char c : topic_) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) { return false; }
  }
  auto conn = connectSession(options_, "buergerbox-listen");
  if (!conn) { return false; }
  try {
    Session(*conn).exec("LISTEN \"" + topic_ + "\"");
  } catch (const PgError& e) {
    log::warn("postgresql_listen_failed", {{"sqlstate", e.sqlstate()}});
    PQfinish(*conn);
    return false;
  }
  conn_ = *conn;
  return true;
}

bool PgListener::start() {
  if (thread_.joinable()) { return listening_.load(); }
  if (pipe(wake_pipe_) != 0) { return false; }
  listening_ = listen();
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
  return listening_.load();
}

void PgListener::stop() {
  if (!thread_.joinable()) { return; }
  stopping_ = true;
  const char byte = 0;
  (void)!write(wake_pipe_[1], &byte, 1);
  thread_.join();
  PQfinish(conn_);
  conn_ = nullptr;
  close(wake_pipe_[0]);
  close(wake_pipe_[1]);
  wake_pipe_[0] = wake_pipe_[1] = -1;
}

void PgListener::loop() {
  setThreadName("bb-pg-listen");
  bool lost = !listening_.load();
  while (!stopping_.load()) {
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
      // Lost (or never had) the connection: try again every second until stopped.
      pollfd wait{wake_pipe_[0], POLLIN, 0};
      if (lost && poll(&wait, 1, 1000) > 0) { break; }
      lost = true;
      if (!listen()) { continue; }
      listening_ = true;
      lost = false;
      log::info("postgresql_listen_resumed", {{"topic", topic_}});
      if (on_gap_) { on_gap_(); }  // what was notified meanwhile is gone: look again
      continue;
    }
    // Notifications libpq read along with an earlier answer (LISTEN's own) wait in its queue.
    drain();
    pollfd fds[2] = {{PQsocket(conn_), POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) { continue; }
    if ((fds[1].revents & POLLIN) != 0) { break; }
    if (PQconsumeInput(conn_) == 0) {
      log::warn("postgresql_listen_lost", {{"topic", topic_}});
      listening_ = false;
      PQfinish(conn_);
      conn_ = nullptr;
      continue;
    }
    drain();
  }
}

void PgListener::drain() {
  while (PGnotify* n = PQnotifies(conn_)) {
    const std::string payload = n->extra != nullptr ? n->extra : "";
    PQfreemem(n);
    if (on_notify_) { on_notify_(payload); }
  }
}

}  // namespace bb::storage::pg
