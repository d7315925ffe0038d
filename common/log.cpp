#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <random>

namespace mail::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::Info)};
std::string g_daemon = "mail";
std::mutex g_write_mutex;

const char* level_name(Level l) {
  switch (l) {
    case Level::Debug:
      return "debug";
    case Level::Info:
      return "info";
    case Level::Warn:
      return "warn";
    case Level::Error:
      return "error";
  }
  return "info";
}

void append_value(std::string& out, std::string_view v) {
  bool quote = v.empty();
  for (char c : v)
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) quote = true;
  if (!quote) {
    out.append(v);
    return;
  }
  out.push_back('"');
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out.append(c == '\n' ? "\\n" : c == '\r' ? "\\r" : "?");
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

std::string timestamp() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace

void init(std::string_view daemon, std::string_view level) {
  g_daemon = std::string(daemon);
  set_level(level);
}

void set_level(std::string_view level) {
  Level l = Level::Info;
  if (level == "debug") l = Level::Debug;
  if (level == "warn") l = Level::Warn;
  if (level == "error") l = Level::Error;
  g_level = static_cast<int>(l);
}

bool enabled(Level level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

Line::Line(Level level, std::string_view event) : on_(enabled(level)) {
  if (!on_) return;
  text_.reserve(160);
  text_.append("ts=").append(timestamp());
  text_.append(" level=").append(level_name(level));
  text_.append(" daemon=").append(g_daemon);
  text_.append(" event=");
  append_value(text_, event);
}

Line& Line::kv(std::string_view key, std::string_view value) {
  if (!on_) return *this;
  text_.push_back(' ');
  text_.append(key).push_back('=');
  append_value(text_, value);
  return *this;
}

Line& Line::kv(std::string_view key, int64_t value) {
  return kv(key, std::string_view(std::to_string(value)));
}
Line& Line::kv(std::string_view key, uint64_t value) {
  return kv(key, std::string_view(std::to_string(value)));
}

Line::~Line() {
  if (!on_) return;
  text_.push_back('\n');
  std::lock_guard lock(g_write_mutex);
  // One write per line: a crash never leaves half a line behind a whole one.
  ssize_t ignored = ::write(STDOUT_FILENO, text_.data(), text_.size());
  (void)ignored;
}

std::string new_session_id() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08llX", static_cast<unsigned long long>(rng() & 0xffffffffULL));
  return buf;
}

}  // namespace mail::log
