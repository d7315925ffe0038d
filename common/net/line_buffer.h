// Input buffering for line-oriented protocols (SMTP, POP3, IMAP): bytes arrive from the
// network in arbitrary pieces; the session takes complete lines, or exact byte counts for
// IMAP literals and raw views for the SMTP DATA reader. Pure: no sockets.
//
// Every line is bounded: a line longer than the limit is reported once as TooLong and the
// rest of it, up to its LF, is thrown away, so the session answers one error and stays
// in step with the client. Pipelined input simply stays buffered for the next call.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace mail::net {

class LineBuffer {
 public:
  enum class Status { Line, NeedMore, TooLong };

  // max_line counts the octets of a line including its CRLF.
  explicit LineBuffer(size_t max_line) : max_line_(max_line) {}

  size_t max_line() const { return max_line_; }

  // Room for at least `n` more bytes; commit() the number actually read.
  std::span<char> prepare(size_t n);
  void commit(size_t n);
  void append(std::string_view bytes);

  // Takes the next line without its terminator (CRLF, or a lone LF, which the caller may
  // treat as it likes: ended_with_bare_lf() tells).
  Status next_line(std::string& line);
  bool ended_with_bare_lf() const { return bare_lf_; }

  // Takes exactly n bytes when that many are buffered.
  bool take(size_t n, std::string& out);

  std::string_view data() const { return std::string_view(buf_).substr(start_); }
  void consume(size_t n) { start_ += n; }
  size_t size() const { return buf_.size() - start_; }
  // Gives memory back after a large command: keeps what is buffered, and at most
  // `capacity` octets of allocation beyond it.
  void shrink(size_t capacity);
  // Drops everything buffered (after STARTTLS: plaintext pipelined behind it is injected).
  void clear();

 private:
  void compact();
  size_t max_line_;
  std::string buf_;
  size_t start_ = 0;
  bool discarding_ = false;  // inside an over-long line, skipping to its LF
  bool bare_lf_ = false;
  size_t reserved_from_ = 0;
};

}  // namespace mail::net
