#include "bot/http/http.hpp"

#include "bot/text/utf8.hpp"

#include <cctype>

namespace bb {

std::string HttpRequest::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

std::string HttpRequest::param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

bool HttpRequest::hasParam(const std::string& name) const { return params.count(name) != 0; }

std::string HttpRequest::cookie(const std::string& name) const {
  const std::string all = header("cookie");
  std::size_t pos = 0;
  while (pos < all.size()) {
    std::size_t end = all.find(';', pos);
    if (end == std::string::npos) { end = all.size(); }
    std::string part = all.substr(pos, end - pos);
    auto first = part.find_first_not_of(' ');
    if (first != std::string::npos) { part = part.substr(first); }
    auto eq = part.find('=');
    if (eq != std::string::npos && part.compare(0, eq, name) == 0 && eq == name.size()) {
      return part.substr(eq + 1);
    }
    pos = end + 1;
  }
  return {};
}

HttpResponse HttpResponse::text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

HttpResponse& HttpResponse::header(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

std::string urlDecode(const std::string& s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    if (ch == '+' && plus_as_space) {
      out.push_back(' ');
    } else if (ch == '%' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) != 0 &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2])) != 0) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

std::string urlEncode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) != 0 || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(kHex[ch >> 4]);
      out.push_back(kHex[ch & 0x0f]);
    }
  }
  return out;
}

std::multimap<std::string, std::string> parseForm(const std::string& body) {
  std::multimap<std::string, std::string> out;
  std::size_t pos = 0;
  while (pos <= body.size()) {
    std::size_t end = body.find('&', pos);
    if (end == std::string::npos) { end = body.size(); }
    std::string pair = body.substr(pos, end - pos);
    if (!pair.empty()) {
      auto eq = pair.find('=');
      if (eq == std::string::npos) {
        out.emplace(toValidUtf8(urlDecode(pair)), "");
      } else {
        // Form fields are bytes: only valid UTF-8 goes on (bot/text/utf8.hpp).
        out.emplace(toValidUtf8(urlDecode(pair.substr(0, eq))),
                    toValidUtf8(urlDecode(pair.substr(eq + 1))));
      }
    }
    pos = end + 1;
  }
  return out;
}

}  // namespace bb
