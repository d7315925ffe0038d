// libFuzzer entry for parse_command. Input: arbitrary bytes from the fuzzer. Also feeds the
// same bytes to literal_at_end, the mUTF-7 codec and SequenceSet::parse.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "imapd/protocol/literal.h"
#include "imapd/protocol/mutf7.h"
#include "imapd/protocol/parser.h"
#include "imapd/protocol/sequence_set.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto result = mail::imap::parse_command(input);
  (void)result;
  (void)mail::imap::literal_at_end(input);
  (void)mail::imap::mutf7_decode(input);
  (void)mail::imap::mutf7_encode(input);
  if (auto set = mail::imap::SequenceSet::parse(input)) (void)set->count(1000);
  return 0;
}
