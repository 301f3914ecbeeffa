// The Mailer port's real implementation: SMTP through libcurl (STARTTLS or SMTPS, optional login).
#include <algorithm>
#include <mutex>

#include <curl/curl.h>

#include "bot/mail/mail_format.hpp"
#include "bot/ports.hpp"

namespace bb {
namespace {

struct Upload {
  const std::string* text;
  std::size_t sent = 0;
};

std::size_t onRead(char* buffer, std::size_t size, std::size_t n, void* user) {
  auto* up = static_cast<Upload*>(user);
  const std::size_t room = size * n;
  const std::size_t left = up->text->size() - up->sent;
  const std::size_t chunk = std::min(room, left);
  std::copy_n(up->text->data() + up->sent, chunk, buffer);
  up->sent += chunk;
  return chunk;
}

//! "buergerbox@stadt.example" -> "stadt.example": the right side of Message-IDs.
std::string domainOf(const std::string& address) {
  const auto at = address.rfind('@');
  return at == std::string::npos ? std::string("localhost") : address.substr(at + 1);
}

class CurlMailer final : public Mailer {
public:
  CurlMailer(SmtpSettings settings, Random& random, const Clock& clock)
      : settings_(std::move(settings)), random_(random), clock_(clock) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  Result<void> send(const MailMessage& mail) override {
    if (!mail::headerSafe(mail.to) || !mail::headerSafe(mail.subject) ||
        mail.to.find_first_of("<>,; ") != std::string::npos) {
      return fail(ErrorCode::InvalidInput, "address or subject not fit for a mail header");
    }
    const std::string text = mail::renderMail(mail, settings_.from, clock_.now(),
                                              random_.hex(16) + "@" + domainOf(settings_.from));
    CURL* curl = curl_easy_init();
    if (curl == nullptr) { return fail(ErrorCode::Unavailable, "curl_easy_init failed"); }
    Upload upload{&text};
    curl_slist* recipients = curl_slist_append(nullptr, ("<" + mail.to + ">").c_str());
    const std::string from = "<" + settings_.from + ">";
    curl_easy_setopt(curl, CURLOPT_URL, settings_.url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, onRead);
    curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(text.size()));
    // smtp:// with require_tls: STARTTLS or nothing; a server that does not offer it fails.
    curl_easy_setopt(curl, CURLOPT_USE_SSL,
                     settings_.require_tls ? static_cast<long>(CURLUSESSL_ALL)
                                           : static_cast<long>(CURLUSESSL_NONE));
    if (!settings_.user.empty()) {
      curl_easy_setopt(curl, CURLOPT_USERNAME, settings_.user.c_str());
      curl_easy_setopt(curl, CURLOPT_PASSWORD, settings_.password.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(settings_.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    const CURLcode rc = curl_easy_perform(curl);
    long reply = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
    curl_slist_free_all(recipients);
    curl_easy_cleanup(curl);
    if (rc == CURLE_OK) { return {}; }
    // curl's text names the step (login, recipient, TLS) and the server's code, never the address.
    std::string reason = curl_easy_strerror(rc);
    if (reply != 0) { reason += " (SMTP " + std::to_string(reply) + ")"; }
    return fail(ErrorCode::Unavailable, reason);
  }

private:
  SmtpSettings settings_;
  Random& random_;
  const Clock& clock_;
};

}  // namespace

std::unique_ptr<Mailer> makeCurlMailer(SmtpSettings settings, Random& random, const Clock& clock) {
  return std::make_unique<CurlMailer>(std::move(settings), random, clock);
}

}  // namespace bb
