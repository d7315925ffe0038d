// The POP3 dialogue (RFC 1939), one coroutine per connection. Each command is checked
// against the session state first (a refusal is a counted error), then acted on. Input is
// untrusted: lines are bounded by pop3d.max_line_length, every read by pop3d.idle_timeout,
// protocol errors by pop3d.max_bad_commands; before login, the whole AUTHORIZATION state by
// pop3d.login_timeout, its commands by pop3d.max_login_commands and failed logins by
// pop3d.max_login_failures. Passwords and SASL go through auth::Authenticator (throttled,
// argon2id off the loops). Deletions reach the store only after QUIT (the UPDATE state); a
// dropped connection deletes nothing.
#include "pop3d/session.h"

#include <algorithm>
#include <optional>

#include "common/log.h"
#include "common/mail_metrics.h"
#include "common/net/offload.h"
#include "pop3d/login.h"
#include "pop3d/maildrop.h"
#include "pop3d/protocol/command.h"
#include "pop3d/protocol/multiline.h"

namespace mail::pop3d {

bool MaildropLocks::try_lock(const std::string& account) {
  std::lock_guard lock(mutex_);
  return locked_.insert(account).second;
}

void MaildropLocks::unlock(const std::string& account) {
  std::lock_guard lock(mutex_);
  locked_.erase(account);
}

namespace {

using namespace pop3;
using net::ReadStatus;
using std::chrono::seconds;

enum class State {
  Authorization,  // RFC 1939 4: before a successful USER/PASS
  Transaction,    // RFC 1939 5: maildrop open and locked
  Update,         // RFC 1939 6: after QUIT; the session ends
};

std::string_view state_name(State s) {
  switch (s) {
    case State::Authorization:
      return "authorization";
    case State::Transaction:
      return "transaction";
    case State::Update:
      return "update";
  }
  return "?";
}

// A one-line reply (RFC 1939 3: "+OK" or "-ERR", then text). Response codes in brackets
// follow RFC 2449 8 (IN-USE, LOGIN-DELAY), RFC 3206 (SYS/TEMP, SYS/PERM, AUTH).
struct Reply {
  bool ok = true;
  std::string text;
  std::string to_wire() const {
    return (ok ? "+OK" : "-ERR") + (text.empty() ? "" : " " + text) + "\r\n";
  }
};

Reply ok(std::string text = {}) {
  return Reply{true, std::move(text)};
}
Reply err(std::string text) {
  return Reply{false, std::move(text)};
}

constexpr size_t kRetrChunk = 64 * 1024;  // octets of message stuffed and flushed at a time

class Session {
 public:
  Session(Pop3Context& ctx, std::shared_ptr<net::Connection> conn)
      : ctx_(ctx), conn_(std::move(conn)), limits_(ctx.config.pop3d) {}

  ~Session() {
    if (!account_.empty()) ctx_.locks.unlock(account_);
  }

  net::awaitable<void> run() {
    reply(ok("POP3 server ready"));
    std::string line;
    while (!closing_) {
      ReadStatus status = co_await conn_->read_line(line, read_timeout());
      if (status == ReadStatus::Closed) break;
      if (status == ReadStatus::Timeout && state_ == State::Authorization) {
        log::info("login_timeout").kv("session", conn_->id());
        reply(err("[SYS/TEMP] Login timeout"));
        break;
      }
      if (status == ReadStatus::Timeout) {
        // RFC 1939 3: an idle session is closed without entering UPDATE.
        log::info("autologout").kv("session", conn_->id());
        reply(err("autologout"));
        break;
      }
      if (status == ReadStatus::TooLong) {
        error(err("line too long"));
        continue;
      }
      co_await dispatch(line);
    }
    log::info("session_end")
        .kv("session", conn_->id())
        .kv("state", state_name(state_))
        .kv("retrieved", retrieved_)
        .kv("deleted", deleted_);
  }

 private:
  void reply(const Reply& r) { conn_->send(r.to_wire()); }

  // Before login the whole AUTHORIZATION state has pop3d.login_timeout; after it, each
  // command pop3d.idle_timeout.
  seconds read_timeout() const {
    const seconds idle(limits_.idle_timeout);
    if (state_ != State::Authorization) return idle;
    auto left = std::chrono::ceil<seconds>(login_deadline_ - std::chrono::steady_clock::now());
    return std::clamp(left, seconds(0), idle);
  }

  // A protocol error: counted, and too many end the session (a client stuck in a loop or
  // guessing passwords gets cut off).
  void error(const Reply& r) {
    reply(r);
    if (++errors_ >= limits_.max_bad_commands) {
      log::info("too_many_errors").kv("session", conn_->id());
      reply(err("too many errors"));
      closing_ = true;
    }
  }

  void set_state(State s) {
    log::debug("state")
        .kv("session", conn_->id())
        .kv("from", state_name(state_))
        .kv("to", state_name(s));
    state_ = s;
  }

  // Which commands each state allows (RFC 1939 4, 5; CAPA in both, RFC 2449 5).
  static bool allowed(State state, Verb verb) {
    switch (verb) {
      case Verb::Capa:
      case Verb::Quit:
        return true;
      case Verb::User:
      case Verb::Pass:
      case Verb::Auth:
      case Verb::Stls:
        return state == State::Authorization;
      default:
        return state == State::Transaction;
    }
  }

  net::awaitable<void> dispatch(const std::string& line) {
    auto parsed = parse_command(line);
    if (auto* e = std::get_if<ParseError>(&parsed)) {
      error(err(e->text));
      co_return;
    }
    const Command& cmd = std::get<Command>(parsed);
    log::debug("command").kv("session", conn_->id()).kv("verb", verb_name(cmd.verb));
    // A client that never logs in (or keeps failing) cannot hold the slot with chatter.
    if (state_ == State::Authorization && ++login_commands_ > limits_.max_login_commands) {
      log::info("too_many_login_commands").kv("session", conn_->id());
      reply(err("Too many commands without login"));
      closing_ = true;
      co_return;
    }
    if (!allowed(state_, cmd.verb)) {
      error(err("command not valid in this state"));
      co_return;
    }
    const auto started = metrics::Clock::now();
    switch (cmd.verb) {
      case Verb::Capa:
        capa();
        break;
      case Verb::User:
        user(cmd);
        break;
      case Verb::Pass:
        co_await pass(cmd);
        break;
      case Verb::Auth:
        co_await authenticate(cmd);
        break;
      case Verb::Stls:
        co_await stls();
        break;
      case Verb::Quit:
        co_await quit();
        break;
      case Verb::Stat:
        reply(ok(std::to_string(drop_.live_count()) + " " + std::to_string(drop_.live_octets())));
        break;
      case Verb::List:
        list(cmd);
        break;
      case Verb::Uidl:
        uidl(cmd);
        break;
      case Verb::Retr:
        co_await retrieve(cmd.number, std::nullopt);
        break;
      case Verb::Top:
        co_await retrieve(cmd.number, cmd.lines);
        break;
      case Verb::Dele:
        dele(cmd);
        break;
      case Verb::Rset:
        drop_.reset();
        reply(ok(summary()));
        break;
      case Verb::Noop:
        reply(ok());
        break;
    }
    metrics::command_done("pop3", verb_name(cmd.verb), metrics::Clock::now() - started);
  }

  bool tls_offered() const {
    return ctx_.tls != nullptr && !conn_->is_tls() && state_ == State::Authorization;
  }

  // RFC 2595 2: no cleartext passwords unless the channel is protected, or the operator
  // allowed it on loopback (a local webmail or a test).
  bool plaintext_allowed() const {
    return conn_->is_tls() ||
           (limits_.allow_plaintext_auth_on_loopback && conn_->remote_is_loopback());
  }

  std::string summary() const {
    return "maildrop has " + std::to_string(drop_.live_count()) + " messages (" +
           std::to_string(drop_.live_octets()) + " octets)";
  }

  // RFC 2449 5.
  void capa() {
    std::string out = "+OK Capability list follows\r\nTOP\r\nUIDL\r\n";
    if (state_ == State::Authorization && plaintext_allowed()) out += "USER\r\n";
    // RFC 5034 6: SASL, only where passwords may be sent (as USER).
    if (state_ == State::Authorization && plaintext_allowed())
      out += sasl_capability(ctx_.authenticator.mechanisms(client_info(*conn_))) + "\r\n";
    out += "RESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n";
    if (tls_offered()) out += "STLS\r\n";
    out += "IMPLEMENTATION mailsuite\r\n.\r\n";
    conn_->send(out);
  }

  // RFC 1939 7 (USER).
  void user(const Command& cmd) {
    if (!plaintext_allowed())
      return error(err("[AUTH] Plaintext authentication requires TLS, use STLS"));
    user_ = cmd.argument;
    reply(ok("send PASS"));
  }

  // RFC 1939 7 (PASS), through the throttled Authenticator.
  net::awaitable<void> pass(const Command& cmd) {
    if (!plaintext_allowed())
      co_return error(err("[AUTH] Plaintext authentication requires TLS, use STLS"));
    if (user_.empty()) co_return error(err("USER first"));
    const std::string login = std::exchange(user_, {});
    const auth::ClientInfo client = client_info(*conn_);
    auto result = co_await ctx_.authenticator.login(client, login, cmd.argument);
    co_await finish_login(result);
  }

  // RFC 5034 4 (AUTH): a SASL exchange; a bare AUTH lists the mechanisms.
  net::awaitable<void> authenticate(const Command& cmd) {
    if (!plaintext_allowed()) co_return error(err("[AUTH] Authentication requires TLS, use STLS"));
    const auth::ClientInfo client = client_info(*conn_);
    if (cmd.argument.empty()) {
      std::string out = ok("Supported mechanisms follow").to_wire();
      for (const auto& m : ctx_.authenticator.mechanisms(client)) out += m + "\r\n";
      conn_->send(out + ".\r\n");
      co_return;
    }
    Pop3SaslChannel channel(*conn_, login_deadline_);
    std::optional<std::string_view> initial;
    if (cmd.initial_response) initial = *cmd.initial_response;
    auto result = co_await ctx_.authenticator.authenticate(client, cmd.argument, initial, channel);
    co_await finish_login(result);
  }

  // Maps the outcome to the reply; on success opens the maildrop (RFC 1939 4: lock it,
  // number its messages) and enters TRANSACTION.
  net::awaitable<void> finish_login(const auth::LoginResult& result) {
    using auth::LoginStatus;
    if (result.status == LoginStatus::ConnectionLost) {
      closing_ = true;
      co_return;
    }
    if (result.status == LoginStatus::Malformed) co_return error(err(login_failure_text(result)));
    if (result.status != LoginStatus::Success) {
      reply(err(login_failure_text(result)));
      const bool failed =
          result.status == LoginStatus::Denied || result.status == LoginStatus::AuthzDenied;
      if (failed && ++login_failures_ >= limits_.max_login_failures) {
        log::info("too_many_login_failures").kv("session", conn_->id());
        reply(err("Too many failed logins"));
        closing_ = true;
      }
      co_return;
    }
    const std::string& account = result.account;
    if (!ctx_.locks.try_lock(account)) {
      log::info("maildrop_in_use").kv("session", conn_->id()).kv("user", account);
      co_return reply(err("[IN-USE] Maildrop already locked by another session"));
    }
    auto drop = co_await net::offload(ctx_.workers, [&]() -> Result<Maildrop> {
      auto box = ctx_.store.mailbox(account, "INBOX");
      if (!box) return box.error();
      auto messages = ctx_.store.messages(box->id);
      if (!messages) return messages.error();
      return Maildrop(box->id, box->uid_validity, *messages);
    });
    if (!drop) {
      ctx_.locks.unlock(account);
      log::error("maildrop_failed")
          .kv("session", conn_->id())
          .kv("user", account)
          .kv("error", drop.error().message);
      co_return reply(err(drop.error().kind == ErrorKind::NotFound
                              ? "[SYS/PERM] No mailbox for this account"
                              : "[SYS/TEMP] Maildrop unavailable"));
    }
    account_ = account;
    drop_ = std::move(*drop);
    set_state(State::Transaction);
    log::info("login")
        .kv("session", conn_->id())
        .kv("user", account_)
        .kv("tls", conn_->is_tls())
        .kv("messages", drop_.size());
    reply(ok(summary()));
  }

  // RFC 2595 4. Input pipelined behind STLS is discarded by start_tls (plaintext injection).
  net::awaitable<void> stls() {
    if (!tls_offered()) co_return error(err("STLS not available"));
    reply(ok("Begin TLS negotiation"));
    auto context = ctx_.tls->current();
    if (!co_await conn_->start_tls(*context, seconds(limits_.idle_timeout))) {
      log::info("tls_failed").kv("session", conn_->id());
      closing_ = true;
      co_return;
    }
    log::info("tls")
        .kv("session", conn_->id())
        .kv("version", conn_->tls_version())
        .kv("cipher", conn_->tls_cipher());
    user_.clear();
  }

  // RFC 1939 6: QUIT in TRANSACTION enters UPDATE: every marked message goes in one store
  // call; in AUTHORIZATION it just ends the session.
  net::awaitable<void> quit() {
    closing_ = true;
    if (state_ != State::Transaction) co_return reply(ok("POP3 server signing off"));
    set_state(State::Update);
    const auto uids = drop_.deleted_uids();
    if (uids.empty()) co_return reply(ok("POP3 server signing off"));
    auto removed = co_await net::offload(
        ctx_.workers, [&] { return ctx_.store.expunge(drop_.mailbox_id(), uids); });
    if (!removed) {
      log::error("expunge_failed")
          .kv("session", conn_->id())
          .kv("user", account_)
          .kv("error", removed.error().message);
      co_return reply(err("[SYS/TEMP] Some deleted messages not removed"));
    }
    deleted_ = static_cast<int>(uids.size());
    log::info("expunged").kv("session", conn_->id()).kv("user", account_).kv("count", deleted_);
    reply(ok("POP3 server signing off (" + std::to_string(uids.size()) + " messages deleted)"));
  }

  // RFC 1939 5 (LIST) and 7 (UIDL): one message, or every one not marked deleted.
  void list(const Command& cmd) {
    scan_listing(cmd, [&](uint32_t n) { return std::to_string(drop_.find(n)->size); });
  }
  void uidl(const Command& cmd) {
    scan_listing(cmd, [&](uint32_t n) { return drop_.unique_id(n); });
  }

  template <typename F>
  void scan_listing(const Command& cmd, F value) {
    if (cmd.number != 0) {
      if (!drop_.find(cmd.number)) return reply(err("no such message"));
      return reply(ok(std::to_string(cmd.number) + " " + value(cmd.number)));
    }
    std::string out = cmd.verb == Verb::List ? ok(summary()).to_wire() : ok().to_wire();
    for (uint32_t n = 1; n <= drop_.size(); ++n) {
      if (drop_.find(n)) out += std::to_string(n) + " " + value(n) + "\r\n";
    }
    out += ".\r\n";
    conn_->send(out);
  }

  // RFC 1939 5 (DELE).
  void dele(const Command& cmd) {
    if (!drop_.mark_deleted(cmd.number)) return reply(err("no such message"));
    reply(ok("message " + std::to_string(cmd.number) + " deleted"));
  }

  // RFC 1939 5 (RETR) and 7 (TOP): the message (or its head) byte-stuffed, sent in chunks
  // so a large message is never copied whole a second time; drain() writes whenever
  // server.max_output_buffer is queued, so a client that does not read stalls the session.
  net::awaitable<void> retrieve(uint32_t number, std::optional<uint32_t> top_lines) {
    const Maildrop::Entry* entry = drop_.find(number);
    if (!entry) co_return reply(err("no such message"));
    const uint32_t uid = entry->uid;
    auto bytes = co_await net::offload(
        ctx_.workers, [&] { return ctx_.store.message_bytes(drop_.mailbox_id(), uid); });
    if (!bytes) {
      log::error("fetch_failed")
          .kv("session", conn_->id())
          .kv("uid", uid)
          .kv("error", bytes.error().message);
      co_return reply(err(bytes.error().kind == ErrorKind::NotFound
                              ? "[SYS/PERM] Message was removed by another session"
                              : "[SYS/TEMP] Message unavailable"));
    }
    std::string_view message = *bytes;
    if (top_lines) message = message.substr(0, top_length(message, *top_lines));
    reply(ok(top_lines ? std::string("top of message follows")
                       : std::to_string(message.size()) + " octets"));
    DotStuffer stuffer;
    std::string chunk;
    for (size_t pos = 0; pos < message.size(); pos += kRetrChunk) {
      chunk.clear();
      stuffer.append(message.substr(pos, kRetrChunk), chunk);
      conn_->send(chunk);
      if (!co_await conn_->drain()) {
        closing_ = true;
        co_return;
      }
    }
    chunk.clear();
    stuffer.finish(chunk);
    conn_->send(chunk);
    if (!top_lines) ++retrieved_;
  }

  Pop3Context& ctx_;
  std::shared_ptr<net::Connection> conn_;
  const Pop3dConfig& limits_;
  State state_ = State::Authorization;
  std::string user_;     // name given by USER, waiting for PASS
  std::string account_;  // the logged-in account (its maildrop lock is held)
  Maildrop drop_;
  int errors_ = 0;
  int login_commands_ = 0;  // commands received in AUTHORIZATION
  int login_failures_ = 0;  // Denied logins in this session
  std::chrono::steady_clock::time_point login_deadline_ =
      std::chrono::steady_clock::now() + seconds(limits_.login_timeout);
  int retrieved_ = 0;
  int deleted_ = 0;
  bool closing_ = false;
};

}  // namespace

net::awaitable<void> run_session(Pop3Context& context,
                                 std::shared_ptr<net::Connection> connection) {
  Session session(context, std::move(connection));
  co_await session.run();
}

}  // namespace mail::pop3d
