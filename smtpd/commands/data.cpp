// DATA (RFC 5321 4.1.1.4). The body is read by the pure DataReader (dot-unstuffing, the
// size limit, bare CR/LF refused against SMTP smuggling). On SIGTERM a message being
// received gets smtpd.shutdown_grace to complete; the 250 goes out only after the queue
// commit returned (fsync'd).
#include "common/log.h"
#include "smtpd/protocol/data_reader.h"
#include "smtpd/session_impl.h"

namespace mail::smtpd {

using namespace smtp;
using net::ReadStatus;
using std::chrono::seconds;

net::awaitable<void> Session::data(const Command&) {
  // RFC 3030 3: a BINARYMIME message can only be sent with BDAT.
  if (tx_.params.body == Body::BinaryMime)
    co_return error(replies::bad_sequence("BODY=BINARYMIME requires BDAT, not DATA"));
  reply(replies::start_data());
  conn_->begin_shutdown_grace(seconds(limits_.shutdown_grace));
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
      const Reply r = reader.error();
      reset_transaction();
      co_return error(r);
    }
    if (status == DataReader::Status::Done) break;
    ReadStatus rs = co_await conn_->read_more(seconds(limits_.data_timeout));
    if (rs == ReadStatus::Timeout) reply(replies::timeout());
    if (rs != ReadStatus::Ok) {
      closing_ = true;
      co_return;
    }
  }
  co_await queue_message(reader.take_message());
}

}  // namespace mail::smtpd
