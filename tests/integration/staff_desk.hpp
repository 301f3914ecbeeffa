#pragma once
// A staff member in the inbox of the real `buergerbox serve` (tests/reliability/rig.hpp): the
// account is added with `buergerbox staff add` before the server starts, then login, CSRF and
// the ticket forms over HTTP. Shared by the integration tests that need staff to act.

#include <doctest/doctest.h>

#include <httplib.h>

#include <cctype>
#include <cstdio>
#include <regex>
#include <string>

#include "bot/http/http.hpp"
#include "tests/reliability/rig.hpp"

namespace bb::test {

inline constexpr const char* kStaffPassword = "replies-staff-pw-123";

//! `buergerbox staff add` on the rig's database before the server starts (password on stdin).
inline void addStaff(const Rig& rig) {
  std::string cmd = "cd '" + std::string(BB_SOURCE_DIR) + "' && env";
  for (const auto& [k, v] : rig.env()) { cmd += " " + k + "='" + v + "'"; }
  cmd += " '" + std::string(BB_BINARY) +
         "' staff add --login mia --role admin --config config/demo.json 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "w");
  REQUIRE(p != nullptr);
  std::fputs((std::string(kStaffPassword) + "\n").c_str(), p);
  REQUIRE(::pclose(p) == 0);
}

//! The "name=value" of the cookie `name` the response sets (the first one when `name` is empty).
inline std::string cookieValue(const httplib::Result& res, const std::string& name = {}) {
  const std::size_t n = res->get_header_value_count("Set-Cookie");
  for (std::size_t i = 0; i < n; ++i) {
    const std::string c = res->get_header_value("Set-Cookie", i);
    if (name.empty() || c.rfind(name + "=", 0) == 0) { return c.substr(0, c.find(';')); }
  }
  return {};
}

inline std::string csrfOf(const std::string& page) {
  std::smatch m;
  REQUIRE(std::regex_search(page, m, std::regex("name=\"csrf\" value=\"([0-9a-f]+)\"")));
  return m[1];
}

//! A staff member logged into the inbox.
struct Desk {
  int port = 0;
  std::string cookie;

  void login() {
    httplib::Client client("127.0.0.1", port);
    auto page = client.Get("/inbox/login");
    REQUIRE(page);
    const std::string pre = cookieValue(page);
    auto res = client.Post("/inbox/login", {{"Cookie", pre}},
                           "csrf=" + csrfOf(page->body) + "&login=mia&password=" +
                               bb::urlEncode(kStaffPassword),
                           "application/x-www-form-urlencoded");
    REQUIRE(res);
    REQUIRE((res->status == 302 || res->status == 303));
    REQUIRE(res->get_header_value("Location") != "/inbox/login?e=1");
    cookie = cookieValue(res, "bb_inbox");
    REQUIRE_FALSE(cookie.empty());
  }
  std::string get(const std::string& path) {
    httplib::Client client("127.0.0.1", port);
    auto res = client.Get(path.c_str(), {{"Cookie", cookie}});
    REQUIRE(res);
    REQUIRE(res->status == 200);
    return res->body;
  }
  //! Posts `form` (without csrf) to `target` with the CSRF token of the inbox page `page`;
  //! returns where it redirects.
  std::string post(const std::string& page, const std::string& target, const std::string& form) {
    const std::string csrf = csrfOf(get(page));
    httplib::Client client("127.0.0.1", port);
    auto res = client.Post(target.c_str(), {{"Cookie", cookie}}, "csrf=" + csrf + "&" + form,
                           "application/x-www-form-urlencoded");
    REQUIRE(res);
    REQUIRE_MESSAGE(res->status == 303, target << ": " << res->status << " " << res->body);
    return res->get_header_value("Location");
  }
  //! Posts `form` (without csrf) to the ticket's `action`; returns where it redirects.
  std::string act(std::int64_t number, const std::string& action, const std::string& form) {
    const std::string path = "/inbox/tickets/" + std::to_string(number);
    return post(path, path + "/" + action, form);
  }
  //! The reply form; returns where it redirects ("...?ok=reply" or "...?ok=reply_unsent").
  std::string reply(std::int64_t number, const std::string& text) {
    return act(number, "reply", "text=" + bb::urlEncode(text));
  }
  //! The status form with the text the followers receive.
  std::string status(std::int64_t number, const std::string& status, const std::string& note) {
    return act(number, "status", "status=" + status + "&note=" + bb::urlEncode(note));
  }
};

}  // namespace bb::test
