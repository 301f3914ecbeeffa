#include "bot/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include <fmt/format.h>

namespace bb::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::Info)};
std::atomic<Sink> g_sink{nullptr};
std::mutex g_write_mutex;

const char* levelName(Level level) {
  switch (level) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warn";
    case Level::Error: return "error";
  }
  return "info";
}

void appendValue(std::string& out, std::string_view value) {
  bool quote = value.empty() || value.find_first_of(" \"=\n\t") != std::string_view::npos;
  if (!quote) {
    out.append(value);
    return;
  }
  out.push_back('"');
  for (char ch : value) {
    if (ch == '"' || ch == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (ch == '\n') {
      out.append("\\n");
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
}

}  // namespace

void setLevel(Level level) { g_level.store(static_cast<int>(level)); }

bool parseLevel(const std::string& name, Level& out) {
  if (name == "debug") { out = Level::Debug; return true; }
  if (name == "info") { out = Level::Info; return true; }
  if (name == "warn") { out = Level::Warn; return true; }
  if (name == "error") { out = Level::Error; return true; }
  return false;
}

bool enabled(Level level) { return static_cast<int>(level) >= g_level.load(); }

void setSink(Sink sink) { g_sink.store(sink); }

namespace {

template <class Fields>
void writeLine(Level level, std::string_view event, const Fields& fields) {
  const auto now = std::chrono::system_clock::now();
  const auto secs = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::string line = fmt::format("ts={:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z level={} event=",
                                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                 tm.tm_min, tm.tm_sec, ms.count(), levelName(level));
  appendValue(line, event);
  for (const auto& [key, value] : fields) {
    line.push_back(' ');
    line.append(key);
    line.push_back('=');
    appendValue(line, value);
  }
  if (Sink sink = g_sink.load()) {
    sink(line);
    return;
  }
  line.push_back('\n');
  std::lock_guard lock(g_write_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

void write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  writeLine(level, event, fields);
}

void write(Level level, std::string_view event, const std::vector<Field>& fields) {
  writeLine(level, event, fields);
}

}  // namespace bb::log
