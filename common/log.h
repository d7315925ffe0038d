// Structured logging: one line per event on stdout, key=value pairs, so that a message can
// be followed by its session id and queue id from smtpd through queued into the store.
//   ts=2026-12-01T13:40:00.123Z level=info daemon=smtpd event=queued session=3F2A queue_id=...
// Values with spaces, quotes or '=' are quoted. Lines from several threads never interleave.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mail::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

// Called once at start-up.
void init(std::string_view daemon, std::string_view level);
// Changes the lowest level written, from any thread (SIGHUP applies log.level).
void set_level(std::string_view level);
bool enabled(Level level);

class Line {
 public:
  Line(Level level, std::string_view event);
  ~Line();  // writes the line
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;

  Line& kv(std::string_view key, std::string_view value);
  Line& kv(std::string_view key, const char* value) { return kv(key, std::string_view(value)); }
  Line& kv(std::string_view key, const std::string& value) {
    return kv(key, std::string_view(value));
  }
  Line& kv(std::string_view key, int64_t value);
  Line& kv(std::string_view key, uint64_t value);
  Line& kv(std::string_view key, int value) { return kv(key, static_cast<int64_t>(value)); }
  Line& kv(std::string_view key, unsigned value) { return kv(key, static_cast<uint64_t>(value)); }
  Line& kv(std::string_view key, bool value) {
    return kv(key, std::string_view(value ? "true" : "false"));
  }

 private:
  bool on_;
  std::string text_;
};

inline Line debug(std::string_view event) {
  return Line(Level::Debug, event);
}
inline Line info(std::string_view event) {
  return Line(Level::Info, event);
}
inline Line warn(std::string_view event) {
  return Line(Level::Warn, event);
}
inline Line error(std::string_view event) {
  return Line(Level::Error, event);
}

// A short random id for a session or connection (8 upper-case hex digits).
std::string new_session_id();

}  // namespace mail::log
