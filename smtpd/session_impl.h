// The Session class shared by session.cpp (the dialogue, the command table and its gate,
// state changes) and the command handlers in commands/*.cpp, one file per command or
// family. Internal to smtpd.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mailauth/inbound.h"
#include "queue/spool.h"
#include "smtpd/protocol/chunk_reader.h"
#include "smtpd/protocol/command.h"
#include "smtpd/protocol/params.h"
#include "smtpd/protocol/reply.h"
#include "smtpd/session.h"

namespace mail::smtpd {

// Where the dialogue is (RFC 5321 4.1.4 orders the commands). Bits, so that the command
// table can name the set of states a command is allowed in.
enum class State : unsigned {
  Greeted = 1u << 0,    // greeting sent, no HELO/EHLO yet
  Ready = 1u << 1,      // HELO/EHLO done, no mail transaction
  MailGiven = 1u << 2,  // MAIL accepted, no recipient accepted yet
  RcptGiven = 1u << 3,  // at least one recipient accepted
  Chunking = 1u << 4,   // BDAT chunks received, the LAST one not yet (RFC 3030 2)
};

std::string_view state_name(State state);

// One mail transaction, from MAIL to the end of DATA or the LAST BDAT chunk.
struct Transaction {
  smtp::Address sender;
  smtp::MailParams params;
  std::vector<queue::Recipient> recipients;  // accepted: address as sent, DSN fields
  bool rcpt_attempted = false;               // for 554 "no valid recipients" at DATA/BDAT
  std::optional<smtp::ChunkReader> chunks;   // in State::Chunking
  // SPF of this transaction, running since MAIL FROM (MX port, unauthenticated only).
  std::shared_ptr<mailauth::SenderCheck> sender_check;
  // A sending limit applies to the authenticated user: the message counts once queued.
  bool count_sent = false;
};

class Session {
 public:
  Session(SmtpContext& ctx, std::shared_ptr<net::Connection> conn, const PortPolicy& policy);
  net::awaitable<void> run();

  using Handler = net::awaitable<void> (Session::*)(const smtp::Command&);

  // Command handlers; each file names the RFC sections it implements. They run only after
  // the command table allowed the command in this state on this port.
  net::awaitable<void> hello(const smtp::Command&);     // commands/hello.cpp
  net::awaitable<void> starttls(const smtp::Command&);  // commands/starttls.cpp
  net::awaitable<void> auth(const smtp::Command&);      // commands/auth.cpp
  net::awaitable<void> mail(const smtp::Command&);      // commands/mail.cpp
  net::awaitable<void> rcpt(const smtp::Command&);      // commands/rcpt.cpp
  net::awaitable<void> data(const smtp::Command&);      // commands/data.cpp
  net::awaitable<void> bdat(const smtp::Command&);      // commands/bdat.cpp
  net::awaitable<void> rset(const smtp::Command&);      // commands/basic.cpp
  net::awaitable<void> noop(const smtp::Command&);      // commands/basic.cpp
  net::awaitable<void> vrfy(const smtp::Command&);      // commands/basic.cpp
  net::awaitable<void> expn(const smtp::Command&);      // commands/basic.cpp
  net::awaitable<void> help(const smtp::Command&);      // commands/basic.cpp
  net::awaitable<void> quit(const smtp::Command&);      // commands/basic.cpp

 private:
  // session.cpp: the dialogue.
  net::awaitable<bool> greet();
  net::awaitable<void> dispatch(const std::string& line, bool bare_lf);
  // Why `verb` is not allowed in the current state (503 5.5.1, or 554 5.5.1 when every
  // recipient was refused).
  smtp::Reply refusal(smtp::Verb verb) const;

  // Replies. error() counts the reply against smtpd.max_errors.
  void reply(const smtp::Reply& r);
  void error(const smtp::Reply& r);

  // Every state change goes through here, and is logged.
  void enter_state(State next);
  // Ends the transaction (RSET, EHLO, a refused message, a queued one).
  void reset_transaction();

  // The extensions this session's EHLO reply offers (commands/hello.cpp).
  smtp::Extensions offered() const;
  bool tls_offered() const;
  // Passwords may cross this connection: TLS, or loopback where
  // smtpd.allow_plaintext_auth_on_loopback allows it (RFC 4954 4, RFC 8314).
  bool channel_private() const;
  // AUTH is offered now: the port offers it and the channel is private.
  bool auth_offered() const;
  // Who is authenticating, for the Authenticator (commands/auth.cpp).
  auth::ClientInfo client_info() const;

  // commands/submission.cpp: what an authenticated session may send (RFC 6409).
  // MAIL FROM: the null path or an address the user may send as; else 553 5.7.1.
  std::optional<smtp::Reply> check_sender(const smtp::Address& sender) const;
  std::optional<smtp::Reply> sending_limit(bool& counted);  // commands/mail.cpp
  net::awaitable<void> count_sent_message();                // commands/queue_message.cpp
  // The message's From:/Sender: addresses must be the user's too (smtpd.check_header_from,
  // else 550 5.7.1); returns the fields to add (Date, Message-ID, RFC 6409 8.2, 8.3).
  std::variant<std::string, smtp::Reply> prepare_submission(std::string_view message,
                                                            std::string_view queue_id) const;

  // Reads the next `size` octets of a BDAT chunk into `into`, or drops them when null.
  // False when the connection ended or timed out (the session is then closing).
  net::awaitable<bool> read_chunk(uint64_t size, smtp::ChunkReader* into);
  // Queues the message of the current transaction; 250 only after the commit
  // (commands/queue_message.cpp).
  net::awaitable<void> queue_message(std::string body);
  // Mail authentication of the message before it is queued (commands/authenticate.cpp):
  // on the MX port SPF/DKIM/DMARC and our Authentication-Results on top; from an
  // authenticated sender DKIM signatures. False when it replied (refused or deferred).
  net::awaitable<bool> authenticate_message(std::string& body);

  SmtpContext& ctx_;
  std::shared_ptr<net::Connection> conn_;
  PortPolicy policy_;
  const SmtpdConfig& limits_;
  State state_ = State::Greeted;
  Transaction tx_;
  std::string helo_;
  bool esmtp_ = false;
  std::string user_;  // the authenticated account; empty until AUTH succeeded
  int errors_ = 0;
  int auth_failures_ = 0;  // failed AUTH exchanges (smtpd.max_auth_failures)
  int idle_commands_ = 0;  // commands since the last queued message that moved nothing
  int messages_ = 0;
  bool closing_ = false;
};

}  // namespace mail::smtpd
