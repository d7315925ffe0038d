// Incremental reader for the DATA body (RFC 5321 4.5.2 transparency, 4.1.1.4 terminator).
// Trusts nothing: bytes come straight from the network, split at any boundary.
//
// SMTP smuggling defence: only <CRLF>.<CRLF> ends the message. A bare LF or bare CR anywhere
// makes the message an error (550 5.5.2), but the reader still consumes up to the real
// terminator so the session stays in step with the client; LF.LF, CR.CR, LF.CRLF and
// CRLF.LF are plain data and never end the message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "smtpd/protocol/reply.h"

namespace mail::smtp {

class DataReader {
 public:
  enum class Status { NeedMore, Done, Error };

  // max_size: octets of message (after dot-unstuffing, CRLFs counted) accepted; more gives
  // 552 5.3.4 once the terminator arrives (the SIZE limit, RFC 1870).
  explicit DataReader(uint64_t max_size);

  // Reads from `bytes`; `consumed` is set to how many were used. Stops just after the
  // terminating CRLF.CRLF: bytes after it belong to the next (pipelined) command. Done or
  // Error once the terminator is seen, NeedMore before. After that, returns the same
  // status and consumes nothing.
  Status feed(std::string_view bytes, size_t& consumed);

  // The message with CRLF line endings as received, dot-stuffing removed, including the
  // final CRLF before the terminating dot. Valid after Done; unspecified after Error (a too
  // big message is discarded to release its memory).
  const std::string& message() const { return message_; }
  std::string take_message() { return std::move(message_); }

  bool too_big() const { return too_big_; }
  bool bare_line_ending() const { return bare_; }
  uint64_t size() const { return size_; }  // octets seen so far, stored or not

  // REQUIRES: feed() returned Error. A bare CR/LF wins over too big: it is the smuggling
  // signal, and the size would be meaningless anyway.
  Reply error() const;

 private:
  enum class State {
    LineStart,  // just after CRLF (or at the start of the body)
    InLine,     // inside a line
    SawCr,      // inside a line, just after CR
    Dot,        // a line started with '.', which was dropped
    DotCr,      // ".", then CR: an LF now ends the message
  };

  void append(std::string_view bytes);
  void append(char c) { append(std::string_view(&c, 1)); }

  uint64_t max_size_;
  uint64_t size_ = 0;
  State state_ = State::LineStart;
  Status status_ = Status::NeedMore;
  bool too_big_ = false;
  bool bare_ = false;
  std::string message_;
};

}  // namespace mail::smtp
