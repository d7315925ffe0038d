// MailboxPattern: see mailbox_pattern.h. Input: an untrusted pattern, bounded in length.
#include "imapd/protocol/mailbox_pattern.h"

namespace mail::imap {
namespace {

void set_bit(std::vector<uint64_t>& bits, size_t i) {
  bits[i / 64] |= uint64_t{1} << (i % 64);
}

bool test_bit(const std::vector<uint64_t>& bits, size_t i) {
  return (bits[i / 64] >> (i % 64)) & 1;
}

// out = in << 1 over the whole bit set (in and out may be the same).
void shift_left_one(const std::vector<uint64_t>& in, std::vector<uint64_t>& out) {
  uint64_t carry = 0;
  for (size_t w = 0; w < in.size(); ++w) {
    const uint64_t next_carry = in[w] >> 63;
    out[w] = (in[w] << 1) | carry;
    carry = next_carry;
  }
}

}  // namespace

std::optional<MailboxPattern> MailboxPattern::compile(std::string_view pattern, char delimiter,
                                                      size_t max_length) {
  if (pattern.size() > max_length) return std::nullopt;
  // Runs of wildcards collapse: "**", "*%" and "%*" match what "*" does, "%%" what "%"
  // does. After this no two wildcards are adjacent, so one shift closes the empty moves.
  std::string p;
  for (char c : pattern) {
    const bool wild = c == '*' || c == '%';
    if (wild && !p.empty() && (p.back() == '*' || p.back() == '%')) {
      if (c == '*') p.back() = '*';
      continue;
    }
    p += c;
  }
  MailboxPattern m;
  m.delimiter_ = delimiter;
  m.states_ = p.size() + 1;
  const size_t words = (m.states_ + 63) / 64;
  m.star_.assign(words, 0);
  m.percent_.assign(words, 0);
  m.literal_index_.fill(-1);
  for (size_t i = 0; i < p.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(p[i]);
    if (c == '*') {
      set_bit(m.star_, i);
    } else if (c == '%') {
      set_bit(m.percent_, i);
    } else {
      if (m.literal_index_[c] < 0) {
        m.literal_index_[c] = static_cast<int16_t>(m.literals_.size());
        m.literals_.emplace_back(words, 0);
      }
      set_bit(m.literals_[static_cast<size_t>(m.literal_index_[c])], i);
    }
  }
  return m;
}

bool MailboxPattern::matches(std::string_view name) const {
  const size_t words = star_.size();
  Bits current(words, 0), next(words, 0), shifted(words, 0);
  // State i: the first i pattern characters matched what was read. A wildcard at i may
  // match nothing, so i + 1 is reached at once.
  auto close_over_empty = [&](Bits& s) {
    for (size_t w = 0; w < words; ++w) shifted[w] = s[w] & (star_[w] | percent_[w]);
    shift_left_one(shifted, shifted);
    for (size_t w = 0; w < words; ++w) s[w] |= shifted[w];
  };
  set_bit(current, 0);
  close_over_empty(current);
  for (char ch : name) {
    const unsigned char c = static_cast<unsigned char>(ch);
    const int li = literal_index_[c];
    const bool crosses = ch == delimiter_;
    bool any = false;
    // A wildcard stays where it is after consuming c ("%" never consumes the delimiter);
    // a literal equal to c moves one position on.
    for (size_t w = 0; w < words; ++w) {
      shifted[w] = li >= 0 ? current[w] & literals_[static_cast<size_t>(li)][w] : 0;
    }
    shift_left_one(shifted, shifted);
    for (size_t w = 0; w < words; ++w) {
      next[w] = (current[w] & (star_[w] | (crosses ? 0 : percent_[w]))) | shifted[w];
      any |= next[w] != 0;
    }
    if (!any) return false;
    close_over_empty(next);
    current.swap(next);
  }
  return test_bit(current, states_ - 1);
}

}  // namespace mail::imap
