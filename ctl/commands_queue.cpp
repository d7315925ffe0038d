// mailctl queue commands: `queue list` prints one line per queued message for an
// administrator: id, age, size, sender and each recipient's state and last reply.
// Envelope text (addresses, remote replies) is untrusted: control bytes are masked so that
// a hostile reply cannot drive the administrator's terminal.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>
#include <string_view>

#include "ctl/commands.h"
#include "queue/spool.h"

namespace mail::ctl {
namespace {

std::string printable(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return out;
}

// "45s", "12m", "3h04m", "2d05h": the two largest units.
std::string format_age(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  char buf[32];
  if (seconds < 60) {
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(seconds));
  } else if (seconds < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm", static_cast<long long>(seconds / 60));
  } else if (seconds < 86400) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds % 3600 / 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldd%02lldh", static_cast<long long>(seconds / 86400),
                  static_cast<long long>(seconds % 86400 / 3600));
  }
  return buf;
}

// "812B", "1.2K", "3.4M".
std::string format_size(uint64_t bytes) {
  char buf[32];
  if (bytes < 1024) {
    std::snprintf(buf, sizeof buf, "%lluB", static_cast<unsigned long long>(bytes));
  } else if (bytes < 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.1fK", bytes / 1024.0);
  } else {
    std::snprintf(buf, sizeof buf, "%.1fM", bytes / (1024.0 * 1024.0));
  }
  return buf;
}

const char* state_name(queue::Recipient::State state) {
  switch (state) {
    case queue::Recipient::State::Pending:
      return "pending";
    case queue::Recipient::State::Delivered:
      return "delivered";
    case queue::Recipient::State::Failed:
      return "failed";
  }
  return "?";
}

// bob@example.test (pending, 2 attempts, "451 4.4.1 timed out")
std::string describe(const queue::Recipient& r) {
  std::string out = printable(r.address) + " (" + state_name(r.state);
  out += ", " + std::to_string(r.attempts) + (r.attempts == 1 ? " attempt" : " attempts");
  if (!r.last_reply.empty()) out += ", \"" + printable(r.last_reply) + "\"";
  return out + ")";
}

}  // namespace

Result<void> queue_list(const Invocation& inv) {
  auto dir = inv.config.queue_dir();
  // Nothing was ever queued; do not create a spool just to list it.
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return {};
  auto spool = queue::open_lmdb_spool(dir, {inv.config.server.queue_max_size});
  if (!spool) return make_error(spool.error().kind, "queue: " + spool.error().message);
  auto envelopes = (*spool)->list();
  if (!envelopes) return make_error(envelopes.error().kind, "queue: " + envelopes.error().message);
  std::sort(envelopes->begin(), envelopes->end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  int64_t now = std::time(nullptr);
  for (const auto& env : *envelopes) {
    // The message may be removed by queued between list() and here; show "-" then.
    auto content = (*spool)->content(env.id);
    std::string size = content ? format_size(content->size()) : "-";
    std::string line = printable(env.id) + " " + format_age(now - env.arrival) + " " + size + " <" +
                       printable(env.sender) + "> ->";
    for (size_t i = 0; i < env.recipients.size(); ++i) {
      line += (i == 0 ? " " : "; ") + describe(env.recipients[i]);
    }
    std::printf("%s\n", line.c_str());
  }
  return {};
}

}  // namespace mail::ctl
