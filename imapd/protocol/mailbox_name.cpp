// Mailbox names from the client; see mailbox_name.h. Input: untrusted.
#include "imapd/protocol/mailbox_name.h"

#include <algorithm>

#include "imapd/protocol/mutf7.h"

namespace mail::imap {

std::optional<std::string> mailbox_from_client(std::string_view name, bool utf8) {
  std::optional<std::string> stored;
  if (utf8) {
    // mutf7_encode validates UTF-8 (no overlong forms, no surrogates) on the way.
    if (mutf7_encode(name)) stored = std::string(name);
  } else {
    stored = mutf7_decode(name);
  }
  if (!stored) return std::nullopt;
  const bool control = std::any_of(stored->begin(), stored->end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (control) return std::nullopt;
  return stored;
}

}  // namespace mail::imap
