// libcurl for HTTP: the HttpClient port's real implementation (SMTP is bot/http/curl_mailer.cpp).
#include <algorithm>
#include <cctype>
#include <mutex>

#include <curl/curl.h>

#include "bot/ports.hpp"

namespace bb {
namespace {

struct ReplyBuffer {
  HttpReply* reply;
  std::size_t limit;
  bool overflow = false;
};

std::size_t onBody(char* data, std::size_t size, std::size_t n, void* user) {
  auto* buf = static_cast<ReplyBuffer*>(user);
  std::size_t bytes = size * n;
  if (buf->reply->body.size() + bytes > buf->limit) {
    buf->overflow = true;
    return 0;  // aborts the transfer
  }
  buf->reply->body.append(data, bytes);
  return bytes;
}

std::size_t onHeader(char* data, std::size_t size, std::size_t n, void* user) {
  auto* buf = static_cast<ReplyBuffer*>(user);
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    std::string value = line.substr(colon + 1);
    auto first = value.find_first_not_of(" \t");
    auto last = value.find_last_not_of(" \t\r\n");
    value = first == std::string::npos ? "" : value.substr(first, last - first + 1);
    buf->reply->headers[name] = value;
  }
  return size * n;
}

bool hasControlChars(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char ch) { return ch == '\r' || ch == '\n'; });
}

class CurlHttpClient final : public HttpClient {
public:
  CurlHttpClient() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  HttpReply send(const HttpCall& call) override {
    HttpReply reply;
    CURL* curl = curl_easy_init();
    if (curl == nullptr) {
      reply.transport_error = "curl_easy_init failed";
      return reply;
    }
    ReplyBuffer buf{&reply, call.max_response_bytes};
    curl_slist* headers = nullptr;
    for (const auto& [name, value] : call.headers) {
      // Header injection guard: a CR or LF would start a new header line.
      if (hasControlChars(name) || hasControlChars(value)) {
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
        reply.transport_error = "header contains a line break";
        return reply;
      }
      headers = curl_slist_append(headers, (name + ": " + value).c_str());
    }
    curl_easy_setopt(curl, CURLOPT_URL, call.url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call.method.c_str());
    if (call.method == "GET") {
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else if (call.method != "HEAD") {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, call.body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(call.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &buf);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, onHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &buf);
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
      reply.status = static_cast<int>(status);
    } else {
      reply.status = 0;
      reply.body.clear();
      reply.transport_error = buf.overflow ? "response too large" : curl_easy_strerror(rc);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return reply;
  }
};

}  // namespace

std::unique_ptr<HttpClient> makeCurlHttpClient() { return std::make_unique<CurlHttpClient>(); }

}  // namespace bb
