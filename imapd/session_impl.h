// Session: one IMAP connection's dialogue, as the command handlers (imapd/commands/) see
// it: the state with its account and mailbox view, the response writer, the store and
// directory, and the few I/O steps a handler may take (stream a literal's octets, read a
// SASL response line, run a blocking call on the worker pool). Internal to imapd.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/net/offload.h"
#include "imapd/capabilities.h"
#include "imapd/enabled_extensions.h"
#include "imapd/protocol/command.h"
#include "imapd/protocol/receiver.h"
#include "imapd/protocol/response_writer.h"
#include "imapd/session.h"
#include "imapd/session_state.h"

namespace mail::imapd {

// Queued output past which the session writes to the socket before producing more (a
// slow reader then slows the session down instead of growing its buffer). Replaced by
// net::Connection's configured cap when that exists.
inline constexpr size_t kOutputFlushThreshold = 256 * 1024;
// Message bodies one FETCH batch may read from the store at once (a larger body is read
// alone): with kOutputFlushThreshold, the most a FETCH holds besides one body.
inline constexpr size_t kFetchBatchOctets = 256 * 1024;
// Input buffer capacity kept between commands (more is given back after a large one).
inline constexpr size_t kInputCapacityKept = 32 * 1024;

class NotifyState;

class Session final : private imap::ResponseSink {
 public:
  Session(ImapContext& ctx, std::shared_ptr<net::Connection> conn);
  ~Session();
  net::awaitable<void> run();

  // --- what handlers use ---
  ImapContext& context() { return ctx_; }
  const ImapdConfig& config() const { return ctx_.config.imapd; }
  net::Connection& connection() { return *conn_; }
  imap::ResponseWriter& out() { return out_; }

  const SessionState& state() const { return state_; }
  // The only way to change state; logs the transition and why.
  void change_state(SessionState next, std::string_view why);
  // REQUIRES: Authenticated or Selected.
  const std::string& account() const;
  // REQUIRES: Selected.
  MailboxView& view() { return std::get<Selected>(state_).view; }
  bool is_selected() const { return std::holds_alternative<Selected>(state_); }
  // REQUIRES: Selected. The search result SEARCH RETURN (SAVE) kept (RFC 5182).
  search::SavedResult& saved_search() { return std::get<Selected>(state_).saved_search; }
  // REQUIRES: Selected. The live SEARCH/SORT RETURN (UPDATE) contexts (RFC 5267).
  search::UpdateContexts& update_contexts() { return std::get<Selected>(state_).update_contexts; }

  // Tagged completions. bad() counts toward imapd.max_bad_commands (then BYE).
  void completed(const imap::Command& c);  // "tag OK [UID ]NAME completed"
  // completed() with [HIGHESTMODSEQ n] once CONDSTORE is on and no expunge is pending
  // (RFC 7162 section 3.1.2.1 / 3.2.10: EXPUNGE, MOVE).
  void completed_with_modseq(const imap::Command& c);
  void no(const imap::Command& c, std::string_view code, std::string_view text);
  void bad(std::string_view tag, std::string_view text);
  // "* BYE text" and the Logout state: the session ends after this command.
  void bye(std::string_view text, std::string_view code = {});

  // The capabilities for the current state (RFC 9051 section 7.2.2), as atoms.
  void write_capabilities(imap::ResponseWriter& w) const;
  // Whether CAPABILITY lists `word` now (imapd/capabilities.h).
  bool advertises(std::string_view word) const;
  // Extensions the client switched on (ENABLE, RFC 5161, or implicitly, RFC 7162 3.1).
  bool enabled(Extension e) const { return extensions_.has(e); }
  const EnabledExtensions& extensions() const { return extensions_; }
  // Switches `e` on for the rest of the session (and UTF-8 output with it); false when it
  // was on already.
  bool enable(Extension e);
  bool plaintext_auth_allowed() const;
  // commands/login.cpp: who is logging in, for the Authenticator; a failed login counted,
  // and BYE at imapd.max_login_failures.
  auth::ClientInfo login_client() const;
  void count_login_failure();
  // Seconds the client may be silent now (shorter before login).
  std::chrono::seconds read_timeout() const;

  // How the selected mailbox's changes are announced, from extensions().
  AnnounceOptions announce_options() const {
    return {enabled(Extension::CondStore), enabled(Extension::QResync)};
  }

  // NOTIFY (RFC 5465; commands/notify_state.h): null until the client sends NOTIFY.
  NotifyState* notify() { return notify_.get(); }
  // Replaces the session's NOTIFY state (the old one stops watching).
  void set_notify(std::unique_ptr<NotifyState> state);

  // Brings the selected mailbox's view up to date and announces the changes (RFC 9051
  // section 7.5.1: EXPUNGE or VANISHED only when allow_expunge; flag changes only when
  // `flag_changes`, else they are skipped for good: NOTIFY without FlagChange). A selected mailbox
  // that was deleted (or recreated) ends the session with BYE. Reads the store on the event loop (a
  // short LMDB read transaction). A read-write view claims the new messages as \Recent (RFC
  // 3501 2.3.2; a store write on the worker pool) and says RECENT with EXISTS. RETURN (UPDATE)
  // contexts learn of the changes too (ESEARCH ADDTO/REMOVEFROM, RFC 5267 section 4.3;
  // commands/search_context.h).
  net::awaitable<void> refresh(bool allow_expunge, bool flag_changes = true);
  // Writes "* n RECENT" (RFC 3501 7.3.2) for the selected view. IMAP4rev1 only.
  void announce_recent();
  // Runs fn on a snapshot of the selected mailbox (MailboxView::read), first announcing
  // keywords it revealed (untagged FLAGS), on the event loop. fn may write responses (they
  // are only queued) but must not wait for I/O. On error the caller answers NO.
  Result<void> read_view(const std::function<Result<void>(MailboxView::Snapshot&)>& fn);
  // Sends `bytes` (a literal's octets, announced by ResponseWriter::literal_header) in
  // pieces, writing to the socket whenever kOutputFlushThreshold is queued. False when
  // the client is gone or too slow.
  net::awaitable<bool> send_octets(std::string_view bytes);
  // Writes queued output to the socket if more than kOutputFlushThreshold waits.
  net::awaitable<bool> drain();
  // A line from the client inside a command (a SASL response), bounded by
  // imapd.max_line_length and read_timeout(). nullopt (and Logout) when the client is
  // gone, silent or sends a longer line.
  net::awaitable<std::optional<std::string>> read_response_line();

  // Runs f() on the worker pool.
  // REQUIRES: co_await blocking(...) in one expression (see net::offload), with a lambda
  // that captures by reference only: g++ 12 destroys a coroutine temporary's captured
  // copies twice.
  template <typename F>
  auto blocking(F&& f) {
    return net::offload(ctx_.workers, std::forward<F>(f));
  }

 private:
  void write(std::string_view bytes) override { conn_->send(bytes); }

  // Reads one whole command through the receiver within its deadline; nullopt when
  // there is none to run (refused as too big, or the session is ending).
  net::awaitable<std::optional<std::string>> receive_command();
  net::awaitable<void> dispatch(std::string wire);
  void refuse(const imap::TooBig& refusal);
  imap::ReceiverLimits receiver_limits() const;
  CapabilityContext capability_context() const;
  // Counts a command made before login; BYE at imapd.max_commands_before_login.
  void count_command_before_login();

  ImapContext& ctx_;
  std::shared_ptr<net::Connection> conn_;
  imap::ResponseWriter out_;
  imap::CommandReceiver receiver_;
  SessionState state_ = NotAuthenticated{};
  EnabledExtensions extensions_;
  int bad_commands_ = 0;
  int commands_before_login_ = 0;
  int login_failures_ = 0;
  std::unique_ptr<NotifyState> notify_;
};

}  // namespace mail::imapd
