#pragma once
// A fake of all three messenger APIs (WhatsApp Graph, Telegram Bot API, Matrix client-server) on
// raw sockets, so that it can do what an HTTP library will not: reset a connection, stall without
// answering, answer slowly. Every request is one connection ("Connection: close").
//
// Faults: with probability `fault_rate` a send request gets one of
//   500 · 429 (with Retry-After / retry_after) · reset (RST, nothing delivered) ·
//   stall (no answer until after the client's 10 s timeout, nothing delivered) ·
//   slow (answered after `slow_ms`, delivered).
// Deliveries are recorded per recipient in arrival order. Matrix sends are deduplicated by txnId
// like a homeserver does, so a repeated PUT of one txnId is counted as a repeat, not a delivery.

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace bb::test {

struct FakeApisOptions {
  double fault_rate = 0;
  std::uint32_t seed = 14;
  int slow_ms = 1200;
  int stall_ms = 10800;  //!< longer than HttpCall's default 10 s timeout
};

class FakeApis {
public:
  using Options = FakeApisOptions;
  struct Delivery {
    std::string channel;    //!< whatsapp | telegram | matrix
    std::string recipient;  //!< wa_id, chat id, room id
    std::string text;
    std::string id;  //!< the id the fake gave the message (wamid, message_id, event_id)
    std::string body;  //!< the request body as sent (a WhatsApp template's name and parameters)
  };

  FakeApis() : FakeApis(Options{}) {}
  explicit FakeApis(Options options) : options_(options), rng_(options.seed) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_fd_, 128);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { acceptLoop(); });
  }
  ~FakeApis() {
    stopping_.store(true);
    if (accept_thread_.joinable()) { accept_thread_.join(); }
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      threads.swap(threads_);
    }
    for (auto& t : threads) {
      if (t.joinable()) { t.join(); }
    }
    ::close(listen_fd_);
  }
  FakeApis(const FakeApis&) = delete;
  FakeApis& operator=(const FakeApis&) = delete;

  int port() const { return port_; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void setFaultRate(double rate) {
    std::lock_guard lock(mutex_);
    options_.fault_rate = rate;
  }
  //! Every send to `recipient` answers 500 (a dead letter in the making).
  void failAlways(const std::string& recipient) {
    std::lock_guard lock(mutex_);
    always_fail_.insert(recipient);
  }

  //! The next `n` sends to `recipient` are delivered, then the connection is reset before the
  //! answer: the API performed the send, the sender never learns it.
  void dropAnswers(const std::string& recipient, int n) {
    std::lock_guard lock(mutex_);
    drop_answers_[recipient] = n;
  }

  std::vector<Delivery> deliveries() {
    std::lock_guard lock(mutex_);
    return deliveries_;
  }
  std::vector<Delivery> deliveriesTo(const std::string& recipient) {
    std::lock_guard lock(mutex_);
    std::vector<Delivery> out;
    for (const auto& d : deliveries_) {
      if (d.recipient == recipient) { out.push_back(d); }
    }
    return out;
  }
  //! Faults injected, by kind (500, 429, reset, stall, slow, always500, dropped_answer).
  std::map<std::string, int> faults() {
    std::lock_guard lock(mutex_);
    return faults_;
  }
  int faultCount() {
    std::lock_guard lock(mutex_);
    int n = 0;
    for (const auto& [k, v] : faults_) { n += v; }
    return n;
  }
  int sendRequests() {
    std::lock_guard lock(mutex_);
    return send_requests_;
  }
  //! Matrix PUTs that repeated an already delivered txnId (the homeserver dedups them).
  int matrixRepeats() {
    std::lock_guard lock(mutex_);
    return matrix_repeats_;
  }
  //! Header lines of every request whose name is not one an HTTP client sends itself.
  std::vector<std::string> requestLines() {
    std::lock_guard lock(mutex_);
    return request_lines_;
  }

private:
  struct Request {
    std::string method;
    std::string target;
    std::map<std::string, std::string> headers;
    std::string body;
    std::string head;  //!< the raw request line and headers
  };

  void acceptLoop() {
    while (!stopping_.load()) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) { continue; }
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) { continue; }
      std::lock_guard lock(mutex_);
      threads_.emplace_back([this, fd] { serve(fd); });
    }
  }

  static bool readSome(int fd, std::string& buf) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 15000) <= 0) { return false; }
    char tmp[8192];
    const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) { return false; }
    buf.append(tmp, static_cast<std::size_t>(n));
    return true;
  }

  static void writeAll(int fd, const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
      const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) { return; }
      off += static_cast<std::size_t>(n);
    }
  }

  static bool readRequest(int fd, Request& req) {
    std::string buf;
    std::size_t end = std::string::npos;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (buf.size() > 65536 || !readSome(fd, buf)) { return false; }
    }
    req.head = buf.substr(0, end);
    std::string rest = buf.substr(end + 4);
    std::size_t line_end = req.head.find("\r\n");
    const std::string first = req.head.substr(0, line_end);
    const auto sp1 = first.find(' ');
    const auto sp2 = first.find(' ', sp1 + 1);
    if (sp1 == std::string::npos || sp2 == std::string::npos) { return false; }
    req.method = first.substr(0, sp1);
    req.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
    std::size_t pos = line_end == std::string::npos ? req.head.size() : line_end + 2;
    while (pos < req.head.size()) {
      std::size_t e = req.head.find("\r\n", pos);
      if (e == std::string::npos) { e = req.head.size(); }
      const std::string line = req.head.substr(pos, e - pos);
      const auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& c : name) { c = static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') { value.erase(0, 1); }
        req.headers[name] = value;
      }
      pos = e + 2;
    }
    std::size_t length = 0;
    if (auto it = req.headers.find("content-length"); it != req.headers.end()) {
      length = static_cast<std::size_t>(std::stoul(it->second));
    }
    if (auto it = req.headers.find("expect"); it != req.headers.end() && length > 0) {
      writeAll(fd, "HTTP/1.1 100 Continue\r\n\r\n");
    }
    while (rest.size() < length) {
      if (!readSome(fd, rest)) { return false; }
    }
    req.body = rest.substr(0, length);
    return true;
  }

  static std::string response(int status, const std::string& body,
                              const std::string& extra_headers = {}) {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n" +
           extra_headers + "Content-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
  }

  static std::string urlDecode(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '%' && i + 2 < s.size()) {
        out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
        i += 2;
      } else {
        out.push_back(s[i]);
      }
    }
    return out;
  }

  void sleepMs(int ms) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!stopping_.load() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  //! Which fault (if any) this send gets; "" for none.
  std::string chooseFault(const std::string& recipient) {
    std::lock_guard lock(mutex_);
    ++send_requests_;
    if (always_fail_.count(recipient) != 0) {
      ++faults_["always500"];
      return "500";
    }
    std::uniform_real_distribution<double> u(0.0, 1.0);
    if (u(rng_) >= options_.fault_rate) { return ""; }
    // Which fault: a fixed rotation, so every kind occurs; stalls cost 10 s each on a sequential
    // sender, so only every ninth fault is one.
    static constexpr const char* kKinds[] = {"500", "429",   "reset", "slow", "500",
                                             "429", "reset", "slow",  "stall"};
    std::string kind = kKinds[fault_index_++ % 9];
    ++faults_[kind];
    return kind;
  }

  void serve(int fd) {
    Request req;
    if (!readRequest(fd, req)) {
      ::close(fd);
      return;
    }
    {
      std::lock_guard lock(mutex_);
      request_lines_.push_back(req.head);
    }
    namespace nj = nlohmann;
    const nj::json body = nj::json::parse(req.body, nullptr, false);
    std::string channel;
    std::string recipient;
    std::string text;
    std::string txn;
    if (req.method == "POST" && req.target.find("/messages") != std::string::npos) {
      channel = "whatsapp";
      if (body.is_object()) {
        recipient = body.value("to", "");
        if (body.contains("text")) { text = body["text"].value("body", ""); }
        if (body.contains("interactive")) {
          text = body["interactive"]["body"].value("text", "");
        }
        if (body.contains("template")) { text = "template"; }
      }
    } else if (req.method == "POST" && req.target.rfind("/bot", 0) == 0 &&
               req.target.find("/sendMessage") != std::string::npos) {
      channel = "telegram";
      if (body.is_object() && body.contains("chat_id")) {
        const auto& c = body["chat_id"];
        recipient = c.is_string() ? c.get<std::string>() : c.dump();
        text = body.value("text", "");
      }
    } else if (req.method == "PUT" && req.target.find("/send/m.room.message/") != std::string::npos) {
      channel = "matrix";
      const std::string prefix = "/_matrix/client/v3/rooms/";
      const auto room_end = req.target.find("/send/");
      recipient = urlDecode(req.target.substr(prefix.size(), room_end - prefix.size()));
      txn = req.target.substr(req.target.rfind('/') + 1);
      if (body.is_object()) { text = body.value("body", ""); }
    }

    if (channel.empty()) {
      // getFile, answerCallbackQuery, join, ...: a generic success.
      writeAll(fd, response(200, req.target.rfind("/bot", 0) == 0 ? R"({"ok":true,"result":true})"
                                                                  : "{}"));
      ::close(fd);
      return;
    }

    const std::string fault = chooseFault(recipient);
    if (fault == "reset") {
      linger l{1, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      ::close(fd);
      return;
    }
    if (fault == "stall") {
      sleepMs(options_.stall_ms);
      ::close(fd);
      return;
    }
    if (fault == "500") {
      writeAll(fd, response(500, channel == "telegram"
                                     ? R"({"ok":false,"error_code":500,"description":"Internal"})"
                                     : R"({"error":{"message":"internal","code":1}})"));
      ::close(fd);
      return;
    }
    if (fault == "429") {
      std::string b = channel == "telegram"
                          ? R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}})"
                      : channel == "matrix"
                          ? R"({"errcode":"M_LIMIT_EXCEEDED","error":"Too many","retry_after_ms":500})"
                          : R"({"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429}})";
      writeAll(fd, response(429, b, "Retry-After: 1\r\n"));
      ::close(fd);
      return;
    }
    if (fault == "slow") { sleepMs(options_.slow_ms); }

    std::string answer;
    bool drop = false;
    {
      std::lock_guard lock(mutex_);
      if (auto it = drop_answers_.find(recipient); it != drop_answers_.end() && it->second > 0) {
        --it->second;
        ++faults_["dropped_answer"];
        drop = true;
      }
      const int n = ++next_id_;
      if (channel == "matrix") {
        auto [it, fresh] = txns_.emplace(recipient + "|" + txn, "$ev" + std::to_string(n));
        if (fresh) {
          deliveries_.push_back({channel, recipient, text, it->second, req.body});
        } else {
          ++matrix_repeats_;
        }
        answer = nj::json{{"event_id", it->second}}.dump();
      } else {
        deliveries_.push_back({channel, recipient, text,
                               channel == "whatsapp" ? "wamid.fake" + std::to_string(n)
                                                     : std::to_string(n),
                               req.body});
        if (channel == "whatsapp") {
          answer = nj::json{{"messaging_product", "whatsapp"},
                            {"contacts", {{{"input", recipient}, {"wa_id", recipient}}}},
                            {"messages", {{{"id", "wamid.fake" + std::to_string(n)}}}}}
                       .dump();
        } else {
          answer = nj::json{{"ok", true},
                            {"result",
                             {{"message_id", n},
                              {"date", 1700000000},
                              {"chat", {{"id", 1}, {"type", "private"}}},
                              {"text", text}}}}
                       .dump();
        }
      }
    }
    if (drop) {  // delivered above; the answer is lost on the way back
      linger l{1, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      ::close(fd);
      return;
    }
    writeAll(fd, response(200, answer));
    ::close(fd);
  }

  Options options_;
  std::mt19937 rng_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  std::mutex mutex_;
  std::vector<std::thread> threads_;
  std::set<std::string> always_fail_;
  std::map<std::string, int> drop_answers_;
  std::vector<Delivery> deliveries_;
  std::map<std::string, std::string> txns_;
  std::map<std::string, int> faults_;
  std::vector<std::string> request_lines_;
  int send_requests_ = 0;
  int matrix_repeats_ = 0;
  int next_id_ = 0;
  std::size_t fault_index_ = 0;
};

}  // namespace bb::test
