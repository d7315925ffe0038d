// The IMAP dialogue: moves octets between the connection and the command receiver within
// each command's deadline, gates every command through the command table (state, UID
// form, argument parser, handler), and owns the state changes. Input is untrusted; every
// read has a deadline (imapd.login_timeout before login, imapd.idle_timeout after) that
// covers the whole command however it trickles in, and every buffer a limit.
#include <algorithm>

#include "common/log.h"
#include "common/mail_metrics.h"
#include "imapd/commands/command_table.h"
#include "imapd/commands/handlers.h"
#include "imapd/commands/notify_state.h"
#include "imapd/commands/search_context.h"
#include "imapd/protocol/parser.h"
#include "imapd/session_impl.h"

namespace mail::imapd {

using std::chrono::seconds;
using std::chrono::steady_clock;

Session::Session(ImapContext& ctx, std::shared_ptr<net::Connection> conn)
    : ctx_(ctx), conn_(std::move(conn)), out_(*this) {}

Session::~Session() = default;

void Session::set_notify(std::unique_ptr<NotifyState> state) {
  notify_ = std::move(state);
}

net::awaitable<void> Session::run() {
  // RFC 9051 section 7.1.1: the greeting, with the capabilities so clients need not ask.
  out_.untagged().status(imap::Status::Ok).begin_code("CAPABILITY");
  write_capabilities(out_);
  out_.end_code().text(ctx_.config.server.hostname + " IMAP server ready");
  while (!std::holds_alternative<Logout>(state_)) {
    std::optional<std::string> wire = co_await receive_command();
    if (wire) co_await dispatch(std::move(*wire));
    // A large command's buffer is not kept for the rest of the session.
    conn_->input().shrink(kInputCapacityKept);
  }
  if (conn_->pending_output() > 0) co_await conn_->flush(seconds(5));
  log::info("session_end").kv("session", conn_->id());
}

imap::ReceiverLimits Session::receiver_limits() const {
  const auto& cfg = config();
  imap::ReceiverLimits limits;
  limits.max_line = static_cast<size_t>(cfg.max_line_length);
  limits.max_command = cfg.max_command_size;
  // APPENDLIMIT (RFC 7889) is per message; MULTIAPPEND's messages together have their own.
  limits.max_append_data = cfg.max_append_command_size;
  limits.max_literal = cfg.max_literal_size;
  // Before login only small literals: enough for any SASL exchange or LOGIN, never a
  // way for an anonymous client to make us hold megabytes.
  if (std::holds_alternative<NotAuthenticated>(state_))
    limits.max_literal = cfg.max_literal_before_login;
  return limits;
}

std::chrono::seconds Session::read_timeout() const {
  return seconds(std::holds_alternative<NotAuthenticated>(state_) ? config().login_timeout
                                                                  : config().idle_timeout);
}

net::awaitable<std::optional<std::string>> Session::receive_command() {
  receiver_.set_limits(receiver_limits());
  const auto timeout = read_timeout();
  auto deadline = steady_clock::now() + timeout;
  bool started = false;
  auto& input = conn_->input();
  for (;;) {
    imap::Received got = receiver_.receive(input.data());
    input.consume(got.consumed);
    if (!started && receiver_.in_command()) {
      // The first octet of a command: from here the whole command, literals included,
      // must arrive within one timeout, however slowly it trickles.
      started = true;
      deadline = steady_clock::now() + timeout;
    }
    if (auto* ready = std::get_if<imap::CommandReady>(&got.outcome))
      co_return std::move(ready->wire);
    if (auto* refusal = std::get_if<imap::TooBig>(&got.outcome)) {
      refuse(*refusal);
      co_return std::nullopt;
    }
    if (auto* literal = std::get_if<imap::NeedLiteral>(&got.outcome)) {
      // RFC 9051 section 7.5: the client sends a synchronizing literal's octets only
      // after this.
      if (literal->send_continuation) out_.continuation("Ready for literal data");
      continue;
    }
    const auto left = deadline - steady_clock::now();
    const auto wait = std::chrono::ceil<seconds>(std::max(left, steady_clock::duration::zero()));
    net::ReadStatus status;
    if (!started && notify_ && notify_->pushes()) {
      // RFC 5465 section 1: between commands the client listens for notifications.
      status = co_await read_while_notifying(*this, wait);
    } else {
      status = co_await conn_->read_more(wait);
    }
    if (status == net::ReadStatus::Closed) {
      change_state(Logout{}, "connection closed");
      co_return std::nullopt;
    }
    if (status == net::ReadStatus::Timeout) {
      bye(started ? "Command not completed in time" : "Autologout; idle for too long");
      co_return std::nullopt;
    }
  }
}

void Session::refuse(const imap::TooBig& refusal) {
  using Reply = imap::TooBig::Reply;
  log::info("command_refused")
      .kv("session", conn_->id())
      .kv("reason", refusal.text)
      .kv("closes", refusal.closes());
  switch (refusal.reply) {
    case Reply::No:
      out_.tagged(refusal.tag).status(imap::Status::No).code("TOOBIG").text(refusal.text);
      count_command_before_login();
      break;
    case Reply::Bad:
      bad(refusal.tag, refusal.text);
      count_command_before_login();
      break;
    case Reply::BadThenBye:
      out_.tagged(refusal.tag).status(imap::Status::Bad).code("TOOBIG").text(refusal.text);
      bye("Protocol error", "TOOBIG");
      break;
    case Reply::Bye:
      bye(refusal.text, "TOOBIG");
      break;
  }
}

net::awaitable<void> Session::dispatch(std::string wire) {
  imap::Reader r(wire);
  imap::HeadResult head = imap::parse_command_head(r);
  if (auto* error = std::get_if<imap::ParseError>(&head)) {
    bad(error->tag, error->message);
    count_command_before_login();
    co_return;
  }
  auto& h = std::get<imap::CommandHead>(head);
  const CommandRule* rule = find_command(h.name, h.uid);
  if (rule == nullptr) {
    bad(h.tag, "Unknown command");
    count_command_before_login();
    co_return;
  }
  if (!(rule->states & state_bit(state_))) {
    bad(h.tag, std::string(rule->name) + " not allowed now");
    count_command_before_login();
    co_return;
  }
  imap::ParseResult parsed = imap::parse_command_arguments(r, std::move(h), rule->parse);
  if (auto* error = std::get_if<imap::ParseError>(&parsed)) {
    bad(error->tag, error->message);
    count_command_before_login();
    co_return;
  }
  // The command holds its own copy of what it needs (an APPEND's message): the wire
  // form goes now rather than living through the handler.
  std::string().swap(wire);
  imap::Command& cmd = std::get<imap::Command>(parsed);
  commands::substitute_saved_result(*this, cmd);  // RFC 5182 "$"
  log::debug("command").kv("session", conn_->id()).kv("command", cmd.name).kv("uid", cmd.uid);
  const auto started = metrics::Clock::now();
  co_await rule->handler(*this, cmd);
  metrics::command_done("imap", rule->name, metrics::Clock::now() - started);
  count_command_before_login();
}

void Session::count_command_before_login() {
  if (!std::holds_alternative<NotAuthenticated>(state_)) return;
  // NOOP, CAPABILITY or failed logins in a loop make no progress; a client that has not
  // logged in after this many commands is not going to.
  if (++commands_before_login_ >= config().max_commands_before_login)
    bye("Too many commands without login");
}

void Session::change_state(SessionState next, std::string_view why) {
  log::info("state")
      .kv("session", conn_->id())
      .kv("from", state_name(state_))
      .kv("to", state_name(next))
      .kv("why", why);
  state_ = std::move(next);
}

const std::string& Session::account() const {
  if (const auto* s = std::get_if<Selected>(&state_)) return s->account;
  return std::get<Authenticated>(state_).account;
}

void Session::completed(const imap::Command& c) {
  out_.tagged(c.tag).status(imap::Status::Ok).text((c.uid ? "UID " : "") + c.name + " completed");
}

void Session::completed_with_modseq(const imap::Command& c) {
  if (!is_selected() || !announce_options().condstore || !view().pending_expunges().empty()) {
    completed(c);
    return;
  }
  out_.tagged(c.tag)
      .status(imap::Status::Ok)
      .begin_code("HIGHESTMODSEQ")
      .number(view().highest_modseq())
      .end_code()
      .text((c.uid ? "UID " : "") + c.name + " completed");
}

void Session::no(const imap::Command& c, std::string_view code, std::string_view text) {
  out_.tagged(c.tag).status(imap::Status::No);
  if (!code.empty()) out_.code(code);
  out_.text(text);
}

void Session::bad(std::string_view tag, std::string_view text) {
  out_.tagged_status(tag, imap::Status::Bad, text);
  if (++bad_commands_ >= config().max_bad_commands) bye("Too many invalid commands");
}

void Session::bye(std::string_view text, std::string_view code) {
  if (std::holds_alternative<Logout>(state_)) return;  // one BYE is enough
  out_.untagged().status(imap::Status::Bye);
  if (!code.empty()) out_.code(code);
  out_.text(text);
  change_state(Logout{}, text);
}

bool Session::plaintext_auth_allowed() const {
  return conn_->is_tls() ||
         (config().allow_plaintext_auth_on_loopback && conn_->remote_is_loopback());
}

CapabilityContext Session::capability_context() const {
  CapabilityContext c;
  c.authenticated = !std::holds_alternative<NotAuthenticated>(state_);
  c.starttls_offered = ctx_.tls && !conn_->is_tls();
  c.plaintext_auth_allowed = plaintext_auth_allowed();
  if (!c.authenticated && c.plaintext_auth_allowed)
    c.auth_mechanisms = ctx_.authenticator.mechanisms(login_client());
  c.append_limit = config().max_literal_size;
  c.compress = config().compress;
  c.assumed = ctx_.assumed_capabilities;
  return c;
}

void Session::write_capabilities(imap::ResponseWriter& w) const {
  for (const std::string& word : capability_list(capability_context())) w.atom(word);
}

bool Session::advertises(std::string_view word) const {
  return imapd::advertises(capability_context(), word);
}

bool Session::enable(Extension e) {
  const bool had_condstore = extensions_.has(Extension::CondStore);
  if (!extensions_.enable(e)) return false;
  // RFC 6855 section 3, RFC 9051 section 4.3: quoted strings may carry UTF-8 from now on.
  out_.set_utf8(extensions_.utf8());
  log::debug("enabled").kv("session", conn_->id()).kv("extension", extension_word(e));
  // RFC 7162 section 3.1: the first CONDSTORE enabling command in the selected state is
  // answered with the mailbox's HIGHESTMODSEQ too (SELECT writes its own).
  if (!had_condstore && extensions_.has(Extension::CondStore) && is_selected())
    out_.untagged()
        .status(imap::Status::Ok)
        .begin_code("HIGHESTMODSEQ")
        .number(view().highest_modseq())
        .end_code()
        .text("Highest");
  return true;
}

net::awaitable<void> Session::refresh(bool allow_expunge, bool flag_changes) {
  if (!is_selected()) co_return;
  MailboxView& v = view();
  const uint64_t since = v.highest_modseq();  // what the update contexts are current with
  auto changes = v.prepare_refresh(ctx_.store, allow_expunge);
  if (!changes) {
    log::warn("refresh_failed").kv("session", conn_->id()).kv("error", changes.error().message);
    // RFC 9051 section 7.1.5: the mailbox this session relies on is gone; Dovecot does
    // the same.
    if (changes.error().kind == ErrorKind::NotFound) bye("Selected mailbox was deleted");
    if (changes.error().kind == ErrorKind::Invalid) bye("Selected mailbox was recreated");
    co_return;
  }
  const bool recent_kept = !extensions_.imap4rev2();  // RFC 9051 dropped \Recent
  store::RecentClaim claim;
  if (recent_kept && changes->first_recent_uid < changes->uid_next) {
    if (v.read_only()) {
      // EXAMINE claims nothing: it sees as \Recent what no session has claimed yet.
      claim = {std::max(changes->first_recent_uid, v.uid_next()), changes->uid_next};
    } else {
      // RFC 3501 2.3.2: new messages are \Recent in the first read-write session to learn
      // of them (one store write; no other session will see them as \Recent).
      auto& store = ctx_.store;
      const uint64_t id = v.mailbox_id();
      const uint32_t up_to = changes->uid_next;
      auto claimed = co_await blocking([&] { return store.claim_recent(id, up_to); });
      if (claimed) {
        claim = *claimed;
      } else {
        log::warn("claim_recent_failed")
            .kv("session", conn_->id())
            .kv("error", claimed.error().message);
      }
    }
  }
  if (!is_selected()) co_return;
  v.add_recent(claim);
  // REMOVEFROM for expunged results while their sequence numbers are still valid, then
  // the EXPUNGEs; ADDTO and REMOVEFROM for the rest once EXISTS has numbered new messages.
  report_expunged_results(*this, changes->expunges);
  if (!flag_changes) changes->flag_changes.clear();
  const bool exists_sent = v.announce(std::move(*changes), announce_options(), out_);
  if (recent_kept && (exists_sent || claim.first < claim.end)) announce_recent();
  report_result_changes(*this, since);
}

void Session::announce_recent() {
  MailboxView& v = view();
  uint32_t count = 0;
  if (v.has_recent()) {
    auto counted = read_view([&](MailboxView::Snapshot& snap) -> Result<void> {
      auto n = snap.recent_count();
      if (!n) return std::move(n.error());
      count = *n;
      return {};
    });
    if (!counted) return;
  }
  v.set_announced_recent(count);
  out_.untagged().number(count).atom("RECENT").end();
}

Result<void> Session::read_view(const std::function<Result<void>(MailboxView::Snapshot&)>& fn) {
  MailboxView& v = view();
  // Before fn writes anything: its FETCH FLAGS may name the new keywords (the write only
  // queues output; nothing waits on the network inside the transaction).
  return v.read(ctx_.store, [&](MailboxView::Snapshot& s) {
    v.announce_keywords(out_);
    return fn(s);
  });
}

net::awaitable<bool> Session::send_octets(std::string_view bytes) {
  constexpr size_t kPiece = 64 * 1024;
  while (!bytes.empty()) {
    const size_t n = std::min(bytes.size(), kPiece);
    conn_->send(bytes.substr(0, n));
    bytes.remove_prefix(n);
    if (!co_await drain()) co_return false;
  }
  co_return true;
}

net::awaitable<bool> Session::drain() {
  if (conn_->pending_output() <= kOutputFlushThreshold) co_return true;
  co_return co_await conn_->flush();
}

net::awaitable<std::optional<std::string>> Session::read_response_line() {
  std::string line;
  net::ReadStatus status = co_await conn_->read_line(line, read_timeout());
  if (status == net::ReadStatus::Ok) co_return line;
  if (status == net::ReadStatus::TooLong) {
    bye("Line too long");
  } else if (status == net::ReadStatus::Timeout) {
    bye("Autologout; idle for too long");
  } else {
    change_state(Logout{}, "connection closed");
  }
  co_return std::nullopt;
}

net::awaitable<void> run_session(ImapContext& context,
                                 std::shared_ptr<net::Connection> connection) {
  Session session(context, std::move(connection));
  co_await session.run();
}

}  // namespace mail::imapd
