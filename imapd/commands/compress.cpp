// COMPRESS (RFC 4978): after the tagged OK, which goes out uncompressed, both directions
// of the connection are raw DEFLATE (net::DeflateStream, above TLS when TLS is on). Once
// on, it stays on: a second COMPRESS gets NO [COMPRESSIONACTIVE].
#include "common/log.h"
#include "common/net/deflate_stream.h"
#include "imapd/commands/handlers.h"
#include "imapd/protocol/reader.h"
#include "imapd/session_impl.h"

namespace mail::imapd::commands {

net::awaitable<void> compress(Session& s, const imap::Command& c) {
  const auto& args = std::get<imap::GenericArgs>(c.args).args;
  if (!s.config().compress) {
    s.bad(c.tag, "COMPRESS is not offered");
    co_return;
  }
  if (args.size() != 1 || args[0].kind != imap::Arg::Kind::Atom ||
      imap::to_upper(args[0].value) != "DEFLATE") {
    s.bad(c.tag, "Unknown compression mechanism");
    co_return;
  }
  auto& conn = s.connection();
  if (conn.is_compressed()) {
    s.no(c, "COMPRESSIONACTIVE", "DEFLATE is already active");
    co_return;
  }
  auto stream = net::DeflateStream::create();
  if (!stream) {
    s.no(c, "UNAVAILABLE", "Compression unavailable now");
    co_return;
  }
  s.out().tagged_status(c.tag, imap::Status::Ok, "DEFLATE active");
  if (!co_await conn.flush()) co_return;
  conn.start_compression(std::move(stream));
  log::info("compress").kv("session", conn.id()).kv("mechanism", "DEFLATE");
}

}  // namespace mail::imapd::commands
