// EnabledExtensions: which extensions the client has switched on in this session, by ENABLE
// (RFC 5161) or by a command that enables one implicitly (RFC 7162 section 3.1: SELECT
// (CONDSTORE), FETCH MODSEQ, ...). Each changes how later responses look, so handlers ask
// it before answering:
//   Imap4rev2   RFC 9051 behaviour instead of RFC 3501: no \Recent and no RECENT, ESEARCH
//               for SEARCH, UTF-8 mailbox names, LIST attributes as 9051 has them.
//   CondStore   RFC 7162 section 3.1: MODSEQ in FETCH responses, HIGHESTMODSEQ on SELECT.
//   QResync     RFC 7162 section 3.2: VANISHED instead of EXPUNGE (implies CondStore).
//   Utf8Accept  RFC 6855: UTF-8 in quoted strings and mailbox names, no modified UTF-7.
// Once on, an extension stays on for the session (RFC 5161 section 3.1: there is no
// DISABLE). Session::enable() is the one way to switch one on (it also adjusts the
// response writer); Session::enabled() asks.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mail::imapd {

enum class Extension : uint8_t { Imap4rev2, CondStore, QResync, Utf8Accept };

// The capability word that names an extension in ENABLE and ENABLED.
constexpr std::string_view extension_word(Extension e) {
  switch (e) {
    case Extension::Imap4rev2:
      return "IMAP4rev2";
    case Extension::CondStore:
      return "CONDSTORE";
    case Extension::QResync:
      return "QRESYNC";
    case Extension::Utf8Accept:
      return "UTF8=ACCEPT";
  }
  return "";
}

// The extension an ENABLE argument names (upper-cased by the parser), if one can be enabled.
std::optional<Extension> enableable_extension(std::string_view upper_word);

class EnabledExtensions {
 public:
  bool has(Extension e) const { return (bits_ & bit(e)) != 0; }
  // Switches `e` on; false when it was on already. QRESYNC also switches CONDSTORE on
  // (RFC 7162 section 3.2.3).
  bool enable(Extension e) {
    if (e == Extension::QResync) bits_ |= bit(Extension::CondStore);
    const bool was = has(e);
    bits_ |= bit(e);
    return !was;
  }

  bool imap4rev2() const { return has(Extension::Imap4rev2); }
  // Mailbox names travel as UTF-8 rather than modified UTF-7 (RFC 6855 section 3, RFC
  // 9051 section 5.1), and quoted strings may hold UTF-8.
  bool utf8() const { return has(Extension::Utf8Accept) || has(Extension::Imap4rev2); }

 private:
  static constexpr uint8_t bit(Extension e) {
    return static_cast<uint8_t>(1u << static_cast<unsigned>(e));
  }
  uint8_t bits_ = 0;
};

inline std::optional<Extension> enableable_extension(std::string_view upper_word) {
  for (Extension e :
       {Extension::Imap4rev2, Extension::CondStore, Extension::QResync, Extension::Utf8Accept}) {
    std::string_view word = extension_word(e);
    if (word.size() != upper_word.size()) continue;
    bool same = true;
    for (size_t i = 0; i < word.size() && same; ++i) {
      char c = word[i];
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
      same = c == upper_word[i];
    }
    if (same) return e;
  }
  return std::nullopt;
}

}  // namespace mail::imapd
