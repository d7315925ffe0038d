// DeflateStream: both directions of a compression layer over a connection, as IMAP's
// COMPRESS=DEFLATE (RFC 4978) defines it: raw DEFLATE (RFC 1951: no zlib or gzip header)
// each way, the sender flushing (Z_SYNC_FLUSH) whenever it has written what the peer is
// waiting for. Pure: octets in, octets out, no sockets (net::Connection carries it).
//
// Memory is bounded and small: what we send uses a 4 KiB window (windowBits 12) and
// memLevel 5, about 38 KiB of zlib state; what we receive must accept the peer's choice
// of up to a 32 KiB window (RFC 4978 section 4), about 39 KiB. About 77 KiB per
// compressed connection in all (memory() reports it), paid only by connections that
// enable compression. Inflating is bounded per call, so a small input that expands
// enormously (a "zip bomb") is handed out piece by piece as the reader consumes it.
// Input: compressed octets from the peer (untrusted); zlib checks the stream.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mail::net {

class DeflateStream {
 public:
  // Window and memory parameters of the sending direction (see above).
  static constexpr int kDeflateWindowBits = 12;
  static constexpr int kDeflateMemLevel = 5;
  static constexpr int kDeflateLevel = 6;  // zlib's default speed/ratio trade-off
  // The receiving direction accepts any window the peer may use.
  static constexpr int kInflateWindowBits = 15;

  // Both directions ready; nullptr when zlib cannot allocate its state.
  static std::unique_ptr<DeflateStream> create();
  ~DeflateStream();
  DeflateStream(const DeflateStream&) = delete;
  DeflateStream& operator=(const DeflateStream&) = delete;

  // Replaces `data` (plaintext to send) with its compressed form, flushed so that the
  // peer can decompress all of it now. False if zlib fails (the stream is unusable).
  bool compress(std::string& data);

  // Compressed octets received from the peer, kept until inflate() has taken them.
  void received(std::string_view compressed);
  // Room for compressed octets read straight from the socket: fill at most `n` octets
  // of the returned span, then call received_into(count) (which does nothing when no
  // receive_space() is outstanding).
  std::span<char> receive_space(size_t n);
  void received_into(size_t count);

  // Inflates what was received into `out`, at most out.size() octets; returns how many
  // were written (possibly 0, when more input is needed), or nullopt when the stream is
  // corrupt or the peer ended it (RFC 4978 has no end: either is fatal).
  std::optional<size_t> inflate(std::span<char> out);
  // Whether inflate() may produce more without more input.
  bool pending() const;

  // Octets of zlib state currently allocated for this stream (both directions).
  size_t memory() const;

 private:
  struct State;
  explicit DeflateStream(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace mail::net
