// DATA body state machine (RFC 5321 4.5.2, 4.1.1.4); see data_reader.h for the contract.
// Trusts nothing: any byte sequence, split anywhere, must leave it in a defined state.
#include "smtpd/protocol/data_reader.h"

#include <utility>

namespace mail::smtp {

DataReader::DataReader(uint64_t max_size) : max_size_(max_size) {}

void DataReader::append(std::string_view bytes) {
  size_ += bytes.size();
  if (too_big_) return;
  if (size_ > max_size_) {
    too_big_ = true;
    std::string().swap(message_);  // stop storing, and give the memory back
    return;
  }
  message_.append(bytes);
}

DataReader::Status DataReader::feed(std::string_view bytes, size_t& consumed) {
  consumed = 0;
  if (status_ != Status::NeedMore) return status_;
  size_t i = 0;
  const size_t n = bytes.size();
  while (i < n) {
    const char c = bytes[i];
    switch (state_) {
      case State::InLine: {
        // Fast path: copy everything up to the next CR or LF in one go.
        const size_t end = bytes.find_first_of("\r\n", i);
        const size_t stop = end == std::string_view::npos ? n : end;
        append(bytes.substr(i, stop - i));
        i = stop;
        if (i == n) break;
        if (bytes[i] == '\r') {
          state_ = State::SawCr;
        } else {
          bare_ = true;  // LF without CR; it does not start a new line
          append('\n');
        }
        ++i;
        break;
      }
      case State::LineStart:
        ++i;
        if (c == '.') {
          state_ = State::Dot;  // transparency: the leading dot is dropped
        } else if (c == '\r') {
          state_ = State::SawCr;
        } else {
          if (c == '\n') bare_ = true;
          append(c);
          state_ = State::InLine;
        }
        break;
      case State::Dot:
        ++i;
        if (c == '\r') {
          state_ = State::DotCr;
        } else {
          if (c == '\n') bare_ = true;  // LF.LF and CRLF.LF are not terminators
          append(c);
          state_ = State::InLine;
        }
        break;
      case State::DotCr:
        if (c == '\n') {
          ++i;
          consumed = i;
          status_ = (bare_ || too_big_) ? Status::Error : Status::Done;
          return status_;
        }
        // ".\r" then something else: the CR is bare; handle c as after any other CR.
        state_ = State::SawCr;
        break;
      case State::SawCr:
        ++i;
        if (c == '\n') {
          append("\r\n");
          state_ = State::LineStart;
        } else if (c == '\r') {
          bare_ = true;  // the earlier CR was bare; this one may still start a CRLF
          append('\r');
        } else {
          bare_ = true;  // CR.CR and CR.CRLF stay inside the line
          append('\r');
          append(c);
          state_ = State::InLine;
        }
        break;
    }
  }
  consumed = n;
  return status_;
}

Reply DataReader::error() const {
  if (bare_) return replies::bare_line_ending();
  if (too_big_) return replies::message_too_big();
  return replies::local_error();
}

}  // namespace mail::smtp
