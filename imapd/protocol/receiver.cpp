// CommandReceiver: see receiver.h. Input: untrusted octets.
#include "imapd/protocol/receiver.h"

#include <algorithm>

#include "imapd/protocol/literal.h"

namespace mail::imap {
namespace {

// Enough to hold the longest literal marker worth recognising: "~{" 20 digits "+}" CR.
constexpr size_t kTailOctets = 32;
// A reset command buffer keeps at most this much allocation.
constexpr size_t kKeptCapacity = 4096;

bool is_tag_char(unsigned char c) {
  // RFC 9051 section 9: tag = 1*<any ASTRING-CHAR except "+">.
  if (c <= 0x20 || c >= 0x7f) return false;
  switch (c) {
    case '(':
    case ')':
    case '{':
    case '%':
    case '*':
    case '"':
    case '\\':
    case '+':
      return false;
    default:
      return true;
  }
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'a' && x <= 'z' ? x - 32 : x) == (y >= 'a' && y <= 'z' ? y - 32 : y);
         });
}

// Whether the first line of a command names APPEND, whose literals are message data
// (bounded by max_append_data instead of max_command).
bool names_append(std::string_view line) {
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos) return false;
  std::string_view rest = line.substr(sp + 1);
  return iequals(rest.substr(0, rest.find(' ')), "APPEND");
}

}  // namespace

std::string tag_of(std::string_view wire) {
  size_t end = 0;
  while (end < wire.size() && end <= 64 && is_tag_char(static_cast<unsigned char>(wire[end])))
    ++end;
  const bool ends_well =
      end == wire.size() || wire[end] == ' ' || wire[end] == '\r' || wire[end] == '\n';
  if (end == 0 || end > 64 || !ends_well) return "*";
  return std::string(wire.substr(0, end));
}

Received CommandReceiver::receive(std::string_view in) {
  size_t pos = 0;
  while (pos < in.size()) {
    started_ = true;
    switch (phase_) {
      case Phase::Literal: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(literal_left_, in.size() - pos));
        reserve_for(literal_left_);
        wire_.append(in.substr(pos, take));
        pos += take;
        literal_left_ -= take;
        if (literal_left_ == 0) {
          phase_ = Phase::Line;
          line_start_ = wire_.size();
        }
        break;
      }
      case Phase::Discard: {
        const size_t lf = in.find('\n', pos);
        const size_t stop = lf == std::string_view::npos ? in.size() : lf;
        std::string_view skipped = in.substr(pos, stop - pos);
        if (skipped.size() >= kTailOctets) {
          discard_tail_.assign(skipped.substr(skipped.size() - kTailOctets));
        } else {
          discard_tail_.append(skipped);
        }
        if (discard_tail_.size() > kTailOctets)
          discard_tail_.erase(0, discard_tail_.size() - kTailOctets);
        if (lf == std::string_view::npos) return {NeedMore{}, in.size()};
        return {end_of_discarded_line(), lf + 1};
      }
      case Phase::Line: {
        const size_t lf = in.find('\n', pos);
        const size_t stop = lf == std::string_view::npos ? in.size() : lf;
        // The line's octets so far; with its LF it will be at least one more.
        const uint64_t pending = (wire_.size() - line_start_) + (stop - pos);
        const uint64_t at_least = pending + 1;
        if (at_least > limits_.max_line ||
            at_least > limits_.max_command - std::min(command_octets_, limits_.max_command)) {
          const char* reason =
              at_least > limits_.max_line ? "Command line too long" : "Command too long";
          // The tag may still be in the input only.
          std::string head = wire_.substr(0, 80);
          if (line_start_ == 0) head.append(in.substr(pos, 80));
          start_discard(head, reason);
          break;  // the discard phase takes this line from `pos`
        }
        wire_.append(in.substr(pos, stop - pos));
        if (lf == std::string_view::npos) return {NeedMore{}, in.size()};
        const size_t line_octets = wire_.size() - line_start_ + 1;  // with its LF
        if (wire_.size() > line_start_ && wire_.back() == '\r') wire_.pop_back();
        ReceiveOutcome outcome = end_of_line(line_octets);
        if (!std::holds_alternative<NeedMore>(outcome)) return {std::move(outcome), lf + 1};
        pos = lf + 1;
        break;
      }
    }
  }
  return {NeedMore{}, in.size()};
}

ReceiveOutcome CommandReceiver::end_of_line(size_t line_octets) {
  command_octets_ += line_octets;
  const std::string_view line = std::string_view(wire_).substr(line_start_);
  if (line_start_ == 0) is_append_ = names_append(line);
  const auto marker = literal_at_end(line);
  wire_ += "\r\n";
  if (!marker) {
    CommandReady ready{std::move(wire_)};
    wire_ = std::string();
    reset();
    return ready;
  }
  // A literal follows. Decide from its announced size alone, before any of it is read
  // (the sum is checked without overflow: `size` may be anything up to 2^64-1).
  const uint64_t size = marker->size;
  const std::string tag = tag_of(wire_);
  if (marker->non_synchronizing && size > limits_.max_non_sync_literal) {
    reset();
    return TooBig{TooBig::Reply::BadThenBye, tag, "Non-synchronizing literal too large"};
  }
  const uint64_t used = is_append_ ? append_octets_ : command_octets_;
  const uint64_t budget = is_append_ ? limits_.max_append_data : limits_.max_command;
  if (marker->too_large || size > limits_.max_literal || used > budget || size > budget - used) {
    reset();
    if (marker->non_synchronizing) return TooBig{TooBig::Reply::Bye, tag, "Literal too large"};
    return TooBig{TooBig::Reply::No, tag, "Literal too large"};
  }
  (is_append_ ? append_octets_ : command_octets_) += size;
  literal_left_ = size;
  if (size == 0) {
    line_start_ = wire_.size();
  } else {
    phase_ = Phase::Literal;
  }
  return NeedLiteral{size, !marker->non_synchronizing};
}

void CommandReceiver::start_discard(std::string_view head, const char* reason) {
  discard_tag_ = tag_of(head);
  discard_reason_ = reason;
  std::string_view current = std::string_view(wire_).substr(line_start_);
  if (current.size() > kTailOctets) current.remove_prefix(current.size() - kTailOctets);
  discard_tail_.assign(current);
  wire_ = std::string();
  line_start_ = 0;
  phase_ = Phase::Discard;
}

ReceiveOutcome CommandReceiver::end_of_discarded_line() {
  std::string_view tail = discard_tail_;
  if (!tail.empty() && tail.back() == '\r') tail.remove_suffix(1);
  const auto marker = literal_at_end(tail);
  TooBig refusal{TooBig::Reply::Bad, std::move(discard_tag_), discard_reason_};
  // A non-synchronizing literal announced by the dropped line is already on its way.
  if (marker && marker->non_synchronizing) refusal.reply = TooBig::Reply::Bye;
  reset();
  return refusal;
}

void CommandReceiver::reset() {
  if (wire_.capacity() > kKeptCapacity) {
    wire_ = std::string();
  } else {
    wire_.clear();
  }
  phase_ = Phase::Line;
  started_ = false;
  line_start_ = 0;
  command_octets_ = 0;
  append_octets_ = 0;
  literal_left_ = 0;
  is_append_ = false;
  discard_tag_.clear();
  discard_tail_.clear();
}

void CommandReceiver::reserve_for(uint64_t more) {
  // Grow by doubling, but never beyond what the announced literal needs: a literal that
  // is announced but never sent costs nothing, one half sent costs about its half.
  const size_t needed = wire_.size() + static_cast<size_t>(more);
  if (wire_.capacity() >= needed) return;
  wire_.reserve(std::min(needed, std::max<size_t>(wire_.capacity() * 2, 16 * 1024)));
}

}  // namespace mail::imap
