// libFuzzer target for the store's decoders of untrusted bytes: records read from the
// database file (a damaged file must give Corrupt, never a crash) and change notices read
// from the notify socket. The first byte picks the decoder; a record that decodes must
// encode back to something that decodes to the same values.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "store/lmdb/records.h"
#include "store/notify.h"

using namespace mail::store;
using namespace mail::store::detail;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      if (auto m = decode_message(7, in)) {
        auto again = decode_message(7, encode_message(*m));
        if (!again || again->flags != m->flags || again->modseq != m->modseq) __builtin_trap();
      }
      break;
    case 1:
      if (auto b = decode_mailbox(9, in)) {
        auto again = decode_mailbox(9, encode_mailbox(*b));
        if (!again || again->info.name != b->info.name || again->info.keywords != b->info.keywords)
          __builtin_trap();
      }
      break;
    case 2:
      if (auto a = decode_account(in)) {
        auto again = decode_account(encode_account(*a));
        if (!again || again->limits != a->limits || again->storage_used != a->storage_used)
          __builtin_trap();
      }
      break;
    case 3:
      if (auto ids = decode_change_notice(in)) {
        auto again = decode_change_notice(encode_change_notice(*ids));
        if (!again || *again != *ids) __builtin_trap();
      }
      break;
  }
  return 0;
}
