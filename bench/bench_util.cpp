#include "bench/bench_util.hpp"

#include <algorithm>
#include <chrono>
#include <cctype>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <httplib.h>

#include "bot/security/crypto.hpp"

namespace bb::bench {

std::string binaryPath() { return BB_BINARY; }
std::string sourceDir() { return BB_SOURCE_DIR; }
double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/bb-bench-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) { throw std::runtime_error("mkdtemp"); }
  path_ = tmpl;
}
TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

ServerChild::~ServerChild() {
  if (pid_ > 0) { stop(); }
}

bool ServerChild::start(const std::string& binary, const std::string& source_dir,
                        const std::string& log_path, const std::map<std::string, std::string>& env,
                        std::chrono::seconds timeout) {
  log_path_ = log_path;
  const auto t0 = std::chrono::steady_clock::now();
  pid_ = ::fork();
  if (pid_ == 0) {
    for (const auto& [k, v] : env) { ::setenv(k.c_str(), v.c_str(), 1); }
    if (::chdir(source_dir.c_str()) != 0) { std::_Exit(126); }
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 2);
    ::dup2(fd, 1);
    ::execl(binary.c_str(), binary.c_str(), "serve", "--config", "config/demo.json",
            static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  const auto deadline = t0 + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(log_path);
    std::string line;
    while (std::getline(in, line)) {
      if (line.find("event=listening") != std::string::npos) {
        const auto p = line.find(" port=");
        port_ = std::atoi(line.c_str() + p + 6);
        startup_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                          .count();
        return port_ > 0;
      }
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    ::usleep(2000);
  }
  return false;
}

int ServerChild::stop() {
  if (pid_ <= 0) { return -1; }
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string ServerChild::logTail(int lines) const {
  std::ifstream in(log_path_);
  std::vector<std::string> all;
  std::string line;
  while (std::getline(in, line)) { all.push_back(line); }
  std::string out;
  for (std::size_t i = all.size() > static_cast<std::size_t>(lines) ? all.size() - lines : 0;
       i < all.size(); ++i) {
    out += all[i] + "\n";
  }
  return out;
}

Memory memoryOf(pid_t pid) {
  Memory m;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) { m.rss_mib = std::atof(line.c_str() + 6) / 1024.0; }
    if (line.rfind("VmHWM:", 0) == 0) { m.hwm_mib = std::atof(line.c_str() + 6) / 1024.0; }
  }
  return m;
}

ThreadCpu threadCpuOf(pid_t pid) {
  ThreadCpu cpu;
  const std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
  const double ticks_per_second = static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(task_dir, ec)) {
    std::ifstream comm_in(task.path() / "comm");
    std::ifstream stat_in(task.path() / "stat");
    std::string name;
    std::string stat;
    if (!std::getline(comm_in, name) || !std::getline(stat_in, stat)) { continue; }
    while (!name.empty() && std::isdigit(static_cast<unsigned char>(name.back())) != 0) {
      name.pop_back();
    }
    // The fields after the ")" that closes the name: state is 3rd, utime and stime 14th and 15th.
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i >= 14) { ticks += std::atof(field.c_str()); }
    }
    cpu[name] += ticks / ticks_per_second;
  }
  return cpu;
}

std::string describeCpuPerEvent(const ThreadCpu& before, const ThreadCpu& after, double events) {
  if (events <= 0) { return "no events"; }
  std::vector<std::pair<double, std::string>> used;
  double total = 0;
  for (const auto& [name, seconds] : after) {
    const auto b = before.find(name);
    const double delta = seconds - (b == before.end() ? 0.0 : b->second);
    total += delta;
    if (delta > 0) { used.emplace_back(delta, name); }
  }
  std::sort(used.rbegin(), used.rend());
  std::string out = fmt::format("total {:.0f} us", total * 1e6 / events);
  for (std::size_t i = 0; i < used.size() && i < 4; ++i) {
    out += fmt::format(", {} {:.0f} us", used[i].second, used[i].first * 1e6 / events);
  }
  return out;
}

WhatsAppTraffic::WhatsAppTraffic(std::string app_secret, int senders, std::string tag)
    : secret_(std::move(app_secret)),
      senders_(senders),
      tag_(std::move(tag)),
      epoch_(std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count()) {}

std::string WhatsAppTraffic::sender(std::uint64_t seq) const {
  return fmt::format("49151{:08}", seq % static_cast<std::uint64_t>(senders_));
}
std::string WhatsAppTraffic::wamid(std::uint64_t seq) const {
  return fmt::format("wamid.bench{}.{}", tag_, seq);
}

char WhatsAppTraffic::kindOf(std::uint64_t seq) const {
  static constexpr char kScript[] = "tiitltttt" "t";
  return kScript[(seq / static_cast<std::uint64_t>(senders_)) % 10];
}

std::string WhatsAppTraffic::body(std::uint64_t seq) const {
  const std::uint64_t step = (seq / static_cast<std::uint64_t>(senders_)) % 10;
  const std::string from = sender(seq);
  const std::string head = fmt::format(R"({{"from":"{}","id":"{}","timestamp":"{}",)", from,
                                       wamid(seq), epoch_ + seq / 1000);
  std::string message;
  switch (step) {
    case 0: message = head + R"("type":"text","text":{"body":"Hallo"}})"; break;
    case 1:
    case 2:
      message = head + fmt::format(
          R"("type":"interactive","context":{{"from":"15550783881","id":"wamid.ctx"}},)"
          R"("interactive":{{"type":"button_reply","button_reply":{{"id":"{}","title":"{}"}}}}}})",
          step == 1 ? "accept" : "report", step == 1 ? "Einverstanden" : "Melden");
      break;
    case 4:
      message = head + fmt::format(R"("type":"location","location":{{"latitude":{:.5f},)"
                                   R"("longitude":{:.5f}}}}})",
                                   48.07 + static_cast<double>(seq % 97) * 1e-4,
                                   11.96 + static_cast<double>(seq % 89) * 1e-4);
      break;
    case 5:
      message = head + R"("type":"text","text":{"body":"Schlagloch vor Hausnummer 12, etwa 30 cm tief"}})";
      break;
    case 9: message = head + R"("type":"text","text":{"body":"menu"}})"; break;
    default: message = head + R"("type":"text","text":{"body":"1"}})"; break;
  }
  return fmt::format(
      R"({{"object":"whatsapp_business_account","entry":[{{"id":"102290129340398","changes":[{{)"
      R"("field":"messages","value":{{"messaging_product":"whatsapp","metadata":{{)"
      R"("display_phone_number":"15550783881","phone_number_id":"106540352242922"}},)"
      R"("contacts":[{{"profile":{{"name":"Test Person"}},"wa_id":"{}"}}],"messages":[{}]}}}}]}}]}})",
      from, message);
}

std::string WhatsAppTraffic::request(std::uint64_t seq) const {
  const std::string b = body(seq);
  const std::string sig = "sha256=" + crypto::toHex(crypto::hmacSha256(secret_, b));
  return fmt::format(
      "POST /webhooks/whatsapp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "X-Hub-Signature-256: {}\r\nContent-Length: {}\r\n\r\n{}",
      sig, b.size(), b);
}

FakeGraph::FakeGraph() : server_(std::make_unique<httplib::Server>()) {
  // Wider than any client here keeps open (the bench floors keep up to 72 connections alive;
  // the real Graph API does not make a keep-alive client wait for a server thread).
  server_->new_task_queue = [] { return new httplib::ThreadPool(128); };
  server_->set_tcp_nodelay(true);
  server_->Post(R"(/v\d+\.\d+/(\d+)/messages)", [this](const httplib::Request& req,
                                                        httplib::Response& res) {
    const auto t = std::chrono::steady_clock::now();
    std::string to;
    if (auto p = req.body.find("\"to\":\""); p != std::string::npos) {
      const auto end = req.body.find('"', p + 6);
      to = req.body.substr(p + 6, end - p - 6);
    }
    std::uint64_t n = 0;
    {
      std::lock_guard lock(mutex_);
      n = ++sends_;
      first_.emplace(to, t);
      arrivals_.push_back(t);
    }
    res.set_content(fmt::format(R"({{"messaging_product":"whatsapp","contacts":[{{"input":"{}",)"
                                R"("wa_id":"{}"}}],"messages":[{{"id":"wamid.graph{}"}}]}})",
                                to, to, n),
                    "application/json");
  });
  port_ = server_->bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

FakeGraph::~FakeGraph() {
  server_->stop();
  if (thread_.joinable()) { thread_.join(); }
}

std::uint64_t FakeGraph::sends() const {
  std::lock_guard lock(mutex_);
  return sends_;
}
std::unordered_map<std::string, std::chrono::steady_clock::time_point> FakeGraph::firstArrivals()
    const {
  std::lock_guard lock(mutex_);
  return first_;
}
std::vector<std::chrono::steady_clock::time_point> FakeGraph::arrivals() const {
  std::lock_guard lock(mutex_);
  return arrivals_;
}

bool printTable(const std::string& title, const std::vector<Row>& rows) {
  bool all = true;
  std::cout << "\n### " << title << "\n\n"
            << "| figure | value | floor (same run) | ratio | target | met? |\n"
            << "|---|---|---|---|---|---|\n";
  for (const auto& r : rows) {
    std::string floor = "-";
    std::string ratio = "-";
    if (!r.floor_name.empty()) {
      floor = fmt::format("{:.1f} {} ({})", r.floor, r.unit, r.floor_name);
      ratio = r.floor > 0 ? fmt::format("{:.2f}", r.value / r.floor) : "n/a";
    }
    std::cout << fmt::format("| {} | {:.2f} {} | {} | {} | {} | {} |\n", r.figure, r.value, r.unit,
                             floor, ratio, r.target, r.met ? "yes" : "**no**");
    all = all && r.met;
  }
  std::cout << std::flush;
  return all;
}

SyncFloor measureSyncFloor(const std::string& dir, int count, int sync_delay_us) {
  const std::string path = dir + "/sync-floor.bin";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  SyncFloor out;
  if (fd < 0) { return out; }
  const std::string block(4096, 'x');
  std::vector<double> us;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    if (::pwrite(fd, block.data(), block.size(), static_cast<off_t>(i % 64) * 4096) < 0) { break; }
    if (sync_delay_us > 0) { std::this_thread::sleep_for(std::chrono::microseconds(sync_delay_us)); }
    ::fdatasync(fd);
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                     .count());
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::close(fd);
  ::unlink(path.c_str());
  if (us.empty()) { return out; }
  std::sort(us.begin(), us.end());
  out.p50_us = us[us.size() / 2];
  out.p99_us = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  out.per_second = seconds > 0 ? static_cast<double>(us.size()) / seconds : 0;
  return out;
}

void describeSyncFloor(const SyncFloor& f, int sync_delay_us) {
  std::cout << fmt::format(
      "  disk sync floor (4 KiB write + fdatasync{}): p50={:.0f} us p99={:.0f} us, {:.0f} syncs/s\n",
      sync_delay_us > 0 ? fmt::format(", +{} us sync delay", sync_delay_us) : "", f.p50_us,
      f.p99_us, f.per_second);
}

std::map<std::string, std::string> serverEnv(const std::string& dir, int graph_port,
                                             const std::string& app_secret, int sync_delay_us) {
  return {
      {"BUERGERBOX_STORAGE_SYNC_DELAY_US", std::to_string(sync_delay_us)},
      {"BUERGERBOX_SERVER_PORT", "0"},
      {"BUERGERBOX_STORAGE_PATH", dir + "/db.sqlite"},
      {"BUERGERBOX_STORAGE_MEDIA_DIR", dir + "/media"},
      {"BUERGERBOX_WEBCHAT_ENABLED", "false"},
      {"BUERGERBOX_WHATSAPP_ENABLED", "true"},
      {"BUERGERBOX_WHATSAPP_API_BASE", "http://127.0.0.1:" + std::to_string(graph_port) + "/v23.0"},
      {"BUERGERBOX_WHATSAPP_PHONE_NUMBER_ID", "106540352242922"},
      {"BUERGERBOX_WHATSAPP_APP_SECRET", app_secret},
      {"BUERGERBOX_WHATSAPP_VERIFY_TOKEN", "bench-verify"},
      {"BUERGERBOX_WHATSAPP_ACCESS_TOKEN", "EAAbench"},
      {"BUERGERBOX_PRIVACY_PSEUDONYM_KEY", std::string(64, '1')},
      {"BUERGERBOX_PRIVACY_ENCRYPTION_KEY", std::string(64, '2')},
  };
}

}  // namespace bb::bench
