// BDAT (RFC 3030 2): the message in chunks of a declared size, never dot-stuffed; the
// LAST chunk ends it. Chunks may be pipelined with their commands (RFC 2920). The size
// limit covers all chunks together (552 5.3.4); a text message (not BODY=BINARYMIME)
// must use CRLF line endings (550 5.5.2, see protocol/chunk_reader.h). After a refused
// chunk the transaction is over, and further pipelined BDATs are refused (503 or 554)
// with their chunks read and dropped, as RFC 3030 2 asks. Only the LAST chunk's reply
// waits for the queue commit.
#include "common/log.h"
#include "smtpd/session_impl.h"

namespace mail::smtpd {

using namespace smtp;
using std::chrono::seconds;

net::awaitable<void> Session::bdat(const Command& cmd) {
  if (!offered().chunking) {  // not offered (smtpd.chunking, or a HELO session)
    error(replies::not_implemented("BDAT not available"));
    co_await read_chunk(cmd.chunk_size, nullptr);
    co_return;
  }
  if (state_ == State::RcptGiven) {  // the first chunk
    tx_.chunks.emplace(limits_.max_message_size, tx_.params.body == Body::BinaryMime);
    conn_->begin_shutdown_grace(seconds(limits_.shutdown_grace));
    enter_state(State::Chunking);
  }
  ChunkReader& chunks = *tx_.chunks;
  if (!co_await read_chunk(cmd.chunk_size, &chunks)) co_return;
  if (cmd.last_chunk) chunks.finish();
  if (chunks.failed()) {
    const Reply r = chunks.error();
    log::info("bdat_rejected")
        .kv("session", conn_->id())
        .kv("reason", r.lines.front())
        .kv("octets", chunks.size());
    reset_transaction();
    co_return error(r);
  }
  if (!cmd.last_chunk) co_return reply(replies::chunk_received(cmd.chunk_size));
  co_await queue_message(chunks.take_message());
}

}  // namespace mail::smtpd
