#pragma once
// A small SMTP server on 127.0.0.1 for tests of the mailer and the staff digest: it speaks what
// curl's SMTP client uses (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT), records every mail it
// accepts and can refuse the login or the recipient. No TLS: it never offers STARTTLS, so a
// client that demands TLS must give up before it sends anything.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace bb::test {

struct ReceivedMail {
  std::string mail_from;  //!< as in "MAIL FROM:<...>", without the brackets
  std::vector<std::string> rcpt_to;
  std::string auth_user;  //!< from AUTH PLAIN; empty: no login
  std::string auth_password;
  std::string data;  //!< the DATA text with CRLF, dot-stuffing undone, without the final "."
};

class FakeSmtp {
public:
  FakeSmtp();
  ~FakeSmtp();
  FakeSmtp(const FakeSmtp&) = delete;
  FakeSmtp& operator=(const FakeSmtp&) = delete;

  int port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

  //! Refuse AUTH unless these credentials come (empty user: accept any login).
  void requireLogin(const std::string& user, const std::string& password);
  //! Answer RCPT with 550 (mailbox unavailable).
  void refuseRecipients(bool refuse) { refuse_rcpt_ = refuse; }

  std::vector<ReceivedMail> mails() const;
  //! Commands seen, in order ("EHLO", "MAIL", "RCPT", "DATA", "AUTH", "QUIT", ...).
  std::vector<std::string> commands() const;
  //! Waits until `n` mails arrived or `timeout` passed; true when they did.
  bool waitForMails(std::size_t n, std::chrono::milliseconds timeout) const;

private:
  void serve();
  void session(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> refuse_rcpt_{false};
  std::string login_user_;
  std::string login_password_;
  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  std::vector<ReceivedMail> mails_;
  std::vector<std::string> commands_;
  std::thread thread_;
};

//! Decodes standard base64 (test helper for mail bodies and encoded words).
std::string base64Decode(const std::string& text);

}  // namespace bb::test
