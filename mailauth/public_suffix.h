// The public suffix list (publicsuffix.org; Debian package publicsuffix) and the
// Organizational Domain of DMARC (RFC 7489 3.2): the public suffix of a name plus one
// label. Pure once loaded; the list is untrusted text (read at start-up).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_set>

#include "common/result.h"

namespace mail::mailauth {

inline constexpr const char* kDefaultPublicSuffixList =
    "/usr/share/publicsuffix/public_suffix_list.dat";

class PublicSuffixList {
 public:
  // Rules from the list's text (both its ICANN and PRIVATE sections, as DMARC
  // implementations use them). Rules in U-labels are also kept as A-labels.
  static PublicSuffixList parse(std::string_view text);
  static Result<PublicSuffixList> load(const std::filesystem::path& path);

  // The public suffix of `domain` (lower case, without a final dot): the longest matching
  // rule, an exception rule winning, "*" (the last label) when none matches.
  std::string public_suffix(std::string_view domain) const;
  // RFC 7489 3.2: the public suffix plus one label; the domain itself when it is a public
  // suffix or a single label.
  std::string organizational_domain(std::string_view domain) const;
  // Relaxed alignment (RFC 7489 3.1): both names have the same Organizational Domain.
  bool same_organization(std::string_view a, std::string_view b) const;

  size_t size() const { return rules_.size() + wildcards_.size() + exceptions_.size(); }

 private:
  std::unordered_set<std::string> rules_;       // "co.uk"
  std::unordered_set<std::string> wildcards_;   // "*.ck" stored as "ck"
  std::unordered_set<std::string> exceptions_;  // "!www.ck" stored as "www.ck"
};

}  // namespace mail::mailauth
