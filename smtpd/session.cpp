// The SMTP server dialogue (RFC 5321), one coroutine per connection. Each command is
// checked against the session state first (the refusal is a 503 reply value), then acted
// on. Input is untrusted: lines are bounded by smtpd.max_line_length, DATA by
// smtpd.max_message_size, every read by a timeout, errors by smtpd.max_errors.
#include "smtpd/session.h"

#include <ctime>

#include "common/log.h"
#include "queue/async_enqueue.h"
#include "queue/notify.h"
#include "smtpd/protocol/command.h"
#include "smtpd/protocol/data_reader.h"
#include "smtpd/received.h"

namespace mail::smtpd {
namespace {

using namespace smtp;
using net::ReadStatus;
using std::chrono::seconds;

enum class State {
  Greeted,    // waiting for HELO/EHLO
  Ready,      // HELO/EHLO done, no transaction
  MailGiven,  // MAIL accepted, no recipient yet
  RcptGiven,  // at least one recipient accepted
};

struct Transaction {
  Address sender;
  std::vector<std::string> recipients;  // as accepted, "local@domain"
  bool rcpt_attempted = false;
};

class Session {
 public:
  Session(SmtpContext& ctx, std::shared_ptr<net::Connection> conn, Port port)
      : ctx_(ctx), conn_(std::move(conn)), port_(port), limits_(ctx.config.smtpd) {}

  net::awaitable<void> run() {
    reply(replies::greeting(ctx_.config.server.hostname));
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
      co_await dispatch(line);
    }
    log::info("session_end").kv("session", conn_->id()).kv("messages", messages_);
  }

 private:
  void reply(const Reply& r) {
    conn_->send(r.to_wire());
    if (r.closes_connection()) closing_ = true;
  }

  // A protocol error: counted, and too many end the session (a client stuck in a loop or
  // probing us gets cut off).
  void error(const Reply& r) {
    reply(r);
    if (++errors_ >= limits_.max_errors) {
      log::info("too_many_errors").kv("session", conn_->id());
      reply(replies::too_many_errors());
    }
  }

  void set_state(State s) { state_ = s; }

  void reset_transaction() {
    tx_ = Transaction{};
    if (state_ != State::Greeted) set_state(State::Ready);
  }

  net::awaitable<void> dispatch(const std::string& line) {
    auto parsed = parse_command(line);
    if (auto* r = std::get_if<Reply>(&parsed)) {
      error(*r);
      co_return;
    }
    const Command& cmd = std::get<Command>(parsed);
    log::debug("command").kv("session", conn_->id()).kv("verb", verb_name(cmd.verb));
    switch (cmd.verb) {
      case Verb::Helo:
      case Verb::Ehlo:
        hello(cmd);
        break;
      case Verb::Mail:
        mail(cmd);
        break;
      case Verb::Rcpt:
        rcpt(cmd);
        break;
      case Verb::Data:
        co_await data();
        break;
      case Verb::Bdat:
        co_await bdat(cmd);
        break;
      case Verb::Rset:
        reset_transaction();
        reply(replies::ok());
        break;
      case Verb::Noop:
        reply(replies::ok());
        break;
      case Verb::Quit:
        reply(replies::bye());
        break;
      case Verb::Vrfy:
        reply(replies::cannot_vrfy());
        break;
      case Verb::Expn:
        error(replies::not_implemented());
        break;
      case Verb::Help:
        reply(replies::help());
        break;
      case Verb::Starttls:
        co_await starttls(cmd);
        break;
      case Verb::Auth:
        error(replies::not_implemented("AUTH not available"));
        break;
    }
  }

  bool tls_offered() const { return ctx_.tls != nullptr && !conn_->is_tls(); }

  // RFC 5321 4.1.1.1; a new EHLO also resets any transaction (4.1.4).
  void hello(const Command& cmd) {
    helo_ = cmd.argument;
    esmtp_ = cmd.verb == Verb::Ehlo;
    tx_ = Transaction{};
    set_state(State::Ready);
    const std::string& host = ctx_.config.server.hostname;
    if (!esmtp_) {
      reply(replies::helo(host));
      return;
    }
    std::vector<std::string> ext = {"PIPELINING",
                                    "SIZE " + std::to_string(limits_.max_message_size), "8BITMIME",
                                    "ENHANCEDSTATUSCODES"};
    if (tls_offered()) ext.push_back("STARTTLS");
    reply(replies::ehlo(host, ext));
  }

  // RFC 5321 4.1.1.2, RFC 1870 (SIZE), RFC 6152 (BODY).
  void mail(const Command& cmd) {
    if (state_ == State::Greeted) return error(replies::bad_sequence("Send HELO/EHLO first"));
    if (state_ != State::Ready) return error(replies::bad_sequence("Sender already specified"));
    if (port_ != Port::Mx && user_.empty()) return error(replies::auth_required());
    for (const auto& [key, value] : cmd.params) {
      if (key == "SIZE") continue;
      if (key == "BODY" && esmtp_) continue;
      return error(replies::param_not_supported("Unsupported parameter " + key));
    }
    if (cmd.size && *cmd.size > limits_.max_message_size) return error(replies::message_too_big());
    if (cmd.path.utf8) return error(replies::utf8_required());
    tx_ = Transaction{};
    tx_.sender = cmd.path;
    set_state(State::MailGiven);
    reply(replies::sender_ok());
  }

  // RFC 5321 4.1.1.3: unknown local users are refused here, never bounced later; other
  // domains only for authenticated clients (no open relay).
  void rcpt(const Command& cmd) {
    if (state_ != State::MailGiven && state_ != State::RcptGiven)
      return error(replies::bad_sequence("Need MAIL before RCPT"));
    if (!cmd.params.empty())
      return error(
          replies::param_not_supported("Unsupported parameter " + cmd.params.front().first));
    tx_.rcpt_attempted = true;
    if (static_cast<int>(tx_.recipients.size()) >= limits_.max_recipients)
      return reply(replies::too_many_recipients());
    if (cmd.path.utf8) return error(replies::utf8_required());
    std::string address = cmd.path.to_string();
    if (cmd.path.domain.empty())
      address = "postmaster@" + ctx_.config.server.hostname;  // <Postmaster>
    if (cmd.path.is_literal()) return error(replies::relay_denied());
    auto lookup = ctx_.directory.resolve(address);
    if (!lookup) {
      log::warn("directory_error").kv("session", conn_->id()).kv("error", lookup.error().message);
      return reply(replies::local_error());
    }
    switch (lookup->kind) {
      case auth::RecipientKind::Unknown:
        log::info("rcpt_rejected")
            .kv("session", conn_->id())
            .kv("rcpt", address)
            .kv("reason", "unknown");
        return error(replies::user_unknown());
      case auth::RecipientKind::Foreign:
        if (user_.empty()) {
          log::info("rcpt_rejected")
              .kv("session", conn_->id())
              .kv("rcpt", address)
              .kv("reason", "relay");
          return error(replies::relay_denied());
        }
        break;
      case auth::RecipientKind::Local:
        break;
    }
    tx_.recipients.push_back(address);
    set_state(State::RcptGiven);
    reply(replies::recipient_ok());
  }

  // RFC 5321 4.1.1.4. The 250 goes out only after the queue commit returned (fsync'd).
  net::awaitable<void> data() {
    if (state_ != State::RcptGiven) {
      if (state_ == State::MailGiven && tx_.rcpt_attempted)
        co_return error(replies::no_valid_recipients());
      co_return error(replies::bad_sequence("Need RCPT before DATA"));
    }
    reply(replies::start_data());
    DataReader reader(limits_.max_message_size);
    for (;;) {
      auto& input = conn_->input();
      size_t consumed = 0;
      auto status = reader.feed(input.data(), consumed);
      input.consume(consumed);
      if (status == DataReader::Status::Error) {
        log::info("data_rejected")
            .kv("session", conn_->id())
            .kv("reason", reader.error().lines.front());
        reset_transaction();
        co_return error(reader.error());
      }
      if (status == DataReader::Status::Done) break;
      ReadStatus rs = co_await conn_->read_more(seconds(limits_.data_timeout));
      if (rs == ReadStatus::Timeout) {
        co_return reply(replies::timeout());
      }
      if (rs != ReadStatus::Ok) {
        closing_ = true;
        co_return;
      }
    }
    co_await enqueue(reader.take_message());
  }

  // BDAT is not offered yet (CHUNKING comes with the full smtpd); a client sending it
  // anyway gets its chunk read and discarded so the dialogue stays in step.
  net::awaitable<void> bdat(const Command& cmd) {
    uint64_t remaining = cmd.chunk_size;
    while (remaining > 0) {
      auto& input = conn_->input();
      uint64_t n = std::min<uint64_t>(remaining, input.size());
      input.consume(n);
      remaining -= n;
      if (remaining == 0) break;
      if (co_await conn_->read_more(seconds(limits_.data_timeout)) != ReadStatus::Ok) {
        closing_ = true;
        co_return;
      }
    }
    reset_transaction();
    error(replies::not_implemented("BDAT not available"));
  }

  net::awaitable<void> enqueue(std::string body) {
    queue::NewMessage msg;
    msg.envelope.id = queue::new_queue_id();
    TraceInfo trace{helo_,
                    conn_->remote_address(),
                    ctx_.config.server.hostname,
                    esmtp_,
                    conn_->tls_version(),
                    conn_->tls_cipher(),
                    user_,
                    msg.envelope.id,
                    tx_.recipients,
                    std::time(nullptr)};
    msg.content = received_header(trace);
    msg.content += body;
    msg.envelope.sender = tx_.sender.to_string();
    msg.envelope.arrival = trace.time;
    msg.envelope.next_attempt = trace.time;
    msg.envelope.session_id = conn_->id();
    msg.envelope.client = user_;
    for (const auto& r : tx_.recipients) {
      queue::Recipient recipient;
      recipient.address = r;
      msg.envelope.recipients.push_back(std::move(recipient));
    }
    const size_t size = msg.content.size();
    const size_t recipients = tx_.recipients.size();
    auto id = co_await queue::async_enqueue(ctx_.committer, std::move(msg));
    reset_transaction();
    if (!id) {
      log::error("enqueue_failed").kv("session", conn_->id()).kv("error", id.error().message);
      co_return reply(id.error().kind == ErrorKind::Temporary ? replies::storage_full()
                                                              : replies::local_error());
    }
    queue::notify_new_mail(ctx_.config.queued_socket());
    ++messages_;
    log::info("queued")
        .kv("session", conn_->id())
        .kv("queue_id", *id)
        .kv("size", static_cast<uint64_t>(size))
        .kv("recipients", static_cast<uint64_t>(recipients));
    reply(replies::queued(*id));
  }

  // RFC 3207. Whatever the client pipelined behind STARTTLS is discarded by start_tls()
  // (plaintext command injection); afterwards the session starts over (EHLO again).
  net::awaitable<void> starttls(const Command& cmd) {
    if (!cmd.argument.empty()) co_return error(replies::syntax_error());
    if (!tls_offered()) co_return error(replies::not_implemented("STARTTLS not available"));
    reply(replies::ready_for_tls());
    auto context = ctx_.tls->current();
    if (!co_await conn_->start_tls(*context, seconds(limits_.command_timeout))) {
      log::info("tls_failed").kv("session", conn_->id());
      closing_ = true;
      co_return;
    }
    log::info("tls")
        .kv("session", conn_->id())
        .kv("version", conn_->tls_version())
        .kv("cipher", conn_->tls_cipher());
    helo_.clear();
    tx_ = Transaction{};
    set_state(State::Greeted);
  }

  SmtpContext& ctx_;
  std::shared_ptr<net::Connection> conn_;
  Port port_;
  const SmtpdConfig& limits_;
  State state_ = State::Greeted;
  Transaction tx_;
  std::string helo_;
  bool esmtp_ = false;
  std::string user_;  // authenticated user; AUTH arrives with the submission issue
  int errors_ = 0;
  int messages_ = 0;
  bool closing_ = false;
};

}  // namespace

net::awaitable<void> run_session(SmtpContext& context, std::shared_ptr<net::Connection> connection,
                                 Port port) {
  Session session(context, std::move(connection), port);
  co_await session.run();
}

}  // namespace mail::smtpd
