// What the store computes from a message at delivery so that readers never re-parse:
// for now the size of the header section (RFC 5322 §2.1: header fields, then an empty
// line, then the body). Input is an untrusted message as delivered; nothing here fails.
#pragma once

#include <cstdint>
#include <string_view>

namespace mail::store {

// Octets of the header section including the empty line that ends it. A message without
// an empty line is all header (the result is its size); a message starting with an empty
// line has a 2-octet (CRLF) or 1-octet (bare LF) header section. Saturates at UINT32_MAX.
uint32_t header_size(std::string_view message);

}  // namespace mail::store
