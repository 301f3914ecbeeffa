#include "support/fake_smtp.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <openssl/evp.h>

namespace bb::test {
namespace {

//! Reads one line (without CRLF); false when the peer closed or went silent for 10 s.
bool readLine(int fd, std::string& buffer, std::string& line) {
  while (true) {
    const auto eol = buffer.find("\r\n");
    if (eol != std::string::npos) {
      line = buffer.substr(0, eol);
      buffer.erase(0, eol + 2);
      return true;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) { return false; }
    char chunk[4096];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) { return false; }
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
}

void sendLine(int fd, const std::string& line) {
  const std::string out = line + "\r\n";
  (void)::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  return s;
}

//! "MAIL FROM:<a@b> SIZE=12" -> "a@b"
std::string bracketed(const std::string& line) {
  const auto open = line.find('<');
  const auto close = line.find('>', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) { return {}; }
  return line.substr(open + 1, close - open - 1);
}

}  // namespace

std::string base64Decode(const std::string& text) {
  std::string clean;
  for (char ch : text) {
    if (std::isspace(static_cast<unsigned char>(ch)) == 0) { clean += ch; }
  }
  std::string out(clean.size() / 4 * 3 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(clean.data()),
                                static_cast<int>(clean.size()));
  if (n < 0) { return {}; }
  out.resize(static_cast<std::size_t>(n));
  // EVP_DecodeBlock counts the padding as zero bytes.
  for (std::size_t i = clean.size(); i > 0 && clean[i - 1] == '='; --i) { out.pop_back(); }
  return out;
}

FakeSmtp::FakeSmtp() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) { throw std::runtime_error("fake smtp: socket"); }
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 8) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("fake smtp: bind/listen");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

FakeSmtp::~FakeSmtp() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  thread_.join();
}

void FakeSmtp::requireLogin(const std::string& user, const std::string& password) {
  std::lock_guard lock(mutex_);
  login_user_ = user;
  login_password_ = password;
}

std::vector<ReceivedMail> FakeSmtp::mails() const {
  std::lock_guard lock(mutex_);
  return mails_;
}

std::vector<std::string> FakeSmtp::commands() const {
  std::lock_guard lock(mutex_);
  return commands_;
}

bool FakeSmtp::waitForMails(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return arrived_.wait_for(lock, timeout, [&] { return mails_.size() >= n; });
}

void FakeSmtp::serve() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) { continue; }
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) { continue; }
    session(fd);
    ::close(fd);
  }
}

void FakeSmtp::session(int fd) {
  std::string buffer;
  std::string line;
  ReceivedMail mail;
  auto seen = [this](const std::string& command) {
    std::lock_guard lock(mutex_);
    commands_.push_back(command);
  };
  sendLine(fd, "220 fake.test ESMTP");
  while (readLine(fd, buffer, line)) {
    const std::string verb = upper(line.substr(0, line.find(' ')));
    seen(verb);
    if (verb == "EHLO" || verb == "HELO") {
      sendLine(fd, "250-fake.test");
      sendLine(fd, "250 AUTH PLAIN");
    } else if (verb == "AUTH") {
      std::string token = line.size() > 11 ? line.substr(11) : std::string();  // "AUTH PLAIN x"
      if (token.empty()) {
        sendLine(fd, "334 ");
        if (!readLine(fd, buffer, token)) { return; }
      }
      const std::string plain = base64Decode(token);  // authzid \0 user \0 password
      const auto a = plain.find('\0');
      const auto b = plain.find('\0', a + 1);
      if (a != std::string::npos && b != std::string::npos) {
        mail.auth_user = plain.substr(a + 1, b - a - 1);
        mail.auth_password = plain.substr(b + 1);
      }
      std::lock_guard lock(mutex_);
      const bool ok = login_user_.empty() ||
                      (mail.auth_user == login_user_ && mail.auth_password == login_password_);
      sendLine(fd, ok ? "235 2.7.0 Authentication successful"
                      : "535 5.7.8 Authentication credentials invalid");
    } else if (verb == "MAIL") {
      mail.mail_from = bracketed(line);
      sendLine(fd, "250 2.1.0 Ok");
    } else if (verb == "RCPT") {
      if (refuse_rcpt_) {
        sendLine(fd, "550 5.1.1 Mailbox unavailable");
      } else {
        mail.rcpt_to.push_back(bracketed(line));
        sendLine(fd, "250 2.1.5 Ok");
      }
    } else if (verb == "DATA") {
      sendLine(fd, "354 End data with <CR><LF>.<CR><LF>");
      std::string data;
      while (readLine(fd, buffer, line) && line != ".") {
        data += (line.rfind("..", 0) == 0 ? line.substr(1) : line) + "\r\n";
      }
      mail.data = data;
      {
        std::lock_guard lock(mutex_);
        mails_.push_back(mail);
      }
      arrived_.notify_all();
      sendLine(fd, "250 2.0.0 Ok: queued");
      mail = ReceivedMail{mail.mail_from, {}, mail.auth_user, mail.auth_password, {}};
    } else if (verb == "RSET" || verb == "NOOP") {
      sendLine(fd, "250 2.0.0 Ok");
    } else if (verb == "QUIT") {
      sendLine(fd, "221 2.0.0 Bye");
      return;
    } else {
      sendLine(fd, "502 5.5.2 Command not implemented");
    }
  }
}

}  // namespace bb::test
