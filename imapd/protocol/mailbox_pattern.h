// MailboxPattern: LIST and LSUB name matching (RFC 9051 section 6.3.9): "*" matches any
// run of characters, "%" any run without the hierarchy delimiter, every other character
// itself. Matching simulates the pattern's automaton over a bit set, never backtracking
// or recursing: time O(name length x pattern length / 64), memory O(pattern length).
// Input: a pattern from the client (untrusted; its length is capped by the caller's
// limit) and mailbox names from the store.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mail::imap {

class MailboxPattern {
 public:
  // nullopt when the pattern is longer than max_length octets.
  static std::optional<MailboxPattern> compile(std::string_view pattern, char delimiter,
                                               size_t max_length);

  bool matches(std::string_view name) const;

 private:
  using Bits = std::vector<uint64_t>;
  MailboxPattern() = default;

  size_t states_ = 0;                         // pattern positions 0..n (n = accepting)
  Bits star_;                                 // positions holding "*"
  Bits percent_;                              // positions holding "%"
  std::array<int16_t, 256> literal_index_{};  // octet -> index into literals_, or -1
  std::vector<Bits> literals_;                // positions holding that literal octet
  char delimiter_ = '/';
};

}  // namespace mail::imap
