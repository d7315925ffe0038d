#include "ctl/queue_format.h"

#include <cstdio>
#include <ctime>

namespace mail::ctl {

using queue::Recipient;

std::string printable(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return out;
}

std::string format_age(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  char buf[32];
  auto ll = [](int64_t v) { return static_cast<long long>(v); };
  if (seconds < 60)
    std::snprintf(buf, sizeof buf, "%llds", ll(seconds));
  else if (seconds < 3600)
    std::snprintf(buf, sizeof buf, "%lldm", ll(seconds / 60));
  else if (seconds < 86400)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", ll(seconds / 3600), ll(seconds % 3600 / 60));
  else
    std::snprintf(buf, sizeof buf, "%lldd%02lldh", ll(seconds / 86400), ll(seconds % 86400 / 3600));
  return buf;
}

std::string format_size(uint64_t bytes) {
  char buf[32];
  if (bytes < 1024)
    std::snprintf(buf, sizeof buf, "%lluB", static_cast<unsigned long long>(bytes));
  else if (bytes < 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.1fK", bytes / 1024.0);
  else
    std::snprintf(buf, sizeof buf, "%.1fM", bytes / (1024.0 * 1024.0));
  return buf;
}

std::string format_time(int64_t epoch) {
  if (epoch == 0) return "-";
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

const char* state_name(Recipient::State state) {
  switch (state) {
    case Recipient::State::Pending:
      return "pending";
    case Recipient::State::Delivered:
      return "delivered";
    case Recipient::State::Failed:
      return "failed";
  }
  return "?";
}

namespace {

const char* ret_name(queue::DsnRet r) {
  switch (r) {
    case queue::DsnRet::Unspecified:
      return "";
    case queue::DsnRet::Full:
      return "FULL";
    case queue::DsnRet::Headers:
      return "HDRS";
  }
  return "?";
}

const char* body_name(queue::BodyType b) {
  switch (b) {
    case queue::BodyType::SevenBit:
      return "7BIT";
    case queue::BodyType::EightBitMime:
      return "8BITMIME";
    case queue::BodyType::BinaryMime:
      return "BINARYMIME";
  }
  return "?";
}

// RFC 3461 NOTIFY as written in RCPT: "NEVER" or "SUCCESS,FAILURE,DELAY"; "" when not given.
std::string notify_text(uint8_t bits) {
  if (bits & queue::kNotifyNever) return "NEVER";
  std::string out;
  for (auto [bit, name] :
       {std::pair{queue::kNotifySuccess, "SUCCESS"}, std::pair{queue::kNotifyFailure, "FAILURE"},
        std::pair{queue::kNotifyDelay, "DELAY"}})
    if (bits & bit) out += (out.empty() ? "" : ",") + std::string(name);
  return out;
}

// bob@example.test (pending, 2 attempts, "451 4.4.1 timed out")
std::string describe(const Recipient& r) {
  std::string out = printable(r.address) + " (" + state_name(r.state);
  out += ", " + std::to_string(r.attempts) + (r.attempts == 1 ? " attempt" : " attempts");
  if (!r.last_reply.empty()) out += ", \"" + printable(r.last_reply) + "\"";
  return out + ")";
}

}  // namespace

std::string list_line(const queue::Envelope& e, int64_t now) {
  std::string line = printable(e.id) + " " + format_age(now - e.arrival) + " " +
                     format_size(e.size) + (e.held ? " [held]" : "") + " <" + printable(e.sender) +
                     "> ->";
  for (size_t i = 0; i < e.recipients.size(); ++i)
    line += (i == 0 ? " " : "; ") + describe(e.recipients[i]);
  return line;
}

std::string show_text(const queue::Envelope& e, std::string_view headers, int64_t now) {
  std::string out;
  auto field = [&out](std::string_view name, const std::string& value) {
    out += std::string(name) + ": " + value + "\n";
  };
  field("id", printable(e.id));
  field("arrival", format_time(e.arrival) + " (" + format_age(now - e.arrival) + " ago)");
  field("size", std::to_string(e.size) + " octets");
  field("sender", "<" + printable(e.sender) + ">");
  if (!e.client.empty()) field("authenticated", printable(e.client));
  field("session", printable(e.session_id));
  field("held", e.held ? "yes" : "no");
  field("next attempt", e.pending() ? format_time(e.next_attempt) : "-");
  field("body", body_name(e.body) + std::string(e.smtputf8 ? ", SMTPUTF8" : ""));
  if (e.dsn_ret != queue::DsnRet::Unspecified || !e.dsn_envid.empty())
    field("dsn", std::string("RET=") + ret_name(e.dsn_ret) + " ENVID=" + printable(e.dsn_envid));
  for (const Recipient& r : e.recipients) {
    out += "recipient: " + printable(r.address) + "\n";
    out += "  state: " + std::string(state_name(r.state)) + ", attempts " +
           std::to_string(r.attempts) + "\n";
    if (r.state == Recipient::State::Pending)
      out += "  next attempt: " + format_time(r.next_attempt) + "\n";
    if (r.first_failure) out += "  first failure: " + format_time(r.first_failure) + "\n";
    if (r.bounce_class != queue::BounceClass::None)
      out += "  class: " + std::string(queue::bounce_class_name(r.bounce_class)) + "\n";
    if (!r.last_reply.empty()) out += "  last reply: " + printable(r.last_reply) + "\n";
    if (r.dsn_notify) out += "  notify: " + notify_text(r.dsn_notify) + "\n";
    if (!r.orcpt.empty()) out += "  orcpt: " + printable(r.orcpt) + "\n";
    if (r.delay_notice_sent) out += "  delay notice: sent\n";
  }
  out += "headers:\n";
  size_t start = 0;
  while (start < headers.size()) {
    size_t end = headers.find('\n', start);
    if (end == std::string_view::npos) end = headers.size();
    std::string_view line = headers.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out += "  " + printable(line) + "\n";
    start = end + 1;
  }
  return out;
}

nlohmann::json envelope_json(const queue::Envelope& e, int64_t now) {
  nlohmann::json rcpts = nlohmann::json::array();
  for (const Recipient& r : e.recipients) {
    rcpts.push_back({{"address", r.address},
                     {"state", state_name(r.state)},
                     {"attempts", r.attempts},
                     {"next_attempt", r.state == Recipient::State::Pending ? r.next_attempt : 0},
                     {"first_failure", r.first_failure},
                     {"bounce_class", queue::bounce_class_name(r.bounce_class)},
                     {"last_reply", r.last_reply},
                     {"notify", notify_text(r.dsn_notify)},
                     {"orcpt", r.orcpt},
                     {"delay_notice_sent", r.delay_notice_sent}});
  }
  return {{"id", e.id},
          {"arrival", e.arrival},
          {"age", now - e.arrival},
          {"size", e.size},
          {"sender", e.sender},
          {"client", e.client},
          {"session", e.session_id},
          {"held", e.held},
          {"next_attempt", e.next_attempt},
          {"body", body_name(e.body)},
          {"smtputf8", e.smtputf8},
          {"dsn_ret", ret_name(e.dsn_ret)},
          {"dsn_envid", e.dsn_envid},
          {"recipients", rcpts}};
}

std::string dump_json(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string_view header_section(std::string_view content) {
  size_t end = content.find("\r\n\r\n");
  if (end == std::string_view::npos) end = content.find("\n\n");
  return end == std::string_view::npos ? content : content.substr(0, end);
}

}  // namespace mail::ctl
