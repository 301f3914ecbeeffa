// The mail the staff digest sends: its text as it goes over SMTP (bot/mail/mail_format.hpp) and
// the libcurl mailer against a small SMTP server on 127.0.0.1 (tests/support/fake_smtp.hpp).

#include <doctest/doctest.h>

#include <string>

#include "bot/mail/mail_format.hpp"
#include "bot/ports.hpp"
#include "support/engine_harness.hpp"
#include "support/fake_smtp.hpp"

namespace {

using bb::test::base64Decode;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

//! The header block and the decoded body of a rendered mail.
std::pair<std::string, std::string> split(const std::string& data) {
  const auto blank = data.find("\r\n\r\n");
  REQUIRE(blank != std::string::npos);
  return {data.substr(0, blank + 2), base64Decode(data.substr(blank + 4))};
}

//! The subject's encoded words joined back into UTF-8.
std::string subjectOf(const std::string& headers) {
  const auto start = headers.find("\r\nSubject: ");
  REQUIRE(start != std::string::npos);
  std::string out;
  std::size_t pos = start;
  while ((pos = headers.find("=?UTF-8?B?", pos)) != std::string::npos &&
         headers.find("\r\nMessage-ID", start) > pos) {
    const auto end = headers.find("?=", pos + 10);
    out += base64Decode(headers.substr(pos + 10, end - pos - 10));
    pos = end + 2;
  }
  return out;
}

bb::MailMessage digestLike() {
  bb::MailMessage m;
  m.to = "mia.muster@stadt.example";
  m.subject = "Bürgerbox: 3 neue Meldungen, 1 ungelesene Nachricht – Tiefbauamt Kernstadt, Grünflächen";
  m.text = "Guten Tag,\n\n- Tiefbauamt Kernstadt: 2 neue Meldungen\n.\n..zwei Punkte\nÄußerst grün\n";
  return m;
}

bb::SmtpSettings settingsFor(const bb::test::FakeSmtp& smtp) {
  bb::SmtpSettings s;
  s.url = smtp.url();
  s.from = "buergerbox@stadt.example";
  s.require_tls = false;
  s.timeout = std::chrono::seconds(10);
  return s;
}

}  // namespace

TEST_CASE("mail format: UTF-8 subject in encoded words, base64 body with CRLF, no line breaks smuggled") {
  const auto mail = digestLike();
  const std::string text = bb::mail::renderMail(mail, "buergerbox@stadt.example",
                                                bb::SysTime(std::chrono::seconds(1'795'000'000)),
                                                "abc@stadt.example");
  auto [headers, body] = split(text);
  CHECK(contains(headers, "Date: Wed, 18 Nov 2026 11:06:40 +0000\r\n"));
  CHECK(contains(headers, "From: =?UTF-8?B?"));
  CHECK(contains(headers, "<buergerbox@stadt.example>\r\n"));
  CHECK(contains(headers, "To: <mia.muster@stadt.example>\r\n"));
  CHECK(contains(headers, "Message-ID: <abc@stadt.example>\r\n"));
  CHECK(contains(headers, "Auto-Submitted: auto-generated\r\n"));
  CHECK(contains(headers, "Content-Type: text/plain; charset=utf-8\r\n"));
  CHECK(contains(headers, "Content-Transfer-Encoding: base64\r\n"));
  CHECK(subjectOf(headers) == mail.subject);
  // Encoded words stay within 75 characters, folded onto continuation lines.
  for (std::size_t pos = 0; (pos = headers.find("=?UTF-8?B?", pos)) != std::string::npos; ++pos) {
    CHECK(headers.find("?=", pos + 10) + 2 - pos <= 75);
  }
  CHECK(body == "Guten Tag,\r\n\r\n- Tiefbauamt Kernstadt: 2 neue Meldungen\r\n.\r\n..zwei "
                "Punkte\r\nÄußerst grün\r\n");
  // Every line of the whole text ends in CRLF and none is longer than 78 characters.
  std::size_t start = 0;
  while (start < text.size()) {
    const auto eol = text.find("\r\n", start);
    REQUIRE(eol != std::string::npos);
    CHECK(eol - start <= 78);
    CHECK(text.substr(start, eol - start).find('\n') == std::string::npos);
    start = eol + 2;
  }
  CHECK(bb::mail::encodeSubject("Plain ASCII") == "Plain ASCII");
  CHECK(bb::mail::headerSafe("a@b.example"));
  CHECK_FALSE(bb::mail::headerSafe("a@b.example\r\nBcc: x@evil.example"));
}

TEST_CASE("curl mailer: a mail reaches the SMTP server with login, sender and recipient") {
  bb::test::FakeSmtp smtp;
  smtp.requireLogin("bb-mailer", "geheim-smtp-1");
  bb::test::FakeClock clock;
  bb::test::FakeRandom random;
  auto settings = settingsFor(smtp);
  settings.user = "bb-mailer";
  settings.password = "geheim-smtp-1";
  auto mailer = bb::makeCurlMailer(settings, random, clock);
  auto sent = mailer->send(digestLike());
  REQUIRE_MESSAGE(sent.has_value(), (sent ? "" : sent.error().detail));
  REQUIRE(smtp.mails().size() == 1);
  const auto got = smtp.mails()[0];
  CHECK(got.mail_from == "buergerbox@stadt.example");
  CHECK(got.rcpt_to == std::vector<std::string>{"mia.muster@stadt.example"});
  CHECK(got.auth_user == "bb-mailer");
  CHECK(got.auth_password == "geheim-smtp-1");
  auto [headers, body] = split(got.data);
  CHECK(subjectOf(headers) == digestLike().subject);
  CHECK(contains(body, "..zwei Punkte\r\nÄußerst grün"));  // dot-stuffing undone: text intact
  CHECK(contains(headers, "@stadt.example>\r\n"));         // Message-ID on the sender's domain

  // A wrong password is refused by the server: an error naming the SMTP code.
  settings.password = "falsch";
  auto refused = bb::makeCurlMailer(settings, random, clock)->send(digestLike());
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == bb::ErrorCode::Unavailable);
  CHECK(contains(refused.error().detail, "535"));
  CHECK(smtp.mails().size() == 1);
}

TEST_CASE("curl mailer: a refused recipient, a server without TLS and no server are errors, nothing sent") {
  bb::test::FakeSmtp smtp;
  bb::test::FakeClock clock;
  bb::test::FakeRandom random;
  SUBCASE("the recipient is refused") {
    smtp.refuseRecipients(true);
    auto r = bb::makeCurlMailer(settingsFor(smtp), random, clock)->send(digestLike());
    REQUIRE_FALSE(r.has_value());
    CHECK(contains(r.error().detail, "550"));
    CHECK_FALSE(contains(r.error().detail, "mia.muster"));  // no address in what gets logged
  }
  SUBCASE("TLS required but the server offers no STARTTLS: nothing goes out in clear text") {
    auto settings = settingsFor(smtp);
    settings.require_tls = true;
    settings.user = "bb-mailer";
    settings.password = "geheim-smtp-1";
    auto r = bb::makeCurlMailer(settings, random, clock)->send(digestLike());
    REQUIRE_FALSE(r.has_value());
    for (const auto& c : smtp.commands()) {
      CHECK(c != "AUTH");
      CHECK(c != "MAIL");
    }
  }
  SUBCASE("nobody listens on the port") {
    auto settings = settingsFor(smtp);
    settings.url = "smtp://127.0.0.1:1";
    auto r = bb::makeCurlMailer(settings, random, clock)->send(digestLike());
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == bb::ErrorCode::Unavailable);
  }
  SUBCASE("a line break in the address would add a header: refused before connecting") {
    auto mail = digestLike();
    mail.to = "mia@stadt.example\r\nBcc: x@evil.example";
    auto r = bb::makeCurlMailer(settingsFor(smtp), random, clock)->send(mail);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == bb::ErrorCode::InvalidInput);
    CHECK(smtp.commands().empty());
  }
  CHECK(smtp.mails().empty());
}
