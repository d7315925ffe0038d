#include "queued/relay/smtp_session.h"

#include <algorithm>

#include "common/base64.h"
#include "queued/relay/protocol/commands.h"

namespace mail::relay {
namespace {

using namespace std::chrono_literals;

// Octets written per call while sending a message: each write has the data-block timeout
// of RFC 5321 4.5.3.2.5, so a slow but moving server is not cut off.
constexpr size_t kDataBlock = 64 * 1024;

smtp::Reply local_reply(int code, const char* enhanced, std::string text) {
  return smtp::Reply(code, enhanced, std::move(text));
}

}  // namespace

Verdict verdict_for(int code) {
  if (code >= 200 && code < 300) return Verdict::Delivered;
  if (code >= 500 && code < 600) return Verdict::Permanent;
  return Verdict::Temporary;
}

SmtpSession::SmtpSession(net::ClientConnection& connection, const SessionSettings& settings,
                         std::string host)
    : connection_(connection),
      settings_(settings),
      host_(std::move(host)),
      parser_(settings.max_reply_lines) {}

net::awaitable<SmtpSession::Read> SmtpSession::read_reply(std::chrono::seconds timeout) {
  Read out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string line;
  for (;;) {
    const auto left =
        std::chrono::ceil<std::chrono::seconds>(deadline - std::chrono::steady_clock::now());
    if (left <= 0s) {
      out.error = ReadError::Timeout;
      co_return out;
    }
    switch (co_await connection_.read_line(line, left)) {
      case net::ReadStatus::Ok:
        break;
      case net::ReadStatus::Timeout:
        out.error = ReadError::Timeout;
        co_return out;
      case net::ReadStatus::Closed:
        out.error = ReadError::Closed;
        co_return out;
      case net::ReadStatus::TooLong:
        out.error = ReadError::TooLong;
        co_return out;
    }
    switch (parser_.feed(line)) {
      case ReplyParser::Status::Complete:
        out.reply = parser_.take();
        co_return out;
      case ReplyParser::Status::Malformed:
        out.error = ReadError::Malformed;
        co_return out;
      case ReplyParser::Status::NeedMore:
        break;
    }
  }
}

smtp::Reply SmtpSession::lost(const Read& read, std::string_view stage) const {
  std::string what;
  switch (read.error) {
    case ReadError::Timeout:
      what = "timed out waiting for the reply to " + std::string(stage);
      break;
    case ReadError::Closed:
      what = "lost connection waiting for the reply to " + std::string(stage);
      break;
    case ReadError::TooLong:
      what = "reply line too long in the reply to " + std::string(stage);
      break;
    case ReadError::Malformed:
      what = "malformed reply to " + std::string(stage) + ": " + parser_.error();
      break;
    case ReadError::None:
      break;
  }
  // RFC 5321 4.5.3.2.6: without the reply to the end of data the message may or may not
  // have been delivered; it is retried (a possible duplicate beats a loss).
  return local_reply(
      451,
      read.error == ReadError::Malformed || read.error == ReadError::TooLong ? "4.5.0" : "4.4.2",
      host_ + ": " + what);
}

net::awaitable<OpenResult> SmtpSession::open(bool allow_tls) {
  OpenResult result;
  Read greeting = co_await read_reply(settings_.timeouts.greeting);
  if (greeting.error != ReadError::None) {
    result.reply = lost(greeting, "the greeting");
    co_return result;
  }
  if (greeting.reply.code != 220) {
    // RFC 5321 3.1, RFC 7504: 521 and 556 say this host takes no mail at all; any other
    // refusal may be this host's trouble only, so another MX host is tried.
    result.reply = greeting.reply;
    result.remote = true;
    result.permanent = greeting.reply.code == 521 || greeting.reply.code == 556;
    co_await quit();
    co_return result;
  }

  OpenResult hello_result = co_await hello();
  if (!hello_result.ok) co_return hello_result;

  const bool required = settings_.tls == TlsPolicy::Encrypt || settings_.tls == TlsPolicy::Verify;
  const bool wanted = settings_.tls != TlsPolicy::None && settings_.tls_context && allow_tls;
  if (required && (!caps_.starttls || !settings_.tls_context)) {
    result.reply =
        local_reply(451, "4.7.4", "TLS is required, but " + host_ + " does not offer STARTTLS");
    co_await quit();
    co_return result;
  }
  if (wanted && caps_.starttls) {
    connection_.send("STARTTLS\r\n");
    Read r = co_await read_reply(settings_.timeouts.command);
    if (r.error != ReadError::None) {
      result.reply = lost(r, "STARTTLS");
      co_return result;
    }
    if (r.reply.code != 220) {
      if (required) {
        result.reply = local_reply(
            451, "4.7.4",
            "TLS is required, but " + host_ + " refused STARTTLS: " + reply_text(r.reply, 300));
        result.remote = true;
        co_await quit();
        co_return result;
      }
      // Opportunistic: the session goes on in plaintext (RFC 3207 4).
    } else {
      net::ClientTlsOptions options{host_, settings_.tls == TlsPolicy::Verify,
                                    settings_.timeouts.tls};
      auto handshake = co_await connection_.start_tls(*settings_.tls_context, options);
      if (!handshake) {
        result.reply = local_reply(451, "4.7.5", host_ + ": " + handshake.error().message);
        result.tls_failed = true;
        co_return result;
      }
      tls_info_ = connection_.tls_info();
      // RFC 3207 4.2: forget everything learnt before TLS and ask again.
      caps_ = Capabilities{};
      hello_result = co_await hello();
      if (!hello_result.ok) co_return hello_result;
    }
  }

  if (settings_.auth) {
    auto failed = co_await authenticate();
    if (failed) co_return *failed;
  }
  result.ok = true;
  co_return result;
}

net::awaitable<OpenResult> SmtpSession::hello() {
  OpenResult result;
  connection_.send("EHLO " + settings_.helo_name + "\r\n");
  Read r = co_await read_reply(settings_.timeouts.command);
  if (r.error != ReadError::None) {
    result.reply = lost(r, "EHLO");
    co_return result;
  }
  if (r.reply.code == 250) {
    caps_ = parse_ehlo(r.reply);
    result.ok = true;
    co_return result;
  }
  if (r.reply.code >= 500) {
    // RFC 5321 3.2: a server that does not do ESMTP refuses EHLO; HELO then.
    connection_.send("HELO " + settings_.helo_name + "\r\n");
    r = co_await read_reply(settings_.timeouts.command);
    if (r.error != ReadError::None) {
      result.reply = lost(r, "HELO");
      co_return result;
    }
    if (r.reply.code == 250) {
      caps_ = Capabilities{};
      result.ok = true;
      co_return result;
    }
  }
  result.reply = r.reply;
  result.remote = true;
  if (r.reply.code != 421) co_await quit();
  co_return result;
}

net::awaitable<std::optional<OpenResult>> SmtpSession::authenticate() {
  OpenResult failed;
  const Credentials& creds = *settings_.auth;
  if (!connection_.is_tls()) {
    // Never reached with a policy from Routes (AUTH forces Encrypt); kept as the last guard.
    failed.reply = local_reply(451, "4.7.10", "AUTH to " + host_ + " needs TLS");
    co_await quit();
    co_return failed;
  }
  Read r;
  if (caps_.has_auth("PLAIN")) {
    connection_.send("AUTH PLAIN " + auth_plain_response(creds.user, creds.password) + "\r\n");
    r = co_await read_reply(settings_.timeouts.command);
  } else if (caps_.has_auth("LOGIN")) {
    connection_.send("AUTH LOGIN\r\n");
    r = co_await read_reply(settings_.timeouts.command);
    if (r.error == ReadError::None && r.reply.code == 334) {
      connection_.send(base64_encode(creds.user) + "\r\n");
      r = co_await read_reply(settings_.timeouts.command);
      if (r.error == ReadError::None && r.reply.code == 334) {
        connection_.send(base64_encode(creds.password) + "\r\n");
        r = co_await read_reply(settings_.timeouts.command);
      }
    }
  } else {
    failed.reply =
        local_reply(451, "4.7.0", host_ + " offers no AUTH mechanism we use (PLAIN, LOGIN)");
    co_await quit();
    co_return failed;
  }
  if (r.error != ReadError::None) {
    failed.reply = lost(r, "AUTH");
    co_return failed;
  }
  if (r.reply.code == 235) co_return std::nullopt;
  // Wrong credentials are our configuration's fault: the mail waits until it is fixed.
  failed.reply = local_reply(454, "4.7.0",
                             "authentication to " + host_ + " failed: " + reply_text(r.reply, 300));
  failed.remote = true;
  co_await quit();
  co_return failed;
}

net::awaitable<TransactionResult> SmtpSession::send(const OutgoingMessage& message, bool probe) {
  TransactionResult result;
  result.recipients.resize(message.recipients.size());
  co_await transaction(message, probe, result);
  co_return result;
}

net::awaitable<void> SmtpSession::transaction(const OutgoingMessage& message, bool probe,
                                              TransactionResult& result) {
  const size_t n = message.recipients.size();
  std::vector<bool> decided(n, false);
  const auto decide = [&](size_t i, smtp::Reply reply, bool remote, std::string stage) {
    if (decided[i]) return;
    decided[i] = true;
    auto& out = result.recipients[i];
    out.verdict = verdict_for(reply.code);
    out.reply = std::move(reply);
    out.remote = remote;
    out.stage = std::move(stage);
  };
  const auto decide_open = [&](const smtp::Reply& reply, bool remote, const std::string& stage) {
    for (size_t i = 0; i < n; ++i) decide(i, reply, remote, stage);
  };

  // What the server announced decides what may be sent at all.
  const std::string_view content = message.content;
  if (caps_.size && caps_.max_size > 0 && content.size() > caps_.max_size) {
    decide_open(
        local_reply(552, "5.3.4",
                    "message size " + std::to_string(content.size()) + " exceeds the limit of " +
                        host_ + " (" + std::to_string(caps_.max_size) + ")"),
        false, "SIZE");
    result.reusable = true;
    co_return;
  }
  const bool binary = message.body == queue::BodyType::BinaryMime;
  const bool eight_bit =
      !binary && (message.body == queue::BodyType::EightBitMime || message.traits.eight_bit);
  if (binary && !(caps_.chunking && caps_.binary_mime)) {
    decide_open(
        local_reply(554, "5.6.3",
                    "binary content, but " + host_ + " does not offer BINARYMIME with CHUNKING"),
        false, "BODY");
    result.reusable = true;
    co_return;
  }
  if (eight_bit && !caps_.eight_bit_mime) {
    decide_open(
        local_reply(554, "5.6.3",
                    "8-bit content, but " + host_ + " does not offer 8BITMIME (not downgraded)"),
        false, "BODY");
    result.reusable = true;
    co_return;
  }
  const bool utf8_message =
      message.smtputf8 && (!is_ascii(message.sender) || message.traits.non_ascii_headers);
  if (!caps_.smtputf8) {
    if (utf8_message) {
      decide_open(
          local_reply(553, "5.6.7", "message needs SMTPUTF8, which " + host_ + " does not offer"),
          false, "SMTPUTF8");
      result.reusable = true;
      co_return;
    }
    for (size_t i = 0; i < n; ++i) {
      if (!is_ascii(message.recipients[i].address))
        decide(
            i,
            local_reply(553, "5.6.7", "UTF-8 address, but " + host_ + " does not offer SMTPUTF8"),
            false, "SMTPUTF8");
    }
  }
  std::vector<size_t> eligible;
  for (size_t i = 0; i < n; ++i) {
    if (!decided[i]) eligible.push_back(i);
  }
  if (eligible.empty()) {
    result.reusable = true;
    co_return;
  }

  MailParameters params;
  if (caps_.size) params.size = content.size();
  if (binary) params.body = "BINARYMIME";
  if (eight_bit) params.body = "8BITMIME";
  params.smtputf8 = caps_.smtputf8 && message.smtputf8;
  if (caps_.dsn) {
    if (message.ret == queue::DsnRet::Full) params.ret = "FULL";
    if (message.ret == queue::DsnRet::Headers) params.ret = "HDRS";
    params.envid = message.envid;
  }

  const bool pipelining = caps_.pipelining;
  const bool rset = messages_ > 0 || probe;
  const auto& t = settings_.timeouts;
  if (rset) {
    connection_.send("RSET\r\n");
    if (probe || !pipelining) {
      Read r = co_await read_reply(t.command);
      if (r.error != ReadError::None || r.reply.code != 250) {
        if (probe) {
          result.stale = true;  // nothing attempted: the caller uses a fresh connection
          co_return;
        }
        decide_open(r.error != ReadError::None ? lost(r, "RSET") : r.reply,
                    r.error == ReadError::None, "RSET");
        co_return;
      }
    }
  }

  // RFC 2920: with PIPELINING, MAIL and every RCPT leave in one write and the replies are
  // read in order; without it, one command at a time.
  connection_.send(mail_command(message.sender, params));
  std::vector<Read> rcpt_replies;
  Read mail_reply;
  if (pipelining) {
    for (size_t i : eligible) {
      const auto& r = message.recipients[i];
      connection_.send(rcpt_command(r.address, RcptParameters{r.notify, r.orcpt}, caps_.dsn));
    }
    if (rset && !probe) {
      Read r = co_await read_reply(t.command);
      if (r.error != ReadError::None) {
        decide_open(lost(r, "RSET"), false, "RSET");
        co_return;
      }
    }
    mail_reply = co_await read_reply(t.mail);
    if (mail_reply.error != ReadError::None) {
      decide_open(lost(mail_reply, "MAIL FROM"), false, "MAIL FROM");
      co_return;
    }
    for (size_t k = 0; k < eligible.size(); ++k) {
      rcpt_replies.push_back(co_await read_reply(t.rcpt));
      if (rcpt_replies.back().error != ReadError::None) {
        decide_open(lost(rcpt_replies.back(), "RCPT TO"), false, "RCPT TO");
        co_return;
      }
    }
  } else {
    mail_reply = co_await read_reply(t.mail);
    if (mail_reply.error != ReadError::None) {
      decide_open(lost(mail_reply, "MAIL FROM"), false, "MAIL FROM");
      co_return;
    }
    if (mail_reply.reply.code == 250) {
      for (size_t i : eligible) {
        const auto& r = message.recipients[i];
        connection_.send(rcpt_command(r.address, RcptParameters{r.notify, r.orcpt}, caps_.dsn));
        rcpt_replies.push_back(co_await read_reply(t.rcpt));
        if (rcpt_replies.back().error != ReadError::None) {
          decide_open(lost(rcpt_replies.back(), "RCPT TO"), false, "RCPT TO");
          co_return;
        }
        if (rcpt_replies.back().reply.code == 421) break;
      }
    }
  }
  messages_++;

  if (mail_reply.reply.code != 250) {
    decide_open(mail_reply.reply, true, "MAIL FROM");
    result.reusable = mail_reply.reply.code != 421;
    co_return;
  }
  std::vector<size_t> accepted;
  bool closing = false;
  for (size_t k = 0; k < rcpt_replies.size(); ++k) {
    const smtp::Reply& reply = rcpt_replies[k].reply;
    if (reply.code == 421) closing = true;
    if (reply.code >= 200 && reply.code < 300) {
      accepted.push_back(eligible[k]);
    } else {
      decide(eligible[k], reply, true, "RCPT TO");
      // RFC 5321 4.5.3.1.10: 552 to RCPT means "too many recipients": temporary.
      if (reply.code == 552) result.recipients[eligible[k]].verdict = Verdict::Temporary;
    }
  }
  if (closing) {
    decide_open(local_reply(421, "4.4.2", host_ + " closed the connection during RCPT TO"), false,
                "RCPT TO");
    co_return;
  }
  if (accepted.empty()) {
    result.reusable = true;
    co_return;
  }
  const auto decide_accepted = [&](const smtp::Reply& reply, bool remote, const char* stage) {
    for (size_t i : accepted) decide(i, reply, remote, stage);
  };

  if (binary) {
    // RFC 3030 3: one BDAT LAST chunk carries the whole message, octets as they are.
    connection_.send("BDAT " + std::to_string(content.size()) + " LAST\r\n");
  } else {
    connection_.send("DATA\r\n");
    Read r = co_await read_reply(t.data_init);
    if (r.error != ReadError::None) {
      decide_accepted(lost(r, "DATA"), false, "DATA");
      co_return;
    }
    if (r.reply.code != 354) {
      decide_accepted(r.reply, true, "DATA");
      result.reusable = r.reply.code != 421;
      co_return;
    }
  }
  const std::string stuffed = binary ? std::string() : dot_stuff(content);
  const std::string_view payload = binary ? content : std::string_view(stuffed);
  for (size_t off = 0; off < payload.size(); off += kDataBlock) {
    if (!co_await connection_.write(payload.substr(off, kDataBlock), t.data_block)) {
      decide_accepted(
          local_reply(451, "4.4.2", host_ + ": connection lost or timed out sending the message"),
          false, "DATA");
      co_return;
    }
  }
  Read done = co_await read_reply(t.data_done);
  if (done.error != ReadError::None) {
    decide_accepted(lost(done, "the end of the message"), false, "end of DATA");
    co_return;
  }
  decide_accepted(done.reply, true, "end of DATA");
  result.reusable = done.reply.code != 421;
}

net::awaitable<void> SmtpSession::quit() {
  if (!connection_.is_open()) co_return;
  connection_.send("QUIT\r\n");
  co_await read_reply(settings_.timeouts.command);
  connection_.close();
}

}  // namespace mail::relay
