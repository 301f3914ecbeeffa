#include "webhooks/http_server.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>

#include <httplib.h>
#include <sys/socket.h>

#include "bot/log.hpp"
#include "webhooks/elastic_pool.hpp"
#include "webhooks/listen_backlog.hpp"
#include "bot/text/utf8.hpp"
#include "webhooks/slow_client_guard.hpp"
#include "webhooks/tls.hpp"

namespace bb::webhooks {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return s;
}

HttpRequest toRequest(const httplib::Request& in) {
  HttpRequest out;
  out.method = in.method;
  out.path = in.path;
  for (const auto& [name, value] : in.headers) { out.headers[lower(name)] = value; }
  // Query and form parameters are bytes: only valid UTF-8 goes on (bot/text/utf8.hpp).
  for (const auto& [name, value] : in.params) {
    out.params.emplace(toValidUtf8(name), toValidUtf8(value));
  }
  out.body = in.body;
  for (std::size_t i = 1; i < in.matches.size(); ++i) { out.matches.push_back(in.matches[i]); }
  out.remote_addr = in.remote_addr;
  return out;
}

}  // namespace

void addSecurityHeaders(HttpResponse& response) {
  auto has = [&response](const std::string& name) {
    return std::any_of(response.headers.begin(), response.headers.end(),
                       [&name](const auto& h) { return lower(h.first) == lower(name); });
  };
  if (!has("X-Content-Type-Options")) { response.header("X-Content-Type-Options", "nosniff"); }
  if (!has("Referrer-Policy")) { response.header("Referrer-Policy", "no-referrer"); }
  if (!has("X-Frame-Options")) { response.header("X-Frame-Options", "DENY"); }
}

class HttpServer::Impl {
public:
  Impl(ServerOptions options, Metrics& metrics)
      : guard_(std::chrono::seconds(std::max(0, options.request_timeout_s))),
        holder_(makeServer(options)),
        server_(*holder_),
        options_(std::move(options)),
        metrics_(metrics) {
    // One thread per kept-alive connection (cpp-httplib 0.11): grow on demand, shrink when idle.
    ElasticPoolOptions pool;
    pool.min_threads = static_cast<std::size_t>(std::max(1, options_.threads));
    pool.max_threads = static_cast<std::size_t>(std::max(options_.threads, options_.max_threads));
    server_.new_task_queue = [pool] { return new ElasticPool(pool); };
    // Slowloris guard: watches each connection of whatever task queue is set above.
    server_.new_task_queue = [inner = server_.new_task_queue, this] {
      return new GuardedQueue(inner(), guard_);
    };
    // cpp-httplib's default sets SO_REUSEPORT: a second process on the same port would then
    // start without an error and take half of the connections (a forgotten old instance, or
    // two test servers on 8080). SO_REUSEADDR only: a restart still binds at once while the
    // old connections sit in TIME_WAIT.
    server_.set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    // Nagle + delayed ACK would add 40 ms per response on keep-alive connections.
    server_.set_tcp_nodelay(true);
    server_.set_keep_alive_max_count(static_cast<std::size_t>(options_.keep_alive_max_count));
    server_.set_keep_alive_timeout(options_.keep_alive_timeout_s);
    server_.set_read_timeout(options_.read_timeout_s, 0);
    server_.set_write_timeout(options_.read_timeout_s, 0);
    server_.set_payload_max_length(options_.max_body_bytes);
    server_.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                                     std::exception_ptr) {
      // Fail-safe only: handlers return errors as values. Never echo the exception text.
      log::error("http_handler_exception");
      res.status = 500;
      res.set_content("{\"error\":\"internal\"}", "application/json");
    });
    server_.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.body.empty()) {
        res.set_content(res.status == 413 ? "{\"error\":\"request too large\"}"
                                          : "{\"error\":\"" + std::to_string(res.status) + "\"}",
                        "application/json");
      }
    });
  }

  void add(const Route& route) {
    auto handler = [this, route](const httplib::Request& req, httplib::Response& res) {
      const SlowClientGuard::HandlerScope in_handler;  // never cut a connection mid-handler
      const auto start = std::chrono::steady_clock::now();
      HttpResponse out;
      try {
        out = route.handler(toRequest(req));
      } catch (const std::exception& e) {
        log::error("http_handler_exception", {{"route", route.name}});
        out = HttpResponse::json(500, "{\"error\":\"internal\"}");
      }
      addSecurityHeaders(out);
      res.status = out.status;
      for (const auto& [name, value] : out.headers) { res.set_header(name, value); }
      res.set_content(out.body, out.content_type);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      metrics_.observeRequest(route.name, out.status, seconds);
    };
    if (route.method == "GET") {
      server_.Get(route.pattern, handler);
    } else if (route.method == "POST") {
      server_.Post(route.pattern, handler);
    } else if (route.method == "PUT") {
      server_.Put(route.pattern, handler);
    } else if (route.method == "DELETE") {
      server_.Delete(route.pattern, handler);
    }
  }

  Result<int> bind() {
    if (!server_.is_valid()) {
      return fail(ErrorCode::InvalidInput, "server.tls_cert_file/tls_key_file cannot be loaded");
    }
    int port = 0;
    if (options_.port == 0) {
      port = server_.bind_to_any_port(options_.host);
    } else {
      port = server_.bind_to_port(options_.host, options_.port) ? options_.port : -1;
    }
    if (port <= 0) {
      // What the city's IT needs to act: which address, and the usual cause.
      return fail(ErrorCode::Unavailable,
                  "cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                      " (is another process, e.g. an older buergerbox, using the port?)");
    }
    // cpp-httplib 0.11 listens with a backlog of 5: a burst of new connections overflows it and
    // the kernel drops SYNs, which costs each such client a 1 s retransmit.
    widenListenBacklog(port, kListenBacklog);
    return port;
  }

  SlowClientGuard guard_;  //!< outlives the server and its task queue
  std::unique_ptr<httplib::Server> holder_;  //!< a plain or a TLS server (webhooks/tls.hpp)
  httplib::Server& server_;
  ServerOptions options_;
  Metrics& metrics_;
};

HttpServer::HttpServer(ServerOptions options, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), metrics)) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::addRoutes(const std::vector<Route>& routes) {
  for (const auto& r : routes) { impl_->add(r); }
}

Result<int> HttpServer::bind() { return impl_->bind(); }

void HttpServer::run() { impl_->server_.listen_after_bind(); }

void HttpServer::stop() {
  if (impl_ && impl_->server_.is_running()) { impl_->server_.stop(); }
}

bool HttpServer::running() const { return impl_->server_.is_running(); }

}  // namespace bb::webhooks
