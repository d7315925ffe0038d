// The Session class shared by session.cpp (dialogue, state gate, mailbox refresh) and the
// command handlers in commands/*.cpp, one file per command family. Internal to imapd.
#pragma once

#include <string>
#include <vector>

#include "common/net/offload.h"
#include "imapd/protocol/command.h"
#include "imapd/protocol/response.h"
#include "imapd/session.h"

namespace mail::imapd {

enum class State : unsigned {
  NotAuthenticated = 1u << 0,
  Authenticated = 1u << 1,
  Selected = 1u << 2,
  Logout = 1u << 3,
};

struct SelectedMailbox {
  store::MailboxInfo info;
  bool read_only = false;
  std::vector<store::MessageInfo> messages;  // message sequence number n is messages[n - 1]
};

class Session {
 public:
  Session(ImapContext& ctx, std::shared_ptr<net::Connection> conn);
  net::awaitable<void> run();

  using Handler = net::awaitable<void> (Session::*)(const imap::Command&);

  // Command handlers (RFC 9051 section 6); each names its section in its file.
  net::awaitable<void> capability(const imap::Command&);
  net::awaitable<void> noop(const imap::Command&);
  net::awaitable<void> logout(const imap::Command&);
  net::awaitable<void> id(const imap::Command&);
  net::awaitable<void> starttls(const imap::Command&);
  net::awaitable<void> login(const imap::Command&);
  net::awaitable<void> authenticate(const imap::Command&);
  net::awaitable<void> select(const imap::Command&);
  net::awaitable<void> list(const imap::Command&);
  net::awaitable<void> status(const imap::Command&);
  net::awaitable<void> namespace_(const imap::Command&);
  net::awaitable<void> create(const imap::Command&);
  net::awaitable<void> append(const imap::Command&);
  net::awaitable<void> fetch(const imap::Command&);
  net::awaitable<void> store(const imap::Command&);
  net::awaitable<void> expunge(const imap::Command&);
  net::awaitable<void> close(const imap::Command&);
  net::awaitable<void> unselect(const imap::Command&);

 private:
  // Reads one whole command: its lines and literals (sending "+" for synchronizing ones).
  enum class ReadOutcome { Command, Skipped, Closed };
  net::awaitable<ReadOutcome> read_command(std::string& wire);
  net::awaitable<void> dispatch(const std::string& wire);

  // Replies.
  void untagged(std::string_view text) { conn_->send("* " + std::string(text) + "\r\n"); }
  void ok(const imap::Command& c, std::string_view text, std::string_view code = {});
  void no(const imap::Command& c, std::string_view text, std::string_view code = {});
  void bad(std::string_view tag, std::string_view text);
  void bye(std::string_view text);

  // Capabilities for the current state (RFC 9051 section 7.2.2).
  std::string capabilities() const;
  bool plaintext_auth_allowed() const;
  net::awaitable<void> finish_login(const imap::Command& c, Result<std::string> account);

  // Brings the selected mailbox's view up to date and reports the differences: new
  // messages (EXISTS), flag changes (FETCH) and, when allowed, expunges (RFC 9051 section
  // 7.5.1 forbids EXPUNGE responses during FETCH, STORE and SEARCH).
  net::awaitable<void> refresh(bool allow_expunge);
  void deselect();

  // Sequence set -> indexes into selected_->messages (ascending). False for a message
  // sequence number beyond the mailbox (BAD); UIDs that do not exist are ignored.
  bool resolve_set(const imap::SequenceSet& set, bool uid, std::vector<size_t>& out) const;

  // REQUIRES: co_await blocking(...) in one expression (see net::offload), with a lambda
  // that captures by reference only: g++ 12 destroys a coroutine temporary's captured
  // copies twice.
  template <typename F>
  auto blocking(F&& f) {
    return net::offload(ctx_.workers, std::forward<F>(f));
  }

  ImapContext& ctx_;
  std::shared_ptr<net::Connection> conn_;
  State state_ = State::NotAuthenticated;
  std::string account_;
  std::optional<SelectedMailbox> selected_;
  int bad_commands_ = 0;
};

// "(\Seen \Flagged $Junk)" for a message's flags.
std::string format_message_flags(const store::Flags& flags);
// Flag names from the client into store flags; false (with the bad name) for an unknown
// system flag.
bool parse_flags(const std::vector<std::string>& names, store::Flags& out, std::string& bad_name);

}  // namespace mail::imapd
