#pragma once
// The HTTP edge: the one place that knows cpp-httplib. Routes are the service's own Route structs.

#include <memory>
#include <string>
#include <vector>

#include "bot/http/http.hpp"
#include "bot/runtime/metrics.hpp"
#include "bot/result.hpp"

namespace bb::webhooks {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  //!< 0 binds any free port
  int threads = 16;  //!< threads kept warm (server.threads)
  //! Most threads at once (server.max_threads): a kept-alive connection holds one thread, so
  //! this is also the most connections served at once (docs/performance.md).
  int max_threads = 1024;
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  int keep_alive_max_count = 10000;
  int keep_alive_timeout_s = 5;
  int read_timeout_s = 10;
  //! Time a client gets to deliver one whole request (slowloris guard, slow_client_guard.hpp).
  int request_timeout_s = 30;
  //! Built-in HTTPS when both are set (PEM files); TLS 1.2+ with forward-secret AEAD ciphers.
  std::string tls_cert_file;
  std::string tls_key_file;
};

class HttpServer {
public:
  HttpServer(ServerOptions options, Metrics& metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void addRoutes(const std::vector<Route>& routes);
  //! Binds the socket; returns the port actually bound.
  Result<int> bind();
  //! Serves until stop(); in-flight requests finish before it returns.
  void run();
  void stop();
  bool running() const;

private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

//! Headers every response carries (nosniff, referrer policy, frame denial).
void addSecurityHeaders(HttpResponse& response);

}  // namespace bb::webhooks
