#pragma once
// The service's own HTTP request/response structs. Handlers map one to the other, so they are
// unit-tested without sockets; only webhooks/http_server.cpp knows cpp-httplib.

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace bb {

struct HttpRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  //!< lower-case names
  std::multimap<std::string, std::string> params;  //!< query string (and urlencoded form)
  std::string body;
  std::vector<std::string> matches;  //!< capture groups of the route pattern
  std::string remote_addr;
  bool tls = false;

  std::string header(const std::string& lower_name) const;
  std::string param(const std::string& name) const;
  bool hasParam(const std::string& name) const;
  std::string cookie(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static HttpResponse text(int status, std::string body);
  static HttpResponse json(int status, std::string body);
  HttpResponse& header(std::string name, std::string value);
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct Route {
  std::string method;   //!< GET, POST, PUT, DELETE
  std::string pattern;  //!< ECMAScript regex over the path, as cpp-httplib takes it
  std::string name;     //!< stable label for metrics (never the raw path)
  HttpHandler handler;
};

//! Decodes %XX and '+' in form values.
std::string urlDecode(const std::string& s, bool plus_as_space = true);
std::string urlEncode(const std::string& s);
//! Parses application/x-www-form-urlencoded.
std::multimap<std::string, std::string> parseForm(const std::string& body);

}  // namespace bb
