// The SMTP server dialogue (RFC 5321), one coroutine per connection: greet, then read a
// command line, check it against the command table, and run its handler. Input is
// untrusted: lines are bounded by smtpd.max_line_length, messages by
// smtpd.max_message_size, every read by a timeout, errors by smtpd.max_errors and
// commands that move nothing by smtpd.max_commands_without_progress.
#include "common/log.h"
#include "common/mail_metrics.h"
#include "smtpd/session_impl.h"

namespace mail::smtpd {

using namespace smtp;
using net::ReadStatus;
using std::chrono::seconds;

namespace {

// What a command needs besides the right state; whether a need applies is the port's
// policy (PortPolicy): e.g. MAIL needs TLS and AUTH on submission.
enum Needs : unsigned {
  kNothing = 0,
  kNeedsTls = 1u << 0,       // refused with 530 5.7.0 until STARTTLS where tls_required
  kNeedsAuth = 1u << 1,      // refused with 530 5.7.0 until AUTH where auth_required
  kNeedsAuthPort = 1u << 2,  // refused with 502 5.5.1 where the port does not offer AUTH
  kNeedsPrivacy = 1u << 3,   // refused with 538 5.7.11 on any port until TLS (RFC 4954 6)
};

constexpr unsigned bits(State s) {
  return static_cast<unsigned>(s);
}
constexpr unsigned kAnyState = bits(State::Greeted) | bits(State::Ready) | bits(State::MailGiven) |
                               bits(State::RcptGiven) | bits(State::Chunking);
constexpr unsigned kRecipients = bits(State::MailGiven) | bits(State::RcptGiven);

struct CommandRule {
  Verb verb;
  unsigned states;  // State bits in which the command is allowed
  unsigned needs;   // Needs bits
  bool idle;        // moves no message forward (counted by max_commands_without_progress)
  Session::Handler handler;
};

// The one table that says which command runs when. dispatch() checks it, in this order:
// state (503), AUTH offered (502), TLS (530), privacy (538), AUTH (530); only then does
// the handler run.
const CommandRule kCommands[] = {
    {Verb::Helo, kAnyState, kNothing, true, &Session::hello},
    {Verb::Ehlo, kAnyState, kNothing, true, &Session::hello},
    {Verb::Starttls, bits(State::Greeted) | bits(State::Ready), kNothing, false,
     &Session::starttls},
    {Verb::Auth, bits(State::Ready), kNeedsAuthPort | kNeedsPrivacy, false, &Session::auth},
    {Verb::Mail, bits(State::Ready), kNeedsTls | kNeedsAuth, false, &Session::mail},
    {Verb::Rcpt, kRecipients, kNeedsTls | kNeedsAuth, false, &Session::rcpt},
    {Verb::Data, bits(State::RcptGiven), kNeedsTls | kNeedsAuth, false, &Session::data},
    {Verb::Bdat, bits(State::RcptGiven) | bits(State::Chunking), kNeedsTls | kNeedsAuth, false,
     &Session::bdat},
    {Verb::Rset, kAnyState, kNothing, true, &Session::rset},
    {Verb::Noop, kAnyState, kNothing, true, &Session::noop},
    {Verb::Vrfy, kAnyState, kNothing, true, &Session::vrfy},
    {Verb::Expn, kAnyState, kNothing, true, &Session::expn},
    {Verb::Help, kAnyState, kNothing, true, &Session::help},
    {Verb::Quit, kAnyState, kNothing, false, &Session::quit},
};

const CommandRule* find_rule(Verb verb) {
  for (const CommandRule& rule : kCommands) {
    if (rule.verb == verb) return &rule;
  }
  return nullptr;
}

// Whether a line that failed to parse was a BDAT command: its chunk length is unknown, so
// the octets that follow cannot be told apart from commands.
bool looks_like_bdat(std::string_view line) {
  return line.size() >= 4 && (line[0] | 0x20) == 'b' && (line[1] | 0x20) == 'd' &&
         (line[2] | 0x20) == 'a' && (line[3] | 0x20) == 't' &&
         (line.size() == 4 || line[4] == ' ' || line[4] == '\t');
}

}  // namespace

std::string_view state_name(State state) {
  switch (state) {
    case State::Greeted:
      return "greeted";
    case State::Ready:
      return "ready";
    case State::MailGiven:
      return "mail";
    case State::RcptGiven:
      return "rcpt";
    case State::Chunking:
      return "bdat";
  }
  return "?";
}

PortPolicy port_policy(Port port, const SmtpdConfig& config) {
  switch (port) {
    case Port::Mx:
      return {port, false, false, config.auth_on_mx, true};
    case Port::Submission:
      return {port, true, true, true, false};
    case Port::Submissions:
      return {port, true, true, true, false};  // implicit TLS: the TLS need is always met
  }
  return {};
}

Session::Session(SmtpContext& ctx, std::shared_ptr<net::Connection> conn, const PortPolicy& policy)
    : ctx_(ctx), conn_(std::move(conn)), policy_(policy), limits_(ctx.config.smtpd) {}

net::awaitable<void> Session::run() {
  if (co_await greet()) {
    std::string line;
    while (!closing_) {
      ReadStatus status = co_await conn_->read_line(line, seconds(limits_.command_timeout));
      if (status == ReadStatus::Closed) break;
      if (status == ReadStatus::Timeout) {
        reply(replies::timeout());
        break;
      }
      if (status == ReadStatus::TooLong) {
        error(replies::line_too_long());
        continue;
      }
      co_await dispatch(line, conn_->input().ended_with_bare_lf());
    }
  }
  conn_->end_shutdown_grace();
  log::info("session_end").kv("session", conn_->id()).kv("messages", messages_);
}

// RFC 5321 3.1 and 4.3.1: the server speaks first. On the MX port, a client that talks
// before the greeting (smtpd.greeting_delay) is not waiting for replies: a spam bot
// blasting its commands. It gets 554 and the connection ends.
net::awaitable<bool> Session::greet() {
  if (policy_.greeting_delay && limits_.greeting_delay > 0) {
    ReadStatus status = co_await conn_->read_more(seconds(limits_.greeting_delay));
    if (status == ReadStatus::Closed) co_return false;
    if (status == ReadStatus::Ok) {
      log::info("early_talker").kv("session", conn_->id()).kv("remote", conn_->remote_address());
      reply(replies::early_talker());
      closing_ = true;
      co_return false;
    }
  }
  reply(replies::greeting(ctx_.config.server.hostname));
  co_return true;
}

net::awaitable<void> Session::dispatch(const std::string& line, bool bare_lf) {
  auto parsed = parse_command(line);
  if (auto* r = std::get_if<Reply>(&parsed)) {
    // A BDAT we cannot read leaves us out of step with the client: its chunk would be
    // taken for commands. Refuse and end the session.
    if (looks_like_bdat(line)) closing_ = true;
    co_return error(*r);
  }
  const Command& cmd = std::get<Command>(parsed);
  const CommandRule* rule = find_rule(cmd.verb);
  std::optional<Reply> refused;
  if (bare_lf) {
    // RFC 5321 2.3.8: lines end in CRLF. A bare LF is how SMTP smuggling and
    // command injection through lenient proxies start; refuse it as in DATA.
    refused = replies::bare_lf_command();
  } else if (rule == nullptr) {
    refused = replies::not_implemented();
  } else if (!(rule->states & bits(state_))) {
    refused = refusal(cmd.verb);
  } else if ((rule->needs & kNeedsAuthPort) && !policy_.auth_offered) {
    refused = replies::not_implemented("AUTH not available on this port");
  } else if ((rule->needs & kNeedsTls) && policy_.tls_required && !channel_private()) {
    refused = replies::starttls_required();
  } else if ((rule->needs & kNeedsPrivacy) && !channel_private()) {
    refused = replies::auth_encryption_required();
  } else if ((rule->needs & kNeedsAuth) && policy_.auth_required && user_.empty()) {
    refused = replies::auth_required();
  }
  if (refused) {
    log::debug("command_refused")
        .kv("session", conn_->id())
        .kv("verb", verb_name(cmd.verb))
        .kv("state", state_name(state_))
        .kv("reply", refused->code);
    error(*refused);
    // RFC 3030 2: a refused BDAT still carries its chunk; read past it to stay in step.
    if (cmd.verb == Verb::Bdat && !closing_) co_await read_chunk(cmd.chunk_size, nullptr);
    co_return;
  }
  if (rule->idle && ++idle_commands_ > limits_.max_commands_without_progress) {
    log::info("too_many_commands").kv("session", conn_->id()).kv("verb", verb_name(cmd.verb));
    co_return reply(replies::too_many_commands());
  }
  log::debug("command").kv("session", conn_->id()).kv("verb", verb_name(cmd.verb));
  const auto started = metrics::Clock::now();
  co_await (this->*(rule->handler))(cmd);
  metrics::command_done("smtp", verb_name(cmd.verb), metrics::Clock::now() - started);
}

Reply Session::refusal(Verb verb) const {
  if (state_ == State::Greeted && verb != Verb::Starttls)
    return replies::bad_sequence("Send HELO/EHLO first");
  switch (verb) {
    case Verb::Mail:
      return replies::bad_sequence(state_ == State::Chunking ? "BDAT transfer in progress"
                                                             : "Sender already specified");
    case Verb::Rcpt:
      return replies::bad_sequence(state_ == State::Chunking ? "BDAT transfer in progress"
                                                             : "Need MAIL before RCPT");
    case Verb::Data:
    case Verb::Bdat:
      if (state_ == State::Chunking) return replies::bad_sequence("DATA not allowed after BDAT");
      if (state_ == State::MailGiven && tx_.rcpt_attempted) return replies::no_valid_recipients();
      return replies::bad_sequence(verb == Verb::Data ? "Need RCPT before DATA"
                                                      : "Need RCPT before BDAT");
    case Verb::Starttls:
    case Verb::Auth:
      return replies::bad_sequence("Not allowed during a mail transaction");
    default:
      return replies::bad_sequence();
  }
}

void Session::reply(const Reply& r) {
  if (r.code >= 400) metrics::smtp_rejected(r.code, r.enhanced);
  conn_->send(r.to_wire());
  if (r.closes_connection()) closing_ = true;
}

// A protocol error: counted, and too many end the session (a client stuck in a loop or
// probing us gets cut off).
void Session::error(const Reply& r) {
  reply(r);
  if (++errors_ >= limits_.max_errors && !closing_) {
    log::info("too_many_errors").kv("session", conn_->id());
    reply(replies::too_many_errors());
  }
}

void Session::enter_state(State next) {
  if (next == state_) return;
  log::debug("state")
      .kv("session", conn_->id())
      .kv("from", state_name(state_))
      .kv("to", state_name(next));
  state_ = next;
}

void Session::reset_transaction() {
  tx_ = Transaction{};
  conn_->end_shutdown_grace();
  if (state_ != State::Greeted) enter_state(State::Ready);
}

net::awaitable<bool> Session::read_chunk(uint64_t size, ChunkReader* into) {
  uint64_t remaining = size;
  for (;;) {
    auto& input = conn_->input();
    const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining, input.size()));
    if (into != nullptr) into->feed(input.data().substr(0, n));
    input.consume(n);
    remaining -= n;
    if (remaining == 0) co_return true;
    ReadStatus status = co_await conn_->read_more(seconds(limits_.data_timeout));
    if (status == ReadStatus::Timeout) reply(replies::timeout());
    if (status != ReadStatus::Ok) {
      closing_ = true;
      co_return false;
    }
  }
}

net::awaitable<void> run_session(SmtpContext& context, std::shared_ptr<net::Connection> connection,
                                 const PortPolicy& policy) {
  Session session(context, std::move(connection), policy);
  co_await session.run();
}

}  // namespace mail::smtpd
