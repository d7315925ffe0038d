// libFuzzer entry for the command parser: the head, then every argument parser over the
// same arguments (so each parser sees every input, whatever command name it carries).
// Also feeds the bytes to literal_at_end, MailboxPattern, the mUTF-7 codec and
// SequenceSet::parse. Input: arbitrary bytes from the fuzzer.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "imapd/protocol/arguments.h"
#include "imapd/protocol/literal.h"
#include "imapd/protocol/mailbox_pattern.h"
#include "imapd/protocol/mutf7.h"
#include "imapd/protocol/parser.h"
#include "imapd/protocol/sequence_set.h"

namespace {

using namespace mail::imap;

constexpr ArgParser kEveryParser[] = {
    args::none,   args::login,  args::authenticate, args::mailbox, args::mailbox_with_params,
    args::rename, args::list,   args::lsub,         args::status,  args::enable,
    args::id,     args::append, args::expunge,      args::fetch,   args::store,
    args::copy,   args::search, args::notify,       args::generic,
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Reader head_reader(input);
  HeadResult head = parse_command_head(head_reader);
  if (auto* h = std::get_if<CommandHead>(&head)) {
    for (ArgParser parse : kEveryParser) {
      Reader r = head_reader;
      (void)parse_command_arguments(r, *h, parse);
    }
  }
  (void)literal_at_end(input);
  (void)mutf7_decode(input);
  (void)mutf7_encode(input);
  if (auto set = SequenceSet::parse(input)) (void)set->count(1000);
  if (size > 0) {
    // First octet: the name length; the rest of the input the pattern.
    const size_t split = std::min<size_t>(data[0], size - 1);
    auto pattern = MailboxPattern::compile(input.substr(1 + split), '/', 4096);
    if (pattern) (void)pattern->matches(input.substr(1, split));
  }
  return 0;
}
