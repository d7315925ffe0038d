// The end of a mail transaction (after DATA or the LAST BDAT chunk): an authenticated
// user's message passes the submission policy (commands/submission.cpp) and gains Date
// and Message-ID if missing; our Received header (RFC 5321 4.4) goes on top, the
// envelope with its DSN, BODY and SMTPUTF8 fields goes to the queue, and only after the
// group commit returned (fsync'd) does the client get 250 (RFC 5321 4.1.1.4: the reply
// means we took responsibility).
#include <ctime>

#include "common/log.h"
#include "common/mail_metrics.h"
#include "common/net/offload.h"
#include "queue/async_enqueue.h"
#include "queue/notify.h"
#include "queued/relay/sending_policy.h"
#include "smtpd/received.h"
#include "smtpd/session_impl.h"

namespace mail::smtpd {

using namespace smtp;

namespace {

queue::DsnRet to_queue(Ret ret) {
  switch (ret) {
    case Ret::Full:
      return queue::DsnRet::Full;
    case Ret::Headers:
      return queue::DsnRet::Headers;
    case Ret::Unspecified:
      break;
  }
  return queue::DsnRet::Unspecified;
}

queue::BodyType to_queue(Body body) {
  switch (body) {
    case Body::EightBitMime:
      return queue::BodyType::EightBitMime;
    case Body::BinaryMime:
      return queue::BodyType::BinaryMime;
    case Body::SevenBit:
      break;
  }
  return queue::BodyType::SevenBit;
}

}  // namespace

// The user's sending-limit counter (see Session::sending_limit): an fsync'd LMDB write, on
// the worker pool. A failure is logged; the message is queued either way.
net::awaitable<void> Session::count_sent_message() {
  if (!ctx_.sending || !ctx_.workers) co_return;
  auto count = [this] { return ctx_.sending->count_message(user_, std::time(nullptr)); };
  auto counted = co_await net::offload(*ctx_.workers, count);
  if (!counted)
    log::warn("sending_count_failed")
        .kv("session", conn_->id())
        .kv("error", counted.error().message);
}

net::awaitable<void> Session::queue_message(std::string body) {
  if (!co_await authenticate_message(body)) co_return reset_transaction();
  queue::NewMessage msg;
  queue::Envelope& envelope = msg.envelope;
  envelope.id = queue::new_queue_id();
  std::vector<std::string> addresses;
  for (const auto& r : tx_.recipients) addresses.push_back(r.address);
  // RFC 6409: an authenticated user's message is checked and completed first.
  std::string fixups;
  if (!user_.empty()) {
    auto prepared = prepare_submission(body, envelope.id);
    if (auto* refused = std::get_if<Reply>(&prepared)) {
      const Reply r = *refused;
      reset_transaction();
      co_return error(r);
    }
    fixups = std::move(std::get<std::string>(prepared));
  }
  TraceInfo trace;
  trace.helo = helo_;
  trace.remote_address = conn_->remote_address();
  trace.our_hostname = ctx_.config.server.hostname;
  trace.esmtp = esmtp_;
  trace.tls_version = conn_->tls_version();
  trace.tls_cipher = conn_->tls_cipher();
  trace.authenticated = !user_.empty();
  if (!limits_.hide_authenticated_user) trace.authenticated_user = user_;
  trace.id = envelope.id;
  trace.recipients = std::move(addresses);
  trace.time = std::time(nullptr);
  trace.smtputf8 = tx_.params.smtputf8;
  msg.content.reserve(body.size() + fixups.size() + 512);
  msg.content = received_header(trace);
  msg.content += fixups;
  msg.content += body;
  std::string().swap(body);
  envelope.sender = tx_.sender.to_string();
  envelope.arrival = trace.time;
  envelope.next_attempt = trace.time;
  envelope.session_id = conn_->id();
  envelope.client = user_;
  envelope.recipients = tx_.recipients;
  envelope.dsn_ret = to_queue(tx_.params.ret);
  envelope.dsn_envid = tx_.params.envid;
  envelope.body = to_queue(tx_.params.body);
  envelope.smtputf8 = tx_.params.smtputf8;
  const size_t size = msg.content.size();
  const size_t recipients = tx_.recipients.size();
  const bool count_sent = tx_.count_sent && !user_.empty();
  const auto enqueue_start = metrics::Clock::now();
  auto id = co_await queue::async_enqueue(ctx_.committer, std::move(msg));
  reset_transaction();
  if (!id) {
    log::error("enqueue_failed").kv("session", conn_->id()).kv("error", id.error().message);
    co_return reply(id.error().kind == ErrorKind::Temporary ? replies::storage_full()
                                                            : replies::local_error());
  }
  queue::notify_new_mail(ctx_.config.queued_socket());
  if (count_sent) co_await count_sent_message();
  ++messages_;
  idle_commands_ = 0;
  metrics::smtp_accepted(metrics::Clock::now() - enqueue_start);
  log::info("queued")
      .kv("session", conn_->id())
      .kv("queue_id", *id)
      .kv("size", static_cast<uint64_t>(size))
      .kv("recipients", static_cast<uint64_t>(recipients));
  reply(replies::queued(*id));
}

}  // namespace mail::smtpd
