#include "common/dns/rdata.h"

#include <cstring>

namespace mail::dns {

const char* status_name(Status status) {
  switch (status) {
    case Status::Ok:
      return "ok";
    case Status::NoData:
      return "nodata";
    case Status::NxDomain:
      return "nxdomain";
    case Status::ServFail:
      return "servfail";
    case Status::Timeout:
      return "timeout";
    case Status::Error:
      return "error";
    case Status::BadName:
      return "badname";
  }
  return "?";
}

const char* security_name(Security security) {
  switch (security) {
    case Security::Insecure:
      return "insecure";
    case Security::Secure:
      return "secure";
    case Security::Bogus:
      return "bogus";
  }
  return "?";
}

bool is_temporary(Status status) {
  return status == Status::ServFail || status == Status::Timeout || status == Status::Error;
}

Status classify(const AnswerFlags& f) {
  if (f.timeout) return Status::Timeout;
  if (f.syntax_error) return Status::BadName;
  if (f.error != 0) return Status::Error;
  if (f.nxdomain || f.rcode == 3) return Status::NxDomain;
  if (f.rcode != 0) return Status::ServFail;
  return f.havedata ? Status::Ok : Status::NoData;
}

Security security_of(const AnswerFlags& f) {
  if (f.bogus) return Security::Bogus;
  return f.secure ? Security::Secure : Security::Insecure;
}

std::optional<std::string> parse_name(std::string_view wire) {
  std::string out;
  size_t pos = 0, total = 0;
  for (;;) {
    if (pos >= wire.size()) return std::nullopt;
    const auto len = static_cast<uint8_t>(wire[pos++]);
    total += len + 1;
    if (len == 0) break;
    // Compression pointers (top bits set) never appear in uncompressed names.
    if (len > 63 || wire.size() - pos < len || total > 255) return std::nullopt;
    if (!out.empty()) out += '.';
    for (char c : wire.substr(pos, len)) {
      auto u = static_cast<unsigned char>(c);
      if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' ||
          u == '_') {
        out += c;
      } else {
        char esc[5];
        std::snprintf(esc, sizeof esc, "\\%03u", u);
        out += esc;
      }
    }
    pos += len;
  }
  if (pos != wire.size()) return std::nullopt;
  return out;
}

std::optional<MxRecord> parse_mx(std::string_view rdata) {
  if (rdata.size() < 3) return std::nullopt;
  MxRecord mx;
  mx.preference =
      static_cast<uint16_t>((static_cast<uint8_t>(rdata[0]) << 8) | static_cast<uint8_t>(rdata[1]));
  auto host = parse_name(rdata.substr(2));
  if (!host) return std::nullopt;
  mx.host = std::move(*host);
  return mx;
}

std::optional<std::array<uint8_t, 4>> parse_a(std::string_view rdata) {
  if (rdata.size() != 4) return std::nullopt;
  std::array<uint8_t, 4> out;
  std::memcpy(out.data(), rdata.data(), 4);
  return out;
}

std::optional<std::array<uint8_t, 16>> parse_aaaa(std::string_view rdata) {
  if (rdata.size() != 16) return std::nullopt;
  std::array<uint8_t, 16> out;
  std::memcpy(out.data(), rdata.data(), 16);
  return out;
}

std::optional<std::string> parse_txt(std::string_view rdata) {
  if (rdata.empty()) return std::nullopt;  // a TXT record holds at least one string
  std::string out;
  size_t pos = 0;
  while (pos < rdata.size()) {
    const auto len = static_cast<uint8_t>(rdata[pos++]);
    if (rdata.size() - pos < len) return std::nullopt;
    out.append(rdata.substr(pos, len));
    pos += len;
  }
  return out;
}

}  // namespace mail::dns
