// Assembles a message from BDAT chunks (RFC 3030 2). Trusts nothing: the octets come
// straight from the network, split anywhere, and the chunk sizes are the client's.
//
// A chunk is taken exactly as sent: never dot-unstuffed, and a "." line ends nothing.
// The size limit covers all chunks together (552 5.3.4, RFC 3030 2 and RFC 1870).
//
// Line endings. RFC 3030 allows any octets only with BODY=BINARYMIME; a 7BIT or 8BITMIME
// message sent with BDAT is still RFC 5322 text whose lines end in CRLF. A bare CR or LF
// in such a message is refused (550 5.5.2), as in DATA: the queue then only holds text
// messages with canonical CRLF, which a relay may later send with DATA without creating
// an SMTP smuggling ambiguity downstream. A CRLF split across two chunks is one CRLF. With
// BINARYMIME every octet is content and kept byte for byte.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "smtpd/protocol/reply.h"

namespace mail::smtp {

class ChunkReader {
 public:
  // max_size: message octets accepted over all chunks. binary: BODY=BINARYMIME.
  ChunkReader(uint64_t max_size, bool binary);

  // Adds octets of the current chunk. Once failed(), octets are counted (and, until a
  // bare line ending is found, checked), not stored.
  void feed(std::string_view bytes);
  // The LAST chunk is complete: a CR at the very end of a text message is bare.
  void finish();

  bool failed() const { return bare_ || too_big_; }
  bool too_big() const { return too_big_; }
  bool bare_line_ending() const { return bare_; }
  // REQUIRES: failed(). A bare CR/LF wins over too big, as in DataReader.
  Reply error() const;

  uint64_t size() const { return size_; }  // octets fed so far, stored or not
  // The message as received. REQUIRES: finish() and !failed().
  std::string take_message() { return std::move(message_); }

 private:
  void check_line_endings(std::string_view bytes);
  void fail();

  uint64_t max_size_;
  bool binary_;
  uint64_t size_ = 0;
  bool after_cr_ = false;  // the last octet fed was a CR (its LF may start the next chunk)
  bool bare_ = false;
  bool too_big_ = false;
  std::string message_;
};

}  // namespace mail::smtp
