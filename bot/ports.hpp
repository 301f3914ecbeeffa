#pragma once
// The seams to the world outside the process: time, randomness, outbound HTTP and mail.
// Real implementations live in bot/ (system clock, OpenSSL RAND, libcurl); tests use fakes.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bot/result.hpp"
#include "bot/types.hpp"

namespace bb {

class Clock {
public:
  virtual ~Clock() = default;
  //! Wall-clock time for timestamps shown to people and stored.
  virtual SysTime now() const = 0;
  //! Monotonic time for intervals, timeouts and rate limits.
  virtual std::chrono::steady_clock::time_point monotonic() const = 0;
};

class SystemClock final : public Clock {
public:
  SysTime now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point monotonic() const override {
    return std::chrono::steady_clock::now();
  }
};

//! Where tokens come from: session ids, CSRF tokens, follow links, API keys, web chat event ids.
//! Tests inject a fake to see and fix them. Key material inside bot/security/crypto (AES-GCM
//! nonces, password salts) is drawn there directly: no test needs to choose it.
//! Implementations are safe to call from several threads at once.
class Random {
public:
  virtual ~Random() = default;
  //! Cryptographically strong random bytes.
  virtual std::vector<std::uint8_t> bytes(std::size_t n) = 0;
  //! n random bytes as lowercase hex (2n characters).
  std::string hex(std::size_t n);
  //! n random bytes as a string of bytes.
  std::string byteString(std::size_t n);
};

//! OpenSSL RAND_bytes.
class SystemRandom final : public Random {
public:
  std::vector<std::uint8_t> bytes(std::size_t n) override;
};

//! One outbound HTTP call, fully rendered by a channel adapter. Never logged (holds tokens and
//! personal data).
struct HttpCall {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{10000};
  std::size_t max_response_bytes = 8 * 1024 * 1024;
};

struct HttpReply {
  int status = 0;  //!< 0 when no HTTP answer came (timeout, reset, DNS)
  std::map<std::string, std::string> headers;  //!< lower-case names
  std::string body;
  std::string transport_error;  //!< curl's error text when status == 0 (no user data)
};

class HttpClient {
public:
  virtual ~HttpClient() = default;
  //! Performs the call. Transport failures are a reply with status 0, not an error: the caller
  //! decides about retries from the reply.
  virtual HttpReply send(const HttpCall& call) = 0;
};

//! libcurl implementation (bot/http/curl_http_client.cpp), thread-safe: one easy handle per call.
std::unique_ptr<HttpClient> makeCurlHttpClient();

//! One plain-text mail (the staff digest). Never logged: the address is a person's.
struct MailMessage {
  std::string to;
  std::string subject;  //!< UTF-8, one line
  std::string text;     //!< UTF-8, lines separated by '\n'
};

class Mailer {
public:
  virtual ~Mailer() = default;
  //! Hands the mail to the configured server. Unavailable with the reason (no address in it)
  //! when the server cannot be reached, refuses TLS, the login or the recipient.
  virtual Result<void> send(const MailMessage& mail) = 0;
};

//! Where and how mail goes out (config `smtp.*`).
struct SmtpSettings {
  std::string url;   //!< smtp://host:port (STARTTLS) or smtps://host:port
  std::string from;  //!< sender address
  std::string user;  //!< empty: no login
  std::string password;
  bool require_tls = true;  //!< smtp:// then demands STARTTLS
  std::chrono::milliseconds timeout{30000};
};

//! libcurl implementation (bot/http/curl_mailer.cpp), thread-safe: one easy handle per mail.
std::unique_ptr<Mailer> makeCurlMailer(SmtpSettings settings, Random& random, const Clock& clock);

}  // namespace bb
