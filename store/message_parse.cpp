// Header section measurement (RFC 5322 §2.1). Input: any bytes; CRLF line ends are
// expected, bare LF is tolerated so that a damaged message still gets a sane offset.
#include "store/message_parse.h"

#include <algorithm>
#include <limits>

namespace mail::store {

uint32_t header_size(std::string_view message) {
  size_t pos = 0;
  size_t end = message.size();
  while (pos < message.size()) {
    // `pos` is the start of a line: an empty line ends the header section.
    if (message[pos] == '\n') {
      end = pos + 1;
      break;
    }
    if (message.compare(pos, 2, "\r\n") == 0) {
      end = pos + 2;
      break;
    }
    size_t nl = message.find('\n', pos);
    if (nl == std::string_view::npos) break;  // last line has no terminator: all header
    pos = nl + 1;
  }
  return static_cast<uint32_t>(std::min<size_t>(end, std::numeric_limits<uint32_t>::max()));
}

}  // namespace mail::store
