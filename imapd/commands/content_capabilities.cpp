// The capabilities of message content and search (handlers.h): each is advertised because
// its commands are complete here, with tests (fetch_test, search_test and
// tests/integration/test_imap_fetch.py, test_imap_search.py).
#include "imapd/commands/handlers.h"

namespace mail::imapd::commands {

void write_content_capabilities(imap::ResponseWriter& w) {
  // RFC 3516 (BINARY), RFC 4731 (ESEARCH), RFC 5182 (SEARCHRES), RFC 5256 (SORT, THREAD),
  // RFC 5957 (SORT=DISPLAY), RFC 5267 (ESORT).
  for (const char* cap : {"BINARY", "ESEARCH", "SEARCHRES", "SORT", "SORT=DISPLAY", "ESORT",
                          "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES"})
    w.atom(cap);
}

}  // namespace mail::imapd::commands
