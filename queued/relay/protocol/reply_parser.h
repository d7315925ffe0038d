// Server replies as the SMTP client reads them (RFC 5321 4.2): one or more lines with the
// same three-digit code, "code-text" on every line but the last, "code text" (or the bare
// code) on the last; the first line's text may start with an RFC 3463 enhanced status
// code (RFC 2034). Pure functions over untrusted bytes, no sockets.
//
// Malformed input (no code, a code outside 200-599, a continuation line with another code,
// more lines than allowed) is reported, never guessed at: a desynchronised stream of
// pipelined replies must not be read as the answer to the wrong command.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "smtpd/protocol/reply.h"

namespace mail::relay {

// Collects the lines of one reply.
class ReplyParser {
 public:
  enum class Status { NeedMore, Complete, Malformed };

  explicit ReplyParser(size_t max_lines) : max_lines_(max_lines) {}

  // One line without its CRLF. After Complete, take() the reply; after Malformed, error()
  // says why and the parser must not be fed again (the stream is out of step).
  Status feed(std::string_view line);
  // REQUIRES: the last feed() returned Complete. Resets the parser for the next reply.
  smtp::Reply take();
  const std::string& error() const { return error_; }

 private:
  size_t max_lines_;
  int code_ = 0;
  std::vector<std::string> lines_;
  std::string error_;
  bool complete_ = false;
};

// Splits "5.1.1 User unknown" into the enhanced code and the rest when the text starts
// with one whose class matches the reply code's first digit (RFC 3463 2: class "2", "4"
// or "5", subject and detail of 1-3 digits); returns false and leaves both alone otherwise.
bool split_enhanced_code(int code, std::string_view text, std::string& enhanced, std::string& rest);

// The whole of a byte stream read as replies (the fuzz target and tests): lines end at LF
// (CR before it dropped). Stops at the first malformed line.
struct ParsedReplies {
  std::vector<smtp::Reply> replies;
  bool malformed = false;
  std::string error;
};
ParsedReplies parse_replies(std::string_view bytes, size_t max_lines);

// One line for logs, the queue record and DSN Diagnostic-Code fields:
// "550 5.1.1 <b@example.org>: Recipient address rejected: User unknown". The lines of a
// multi-line reply are joined with a space; control characters become spaces; the result
// is at most `max` octets (cut at a UTF-8 boundary).
std::string reply_text(const smtp::Reply& reply, size_t max = 1000);

}  // namespace mail::relay
