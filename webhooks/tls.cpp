#include "webhooks/tls.hpp"

#include <openssl/ssl.h>

#include "bot/log.hpp"

namespace bb::webhooks {

std::unique_ptr<httplib::Server> makeServer(const ServerOptions& options) {
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    return std::make_unique<httplib::Server>();
  }
  auto server = std::make_unique<httplib::SSLServer>(options.tls_cert_file.c_str(),
                                                     options.tls_key_file.c_str());
  if (!server->is_valid()) {
    log::error("tls_setup_failed", {{"detail", "certificate or key cannot be loaded"}});
    return server;
  }
  SSL_CTX* ctx = server->ssl_context();
  bool ok = SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1;
  ok = ok && SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) == 1;
  ok = ok && SSL_CTX_set_ciphersuites(
                 ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256") == 1;
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
  if (!ok) {
    // Refuse to serve with weaker settings than documented: fail closed.
    log::error("tls_setup_failed", {{"detail", "cannot apply the TLS settings"}});
    return std::make_unique<httplib::SSLServer>("", "");
  }
  log::info("tls_enabled", {{"min_version", "TLSv1.2"}});
  return server;
}

}  // namespace bb::webhooks
