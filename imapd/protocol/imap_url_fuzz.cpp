// libFuzzer entry for parse_imap_url (imapd/protocol/imap_url.h). Checks what callers rely
// on: nothing over the length limit is accepted; an accepted URL with URLAUTH has a rump
// that is a prefix of it and parses again as the same URL without the verifier; a
// relative URL resolves to an absolute one. Input: arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "imapd/protocol/imap_url.h"

using namespace mail::imap;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr size_t kMax = 4096;
  const auto url = parse_imap_url(text, kMax);
  if (!url) return 0;
  if (text.size() > kMax) std::abort();
  if (url->absolute != (url->form == UrlForm::Absolute)) std::abort();
  if (url->has_urlauth()) {
    if (!url->absolute || url->rump_length == 0 || url->rump_length > text.size()) std::abort();
    const auto rump = urlauth_rump(text, kMax);
    if (!rump || *rump != text.substr(0, url->rump_length)) std::abort();
    const auto again = parse_imap_url(*rump, kMax);
    if (!again || !again->is_rump() || again->uid != url->uid || again->mailbox != url->mailbox ||
        again->section != url->section || again->access != url->access ||
        again->rump_length != url->rump_length)
      std::abort();
  }
  if (!url->absolute) {
    const auto base = parse_imap_url("imap://u@h/INBOX;UIDVALIDITY=1/;UID=1", kMax);
    if (!base) std::abort();
    if (!resolve_imap_url(*url, *base).absolute) std::abort();
  }
  return 0;
}
