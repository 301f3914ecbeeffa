#pragma once
// Optional built-in HTTPS: cpp-httplib's SSLServer with OpenSSL, hardened to TLS 1.2
// and 1.3, forward-secret AEAD cipher suites only, no compression, no renegotiation, no session
// tickets (docs/security.md). Without a certificate and key the server speaks plain HTTP, for
// running behind a reverse proxy (docs/deploy/nginx.conf).

#include <memory>

#include <httplib.h>

#include "webhooks/http_server.hpp"

namespace bb::webhooks {

//! A TLS server when options.tls_cert_file and tls_key_file are set, else a plain one. Check
//! is_valid(): false when the certificate or key cannot be loaded.
std::unique_ptr<httplib::Server> makeServer(const ServerOptions& options);

//! The TLS 1.2 cipher list used (TLS 1.3 suites are OpenSSL's AEAD defaults).
inline constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

}  // namespace bb::webhooks
