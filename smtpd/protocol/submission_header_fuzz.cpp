// libFuzzer entry for the submission header reader (submission_header.h): any message
// bytes; the first byte is the author limit. Checks that nothing crashes and that the
// limit holds.
#include <cstdint>
#include <string_view>

#include "smtpd/protocol/submission_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mail::smtp;
  if (size < 1) return 0;
  const size_t max = data[0] % 16 + 1;
  const std::string_view message(reinterpret_cast<const char*>(data + 1), size - 1);
  const SubmissionHeader h = inspect_submission_header(message, max);
  if (h.authors.size() > max) __builtin_trap();
  const std::string added = submission_fixups(h, "D", "i@h");
  if (h.has_date && h.has_message_id && !added.empty()) __builtin_trap();
  return 0;
}
