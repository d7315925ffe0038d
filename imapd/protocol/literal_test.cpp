// Tests for literal_at_end: a table of lines in, markers out.
#include "imapd/protocol/literal.h"

#include <gtest/gtest.h>

namespace mail::imap {
namespace {

struct Case {
  std::string_view line;
  bool found;
  uint64_t size;
  bool non_sync;
  bool binary;
};

TEST(LiteralAtEnd, Table) {
  const Case cases[] = {
      {"A1 LOGIN {5}", true, 5, false, false},
      {"A1 LOGIN {5+}", true, 5, true, false},
      {"A1 APPEND INBOX ~{120}", true, 120, false, true},
      {"A1 APPEND INBOX ~{0+}", true, 0, true, true},
      {"A1 LOGIN fred {18446744073709551615}", true, 18446744073709551615ull, false, false},
      {"A1 LOGIN fred {18446744073709551616}", false, 0, false, false},   // overflow
      {"A1 LOGIN fred {123456789012345678901}", false, 0, false, false},  // 21 digits
      {"A1 LOGIN fred {}", false, 0, false, false},
      {"A1 LOGIN fred {+}", false, 0, false, false},
      {"A1 LOGIN fred {5", false, 0, false, false},
      {"A1 LOGIN fred 5}", false, 0, false, false},
      {"A1 LOGIN fred {5}x", false, 0, false, false},
      {"A1 LOGIN fred {5++}", false, 0, false, false},
      {"A1 LOGIN fred {-5}", false, 0, false, false},
      {"A1 NOOP", false, 0, false, false},
      {"", false, 0, false, false},
      {"}", false, 0, false, false},
      {"{7}", true, 7, false, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.line));
    auto m = literal_at_end(c.line);
    ASSERT_EQ(m.has_value(), c.found);
    if (!m) continue;
    EXPECT_EQ(m->size, c.size);
    EXPECT_EQ(m->non_synchronizing, c.non_sync);
    EXPECT_EQ(m->binary, c.binary);
  }
}

}  // namespace
}  // namespace mail::imap
