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
  bool too_large = false;
};

TEST(LiteralAtEnd, Table) {
  const Case cases[] = {
      {"A1 LOGIN {5}", true, 5, false, false},
      {"A1 LOGIN {5+}", true, 5, true, false},
      {"A1 APPEND INBOX ~{120}", true, 120, false, true},
      {"A1 APPEND INBOX ~{0+}", true, 0, true, true},
      {"A1 LOGIN fred {18446744073709551615}", true, 18446744073709551615ull, false, false},
      // Overflow is reported, never wrapped (issue: {18446744073709551616} read as 0).
      {"A1 LOGIN fred {18446744073709551616}", true, UINT64_MAX, false, false, true},
      {"A1 LOGIN fred {123456789012345678901+}", true, UINT64_MAX, true, false, true},
      {"A1 LOGIN fred {00000000000000000000000000005}", true, 5, false, false},
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
    EXPECT_EQ(m->too_large, c.too_large);
  }
}

}  // namespace
}  // namespace mail::imap
