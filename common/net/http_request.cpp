#include "common/net/http_request.h"

namespace mail::net {
namespace {

// RFC 9110 5.6.2: token characters.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool is_target_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f;
}

}  // namespace

HttpParseResult parse_http_request_head(std::string_view received, size_t max_size) {
  HttpParseResult result;
  // The end of the head: an empty line.
  size_t end = received.find("\r\n\r\n");
  size_t lf_end = received.find("\n\n");
  if (lf_end != std::string_view::npos && (end == std::string_view::npos || lf_end < end))
    end = lf_end;
  if (end == std::string_view::npos) {
    if (received.size() >= max_size) result.status = HttpParseStatus::TooLarge;
    return result;
  }
  if (end > max_size) {
    result.status = HttpParseStatus::TooLarge;
    return result;
  }
  // RFC 9112 3: request-line = method SP request-target SP HTTP-version
  std::string_view line = received.substr(0, received.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  result.status = HttpParseStatus::Bad;
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return result;
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return result;
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  for (char c : method)
    if (!is_tchar(c)) return result;
  for (char c : target)
    if (!is_target_char(c)) return result;
  if (version.size() != 8 || version.substr(0, 7) != "HTTP/1." || version[7] < '0' ||
      version[7] > '9')
    return result;
  result.status = HttpParseStatus::Complete;
  result.head.method = std::string(method);
  result.head.target = std::string(target);
  return result;
}

std::string_view http_target_path(std::string_view target) {
  return target.substr(0, target.find('?'));
}

}  // namespace mail::net
