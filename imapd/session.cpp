// The IMAP dialogue: reads whole commands (lines plus literals, bounded by
// imapd.max_line_length and imapd.max_literal_size), checks each against the state table
// before dispatch, and keeps the selected mailbox's view in step with the store.
// Input is untrusted; every read has the autologout deadline (imapd.idle_timeout).
#include "imapd/session_impl.h"

#include <algorithm>
#include <set>

#include "common/log.h"
#include "imapd/protocol/literal.h"
#include "imapd/protocol/parser.h"

namespace mail::imapd {

using net::ReadStatus;
using std::chrono::seconds;

namespace {

constexpr unsigned kAny = static_cast<unsigned>(State::NotAuthenticated) |
                          static_cast<unsigned>(State::Authenticated) |
                          static_cast<unsigned>(State::Selected);
constexpr unsigned kNotAuth = static_cast<unsigned>(State::NotAuthenticated);
constexpr unsigned kAuth =
    static_cast<unsigned>(State::Authenticated) | static_cast<unsigned>(State::Selected);
constexpr unsigned kSelected = static_cast<unsigned>(State::Selected);

struct Rule {
  const char* name;
  unsigned states;  // the states in which the command is valid (RFC 9051 section 6)
  bool uid_form;    // whether "UID <name>" exists
  Session::Handler handler;
};

// The one table that says which command runs in which state.
const Rule kRules[] = {
    {"CAPABILITY", kAny, false, &Session::capability},
    {"NOOP", kAny, false, &Session::noop},
    {"LOGOUT", kAny, false, &Session::logout},
    {"ID", kAny, false, &Session::id},
    {"STARTTLS", kNotAuth, false, &Session::starttls},
    {"LOGIN", kNotAuth, false, &Session::login},
    {"AUTHENTICATE", kNotAuth, false, &Session::authenticate},
    {"SELECT", kAuth, false, &Session::select},
    {"EXAMINE", kAuth, false, &Session::select},
    {"LIST", kAuth, false, &Session::list},
    {"LSUB", kAuth, false, &Session::list},
    {"STATUS", kAuth, false, &Session::status},
    {"NAMESPACE", kAuth, false, &Session::namespace_},
    {"CREATE", kAuth, false, &Session::create},
    {"APPEND", kAuth, false, &Session::append},
    {"CHECK", kSelected, false, &Session::noop},
    {"FETCH", kSelected, true, &Session::fetch},
    {"STORE", kSelected, true, &Session::store},
    {"EXPUNGE", kSelected, true, &Session::expunge},
    {"CLOSE", kSelected, false, &Session::close},
    {"UNSELECT", kSelected, false, &Session::unselect},
};

// The tag of a command that could not be parsed, for the BAD reply.
std::string tag_of(std::string_view wire) {
  size_t end = wire.find_first_of(" \r\n");
  std::string tag(wire.substr(0, end));
  if (tag.empty() || tag.size() > 64 || tag.find_first_of("{}()\"*%\\") != std::string::npos)
    return "*";
  return tag;
}

}  // namespace

Session::Session(ImapContext& ctx, std::shared_ptr<net::Connection> conn)
    : ctx_(ctx), conn_(std::move(conn)) {}

net::awaitable<void> Session::run() {
  untagged("OK [CAPABILITY " + capabilities() + "] " + ctx_.config.server.hostname +
           " IMAP server ready");
  std::string wire;
  while (state_ != State::Logout) {
    auto outcome = co_await read_command(wire);
    if (outcome == ReadOutcome::Closed) break;
    if (outcome == ReadOutcome::Skipped) continue;
    co_await dispatch(wire);
  }
  log::info("session_end").kv("session", conn_->id()).kv("user", account_);
}

net::awaitable<Session::ReadOutcome> Session::read_command(std::string& wire) {
  const auto& cfg = ctx_.config.imapd;
  wire.clear();
  uint64_t literal_total = 0;
  std::string line;
  for (;;) {
    ReadStatus status = co_await conn_->read_line(line, seconds(cfg.idle_timeout));
    if (status == ReadStatus::Closed) co_return ReadOutcome::Closed;
    if (status == ReadStatus::Timeout) {
      bye("Autologout; idle for too long");
      co_return ReadOutcome::Closed;
    }
    if (status == ReadStatus::TooLong) {
      bad(wire.empty() ? "*" : tag_of(wire), "Command line too long");
      co_return state_ == State::Logout ? ReadOutcome::Closed : ReadOutcome::Skipped;
    }
    wire += line;
    wire += "\r\n";
    auto literal = imap::literal_at_end(line);
    if (!literal) co_return ReadOutcome::Command;
    literal_total += literal->size;
    if (literal_total > cfg.max_literal_size) {
      if (literal->non_synchronizing) {
        // The client is already sending it; we will not read that much.
        bye("Literal too large");
        co_return ReadOutcome::Closed;
      }
      conn_->send(
          imap::format_tagged(tag_of(wire), imap::Status::No, "TOOBIG", "Literal too large"));
      co_return ReadOutcome::Skipped;
    }
    if (!literal->non_synchronizing)
      conn_->send(imap::format_continuation("Ready for literal data"));
    std::string data;
    status = co_await conn_->read_exact(literal->size, data, seconds(cfg.idle_timeout));
    if (status != ReadStatus::Ok) co_return ReadOutcome::Closed;
    wire += data;
  }
}

net::awaitable<void> Session::dispatch(const std::string& wire) {
  auto parsed = imap::parse_command(wire);
  if (auto* error = std::get_if<imap::ParseError>(&parsed)) {
    bad(error->tag, error->message);
    co_return;
  }
  const imap::Command& cmd = std::get<imap::Command>(parsed);
  const Rule* rule = nullptr;
  for (const Rule& r : kRules)
    if (cmd.name == r.name && (!cmd.uid || r.uid_form)) rule = &r;
  if (!rule) {
    bad(cmd.tag, "Unknown or unsupported command");
    co_return;
  }
  if (!(rule->states & static_cast<unsigned>(state_))) {
    bad(cmd.tag, std::string(rule->name) + " not allowed now");
    co_return;
  }
  log::debug("command").kv("session", conn_->id()).kv("command", cmd.name).kv("uid", cmd.uid);
  co_await (this->*(rule->handler))(cmd);
}

void Session::ok(const imap::Command& c, std::string_view text, std::string_view code) {
  conn_->send(imap::format_tagged(c.tag, imap::Status::Ok, code, text));
}

void Session::no(const imap::Command& c, std::string_view text, std::string_view code) {
  conn_->send(imap::format_tagged(c.tag, imap::Status::No, code, text));
}

void Session::bad(std::string_view tag, std::string_view text) {
  conn_->send(imap::format_tagged(tag, imap::Status::Bad, "", text));
  if (++bad_commands_ >= ctx_.config.imapd.max_bad_commands) bye("Too many invalid commands");
}

void Session::bye(std::string_view text) {
  conn_->send(imap::format_untagged_status(imap::Status::Bye, "", text));
  state_ = State::Logout;
}

bool Session::plaintext_auth_allowed() const {
  return conn_->is_tls() ||
         (ctx_.config.imapd.allow_plaintext_auth_on_loopback && conn_->remote_is_loopback());
}

std::string Session::capabilities() const {
  std::string caps = "IMAP4rev1 LITERAL+ ID NAMESPACE UNSELECT CHILDREN UIDPLUS";
  if (state_ == State::NotAuthenticated) {
    if (ctx_.tls && !conn_->is_tls()) caps += " STARTTLS";
    if (plaintext_auth_allowed()) {
      caps += " AUTH=PLAIN SASL-IR";
    } else {
      caps += " LOGINDISABLED";
    }
  }
  return caps;
}

// RFC 9051 section 6.1.1.
net::awaitable<void> Session::capability(const imap::Command& c) {
  untagged("CAPABILITY " + capabilities());
  ok(c, "CAPABILITY completed");
  co_return;
}

// RFC 9051 sections 6.1.2 (NOOP) and 6.4.1 (CHECK, rev1): the poll for changes.
net::awaitable<void> Session::noop(const imap::Command& c) {
  if (selected_) co_await refresh(true);
  ok(c, c.name + " completed");
}

// RFC 9051 section 6.1.3.
net::awaitable<void> Session::logout(const imap::Command& c) {
  bye("Logging out");
  ok(c, "LOGOUT completed");
  co_return;
}

// RFC 2971.
net::awaitable<void> Session::id(const imap::Command& c) {
  untagged("ID (\"name\" \"mailsuite\")");
  ok(c, "ID completed");
  co_return;
}

void Session::deselect() {
  selected_.reset();
  state_ = State::Authenticated;
}

bool Session::resolve_set(const imap::SequenceSet& set, bool uid, std::vector<size_t>& out) const {
  out.clear();
  const auto& messages = selected_->messages;
  if (uid) {
    uint32_t max_uid = messages.empty() ? 0 : messages.back().uid;
    for (const auto& range : set.normalized(max_uid)) {
      // Messages are in UID order: binary search the start of each range.
      auto it = std::lower_bound(messages.begin(), messages.end(), range.first,
                                 [](const store::MessageInfo& m, uint32_t u) { return m.uid < u; });
      for (; it != messages.end() && it->uid <= range.last; ++it)
        out.push_back(static_cast<size_t>(it - messages.begin()));
    }
    return true;
  }
  uint32_t count = static_cast<uint32_t>(messages.size());
  if (count == 0 || !set.within(count)) return false;
  set.for_each(count, [&](uint32_t n) {
    out.push_back(n - 1);
    return true;
  });
  return true;
}

net::awaitable<void> Session::refresh(bool allow_expunge) {
  const uint64_t id = selected_->info.id;
  auto fresh = co_await blocking([&] { return ctx_.store.messages(id); });
  if (!fresh) co_return;
  auto& current = selected_->messages;
  std::set<uint32_t> present;
  for (const auto& m : *fresh) present.insert(m.uid);
  if (allow_expunge) {
    for (size_t i = current.size(); i-- > 0;) {
      if (!present.count(current[i].uid)) {
        untagged(std::to_string(i + 1) + " EXPUNGE");
        current.erase(current.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
  }
  // Flag changes made by other sessions.
  size_t j = 0;
  for (size_t i = 0; i < current.size(); ++i) {
    while (j < fresh->size() && (*fresh)[j].uid < current[i].uid) ++j;
    if (j < fresh->size() && (*fresh)[j].uid == current[i].uid &&
        !((*fresh)[j].flags == current[i].flags)) {
      current[i].flags = (*fresh)[j].flags;
      current[i].modseq = (*fresh)[j].modseq;
      untagged(std::to_string(i + 1) + " FETCH (FLAGS " + format_message_flags(current[i].flags) +
               ")");
    }
  }
  const uint32_t last_uid = current.empty() ? 0 : current.back().uid;
  size_t before = current.size();
  for (const auto& m : *fresh)
    if (m.uid > last_uid) current.push_back(m);
  if (current.size() != before) untagged(std::to_string(current.size()) + " EXISTS");
}

std::string format_message_flags(const store::Flags& flags) {
  static const std::pair<uint32_t, const char*> kSystem[] = {
      {store::kAnswered, "\\Answered"}, {store::kFlagged, "\\Flagged"},
      {store::kDeleted, "\\Deleted"},   {store::kSeen, "\\Seen"},
      {store::kDraft, "\\Draft"},
  };
  std::vector<std::string> names;
  for (auto [bit, name] : kSystem)
    if (flags.system & bit) names.emplace_back(name);
  names.insert(names.end(), flags.keywords.begin(), flags.keywords.end());
  return imap::format_flags(names);
}

bool parse_flags(const std::vector<std::string>& names, store::Flags& out, std::string& bad_name) {
  static const std::pair<const char*, uint32_t> kSystem[] = {
      {"\\ANSWERED", store::kAnswered}, {"\\FLAGGED", store::kFlagged},
      {"\\DELETED", store::kDeleted},   {"\\SEEN", store::kSeen},
      {"\\DRAFT", store::kDraft},
  };
  for (const auto& name : names) {
    if (name.empty()) continue;
    if (name[0] != '\\') {
      out.keywords.push_back(name);
      continue;
    }
    std::string upper = name;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char ch) { return std::toupper(ch); });
    if (upper == "\\RECENT") continue;  // session-only, cannot be stored
    bool known = false;
    for (auto [flag, bit] : kSystem) {
      if (upper == flag) {
        out.system |= bit;
        known = true;
      }
    }
    if (!known) {
      bad_name = name;
      return false;
    }
  }
  std::sort(out.keywords.begin(), out.keywords.end());
  out.keywords.erase(std::unique(out.keywords.begin(), out.keywords.end()), out.keywords.end());
  return true;
}

net::awaitable<void> run_session(ImapContext& context,
                                 std::shared_ptr<net::Connection> connection) {
  Session session(context, std::move(connection));
  co_await session.run();
}

}  // namespace mail::imapd
