// Byte-stuffing and TOP slicing for multi-line responses; see multiline.h.
#include "pop3d/protocol/multiline.h"

namespace mail::pop3 {

void DotStuffer::append(std::string_view piece, std::string& out) {
  out.reserve(out.size() + piece.size() + piece.size() / 64);
  size_t start = 0;
  while (start < piece.size()) {
    if (at_line_start_ && piece[start] == '.') out.push_back('.');
    const size_t lf = piece.find('\n', start);
    if (lf == std::string_view::npos) {
      out.append(piece.substr(start));
      at_line_start_ = false;
      return;
    }
    out.append(piece.substr(start, lf + 1 - start));
    at_line_start_ = true;
    start = lf + 1;
  }
}

void DotStuffer::finish(std::string& out) {
  if (!at_line_start_) out.append("\r\n");
  out.append(".\r\n");
  at_line_start_ = true;
}

size_t top_length(std::string_view message, uint32_t lines) {
  // Find the end of the header section: the first empty line.
  size_t pos = 0;
  for (;;) {
    const size_t lf = message.find('\n', pos);
    if (lf == std::string_view::npos) return message.size();
    const std::string_view line = message.substr(pos, lf - pos);
    pos = lf + 1;
    if (line.empty() || line == "\r") break;
  }
  for (uint32_t i = 0; i < lines && pos < message.size(); ++i) {
    const size_t lf = message.find('\n', pos);
    if (lf == std::string_view::npos) return message.size();
    pos = lf + 1;
  }
  return pos;
}

}  // namespace mail::pop3
