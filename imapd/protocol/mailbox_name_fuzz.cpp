// libFuzzer entry for mailbox_from_client (imapd/protocol/mailbox_name.h): names in both
// client forms. Checks what callers rely on: an accepted name is valid UTF-8 without
// control characters, and its modified UTF-7 form (what LIST shows a rev1 client) is
// accepted again as the same name. Input: arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "imapd/protocol/mailbox_name.h"
#include "imapd/protocol/mutf7.h"

using namespace mail::imap;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view name(reinterpret_cast<const char*>(data), size);
  for (const bool utf8 : {false, true}) {
    const auto stored = mailbox_from_client(name, utf8);
    if (!stored) continue;
    for (const char c : *stored)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) std::abort();
    const auto wire = mutf7_encode(*stored);
    if (!wire) std::abort();  // stored names are valid UTF-8
    if (mailbox_from_client(*wire, false) != stored) std::abort();
  }
  return 0;
}
