#pragma once
// What the app/ tests share: a config whose every path points into a temp folder or the source
// tree, a port nobody else can bind, and a log sink that keeps the lines written.

#include <string>
#include <string_view>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bot/log.hpp"
#include "config/config.hpp"
#include "support/log_capture.hpp"
#include "support/server_process.hpp"

namespace bb::test {

//! The shipped flows config, storage in `dir`, the HTTP listener on any free port, test keys.
inline config::Config appConfig(const std::string& dir) {
  config::Config c;
  const std::string root = BB_SOURCE_DIR;
  c.storage.path = dir + "/db.sqlite";
  c.storage.media_dir = dir + "/media";
  c.flows.categories_file = root + "/config/categories.json";
  c.flows.texts_dir = root + "/config/texts";
  c.subscriptions.topics_file = root + "/config/topics.json";
  c.privacy.pseudonym_key = testKey('a');
  c.privacy.encryption_key = testKey('b');
  c.server.port = 0;
  c.server.threads = 4;
  c.flows.workers = 2;
  return c;
}

//! A port held by a listening socket without SO_REUSEPORT, so nobody else can bind it (cpp-httplib
//! sets SO_REUSEPORT: two of its servers could share a port).
class TakenPort {
public:
  TakenPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(fd_, 1) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  ~TakenPort() {
    if (fd_ >= 0) { ::close(fd_); }
  }
  TakenPort(const TakenPort&) = delete;
  TakenPort& operator=(const TakenPort&) = delete;
  int port() const { return port_; }

private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace bb::test
