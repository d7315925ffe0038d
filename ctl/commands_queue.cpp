// mailctl queue commands: list (with filters), show, flush, retry, delete, hold, release.
// They work on the spool directly (queue::open_spool), which queued shares: the spool's
// claims keep a message that queued is delivering consistent (a deleted one is simply not
// recorded when its delivery ends). Commands that make mail due (flush, retry, release)
// then wake queued through its socket, so it acts at once rather than at its next scan.
// Operands and filters are untrusted: an id is only ever looked up, never parsed.
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>
#include <string_view>

#include "ctl/commands.h"
#include "ctl/queue_format.h"
#include "queue/notify.h"
#include "queue/spool.h"

namespace mail::ctl {
namespace {

using queue::Envelope;
using queue::Recipient;

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The queue, or nullptr when nothing was ever queued (a listing does not create one).
Result<std::unique_ptr<queue::Spool>> open_queue(const Invocation& inv) {
  std::error_code ec;
  if (!std::filesystem::exists(inv.config.queue_dir(), ec)) return std::unique_ptr<queue::Spool>();
  auto spool = queue::open_spool(inv.config);
  if (!spool) return make_error(spool.error().kind, "queue: " + spool.error().message);
  return std::move(spool).value();
}

Error not_found(const std::string& id) {
  return make_error(ErrorKind::NotFound, "queue id " + id + " not found");
}

// The filters of `queue list`; a message passes when it matches all that were given.
struct Filter {
  std::optional<std::string> sender, recipient, domain;
  std::optional<Recipient::State> state;
  bool held_only = false;

  bool matches(const Envelope& e) const {
    if (held_only && !e.held) return false;
    if (sender) {
      // "<>" (or "") names the null sender of bounces.
      std::string want = (*sender == "<>") ? "" : *sender;
      if (!iequal(e.sender, want)) return false;
    }
    auto any = [&](auto pred) {
      return std::any_of(e.recipients.begin(), e.recipients.end(), pred);
    };
    if (recipient && !any([&](const Recipient& r) { return iequal(r.address, *recipient); }))
      return false;
    if (domain && !any([&](const Recipient& r) {
          auto at = r.address.rfind('@');
          return at != std::string::npos &&
                 iequal(std::string_view(r.address).substr(at + 1), *domain);
        }))
      return false;
    if (state && !any([&](const Recipient& r) { return r.state == *state; })) return false;
    return true;
  }
};

Result<Filter> parse_filter(const Invocation& inv) {
  Filter f;
  auto get = [&](const char* name) -> std::optional<std::string> {
    auto it = inv.options.find(name);
    return it == inv.options.end() ? std::nullopt : std::optional(it->second);
  };
  f.sender = get("sender");
  f.recipient = get("recipient");
  f.domain = get("domain");
  if (auto s = get("state")) {
    if (*s == "pending")
      f.state = Recipient::State::Pending;
    else if (*s == "delivered")
      f.state = Recipient::State::Delivered;
    else if (*s == "failed")
      f.state = Recipient::State::Failed;
    else
      return make_error(ErrorKind::Invalid, "--state must be pending, delivered or failed, not \"" +
                                                printable(*s) + "\"");
  }
  f.held_only = inv.has("held");
  return f;
}

void print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
}

// Runs `change` on the message named by the operand, then wakes queued when `wake`.
template <typename F>
Result<void> change_one(const Invocation& inv, const char* done, bool wake, F change) {
  const std::string& id = inv.operands.at(0);
  auto spool = open_queue(inv);
  if (!spool) return spool.error();
  if (!*spool) return not_found(id);
  if (auto r = change(**spool, id); !r) {
    if (r.error().kind == ErrorKind::NotFound) return not_found(printable(id));
    return make_error(r.error().kind, "queue: " + r.error().message);
  }
  if (wake) queue::notify_new_mail(inv.config.queued_socket());
  std::printf("%s: %s\n", printable(id).c_str(), done);
  return {};
}

int64_t now() {
  return static_cast<int64_t>(std::time(nullptr));
}

}  // namespace

Result<void> queue_list(const Invocation& inv) {
  auto filter = parse_filter(inv);
  if (!filter) return filter.error();
  auto spool = open_queue(inv);
  if (!spool) return spool.error();
  std::vector<Envelope> envelopes;
  if (*spool) {
    auto listed = (*spool)->list();
    if (!listed) return make_error(listed.error().kind, "queue: " + listed.error().message);
    envelopes = std::move(listed).value();
  }
  std::sort(envelopes.begin(), envelopes.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  const int64_t t = now();
  nlohmann::json array = nlohmann::json::array();
  for (const Envelope& e : envelopes) {
    if (!filter->matches(e)) continue;
    if (inv.has("json"))
      array.push_back(envelope_json(e, t));
    else
      print(list_line(e, t) + "\n");
  }
  if (inv.has("json")) print(dump_json(array) + "\n");
  return {};
}

Result<void> queue_show(const Invocation& inv) {
  const std::string& id = inv.operands.at(0);
  auto spool = open_queue(inv);
  if (!spool) return spool.error();
  if (!*spool) return not_found(printable(id));
  auto e = (*spool)->envelope(id);
  if (!e) return e.error().kind == ErrorKind::NotFound ? not_found(printable(id)) : e.error();
  // The message may leave between the two reads; show the envelope anyway.
  auto content = (*spool)->content(id);
  std::string_view headers = content ? header_section(*content) : std::string_view();
  const int64_t t = now();
  if (inv.has("json")) {
    nlohmann::json j = envelope_json(*e, t);
    j["headers"] = std::string(headers);
    print(dump_json(j) + "\n");
  } else {
    print(show_text(*e, headers, t));
  }
  return {};
}

Result<void> queue_flush(const Invocation& inv) {
  auto spool = open_queue(inv);
  if (!spool) return spool.error();
  size_t changed = 0;
  if (*spool) {
    auto flushed = (*spool)->flush(now());
    if (!flushed) return make_error(flushed.error().kind, "queue: " + flushed.error().message);
    changed = *flushed;
  }
  queue::notify_new_mail(inv.config.queued_socket());
  std::printf("queue flushed: %zu message%s made due now, queued woken\n", changed,
              changed == 1 ? "" : "s");
  return {};
}

Result<void> queue_retry(const Invocation& inv) {
  return change_one(inv, "due now", true,
                    [](queue::Spool& s, const std::string& id) { return s.retry(id, now()); });
}

Result<void> queue_delete(const Invocation& inv) {
  return change_one(inv, "deleted", false,
                    [](queue::Spool& s, const std::string& id) { return s.remove(id); });
}

Result<void> queue_hold(const Invocation& inv) {
  return change_one(inv, "held", false,
                    [](queue::Spool& s, const std::string& id) { return s.hold(id); });
}

Result<void> queue_release(const Invocation& inv) {
  return change_one(inv, "released", true,
                    [](queue::Spool& s, const std::string& id) { return s.release(id); });
}

}  // namespace mail::ctl
