// CommandReceiver: frames IMAP client commands out of a byte stream (RFC 9051 sections
// 2.2.1 and 4.3): command lines, synchronizing literals {n} (the server must answer "+"
// before the client sends the octets), non-synchronizing literals {n+} (RFC 7888
// LITERAL+ and LITERAL-) and literal8 ~{n} (RFC 3516, for APPEND). It enforces every
// size limit of a command before buffering the octets, so the session that feeds it only
// moves bytes: octets in, one of four outcomes out.
//
// Input: untrusted octets in pieces of any size (one at a time, or many pipelined
// commands at once). Memory held: at most the current command, which the limits bound.
// Pure: no sockets, no clock; the session owns the deadline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace mail::imap {

struct ReceiverLimits {
  // Octets of one line (the text between literals), CRLF included.
  size_t max_line = 64 * 1024;
  // Line octets plus literal octets of one command, APPEND's literals excepted.
  uint64_t max_command = 64 * 1024;
  // Literal octets of one APPEND command (the message data; APPENDLIMIT, RFC 7889).
  uint64_t max_append_data = 25 * 1024 * 1024;
  // Any single literal (before authentication: a few KiB, enough for any SASL exchange).
  uint64_t max_literal = UINT64_MAX;
  // Any single non-synchronizing literal: unlimited under LITERAL+, 4096 under LITERAL-
  // (RFC 7888 section 5). Over it is a client error, answered BAD [TOOBIG].
  uint64_t max_non_sync_literal = UINT64_MAX;
};

// More octets are needed; everything offered was taken.
struct NeedMore {};

// The line just received ends in a literal that is within the limits. For a
// synchronizing literal the session must send a command continuation request ("+ ...")
// before the client sends the octets; then it keeps feeding the receiver.
struct NeedLiteral {
  uint64_t size = 0;
  bool send_continuation = false;
  bool operator==(const NeedLiteral&) const = default;
};

// The command (or the literal it announces) is over a limit and was dropped.
struct TooBig {
  enum class Reply {
    // "tag NO [TOOBIG] text": a synchronizing literal refused before the client sent its
    // octets (RFC 7889 section 4, RFC 4469 TOOBIG). The client abandons the command; the
    // session goes on.
    No,
    // "tag BAD text": an over-long line or command, skipped up to its end. The session
    // goes on.
    Bad,
    // "tag BAD [TOOBIG] text" and then BYE: a non-synchronizing literal larger than
    // LITERAL- allows (RFC 7888 section 5). Its octets are already on the way.
    BadThenBye,
    // "* BYE [TOOBIG] text": a non-synchronizing literal over a size limit, or an
    // over-long line that announced one. Its octets are on the way and cannot be told
    // from commands, so the session must close.
    Bye,
  };
  Reply reply = Reply::Bad;
  std::string tag;  // "*" when the command had no usable tag
  std::string text;
  bool closes() const { return reply == Reply::BadThenBye || reply == Reply::Bye; }
  bool operator==(const TooBig&) const = default;
};

// One whole command: every line with CRLF and every literal's octets, as the parser takes
// it (a bare LF ending a line is given as CRLF).
struct CommandReady {
  std::string wire;
  bool operator==(const CommandReady&) const = default;
};

using ReceiveOutcome = std::variant<NeedMore, NeedLiteral, TooBig, CommandReady>;

struct Received {
  ReceiveOutcome outcome;
  size_t consumed = 0;  // octets of the input taken; the rest belongs to later commands
};

class CommandReceiver {
 public:
  explicit CommandReceiver(const ReceiverLimits& limits = {}) : limits_(limits) {}

  // Limits for the commands that follow (the session loosens them after login). Takes
  // effect at once; call it between commands.
  void set_limits(const ReceiverLimits& limits) { limits_ = limits; }
  const ReceiverLimits& limits() const { return limits_; }

  // Takes octets from the start of `input` up to the end of the next outcome and reports
  // it. NeedMore takes all of `input`; the others stop right after the line or literal
  // that decided them, leaving pipelined octets to the caller for the next call.
  Received receive(std::string_view input);

  // True from the first octet of a command until its outcome (the session measures the
  // command deadline from there).
  bool in_command() const { return started_; }
  // Octets of the command being received that are held in memory.
  size_t buffered() const { return wire_.size(); }

 private:
  enum class Phase { Line, Literal, Discard };

  // Completes a line (without CR and LF, already in wire_): a whole command, or a literal
  // that follows.
  ReceiveOutcome end_of_line(size_t line_octets);
  ReceiveOutcome end_of_discarded_line();
  void start_discard(std::string_view head, const char* reason);
  // Forgets the current command and gives its memory back when it was large.
  void reset();
  void reserve_for(uint64_t more);

  ReceiverLimits limits_;
  Phase phase_ = Phase::Line;
  bool started_ = false;
  std::string wire_;             // the command so far
  size_t line_start_ = 0;        // where the current line begins in wire_
  uint64_t command_octets_ = 0;  // completed lines plus literals counted in max_command
  uint64_t append_octets_ = 0;   // literal octets of an APPEND command
  uint64_t literal_left_ = 0;    // octets of the current literal still to come
  bool is_append_ = false;
  // While discarding an over-long line: its tag, why, and its last octets (to see
  // whether it announced a literal).
  std::string discard_tag_;
  const char* discard_reason_ = "";
  std::string discard_tail_;
};

// The tag at the start of a command, or "*" when there is none usable (for replies to
// commands that cannot be parsed).
std::string tag_of(std::string_view wire);

}  // namespace mail::imap
