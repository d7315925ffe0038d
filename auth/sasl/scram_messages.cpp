// SCRAM message syntax (RFC 5802 section 7). Attributes are "x=value" separated by ',';
// a value never contains ',' (saslnames escape it as "=2C").
#include "auth/sasl/scram_messages.h"

#include <vector>

#include "common/base64.h"

namespace mail::auth::sasl {
namespace {

ScramParseError bad(std::string what) {
  return ScramParseError{std::move(what), false};
}

std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

// "x=value" with the given attribute letter; the value, or nullopt.
std::optional<std::string_view> attribute(std::string_view field, char name) {
  if (field.size() < 2 || field[0] != name || field[1] != '=') return std::nullopt;
  return field.substr(2);
}

// printable = %x21-2B / %x2D-7E (no ','), at least one octet.
bool valid_nonce(std::string_view nonce) {
  if (nonce.empty()) return false;
  for (char c : nonce) {
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  }
  return true;
}

// attr-val = ALPHA "=" value, value = 1*value-char (no NUL, no ','), for extensions.
bool valid_extension(std::string_view field) {
  if (field.size() < 3 || field[1] != '=') return false;
  const char a = field[0];
  if (!((a >= 'a' && a <= 'z') || (a >= 'A' && a <= 'Z'))) return false;
  return field.find('\0') == std::string_view::npos;
}

// cb-name = 1*(ALPHA / DIGIT / "." / "-")
bool valid_cb_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> decode_saslname(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '\0' || c == ',') return std::nullopt;
    if (c != '=') {
      out.push_back(c);
      continue;
    }
    std::string_view esc = name.substr(i + 1, 2);
    if (esc == "2C")
      out.push_back(',');
    else if (esc == "3D")
      out.push_back('=');
    else
      return std::nullopt;
    i += 2;
  }
  return out;
}

std::variant<ClientFirst, ScramParseError> parse_client_first(std::string_view message) {
  // gs2-header = gs2-cbind-flag "," [ authzid ] ","
  const size_t c1 = message.find(',');
  if (c1 == std::string_view::npos) return bad("no gs2 header");
  const size_t c2 = message.find(',', c1 + 1);
  if (c2 == std::string_view::npos) return bad("no gs2 header");
  ClientFirst out;
  const std::string_view flag = message.substr(0, c1);
  if (flag == "n") {
    out.flag = ChannelBindingFlag::NotSupported;
  } else if (flag == "y") {
    out.flag = ChannelBindingFlag::NotAdvertised;
  } else if (auto name = attribute(flag, 'p'); name && valid_cb_name(*name)) {
    out.flag = ChannelBindingFlag::Used;
    out.cb_name = std::string(*name);
  } else {
    return bad("bad gs2-cbind-flag");
  }
  const std::string_view authz = message.substr(c1 + 1, c2 - c1 - 1);
  if (!authz.empty()) {
    auto value = attribute(authz, 'a');
    auto decoded = value ? decode_saslname(*value) : std::nullopt;
    if (!decoded || decoded->empty()) return bad("bad authzid");
    out.authzid = std::move(*decoded);
  }
  out.gs2_header = std::string(message.substr(0, c2 + 1));
  out.bare = std::string(message.substr(c2 + 1));

  // client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
  const auto fields = split_commas(out.bare);
  if (!fields.empty() && attribute(fields[0], 'm'))
    return ScramParseError{"mandatory extension", true};
  if (fields.size() < 2) return bad("missing username or nonce");
  auto user = attribute(fields[0], 'n');
  auto decoded_user = user ? decode_saslname(*user) : std::nullopt;
  if (!decoded_user || decoded_user->empty()) return bad("bad username");
  out.username = std::move(*decoded_user);
  auto nonce = attribute(fields[1], 'r');
  if (!nonce || !valid_nonce(*nonce)) return bad("bad nonce");
  out.nonce = std::string(*nonce);
  for (size_t i = 2; i < fields.size(); ++i) {
    if (!valid_extension(fields[i])) return bad("bad extension");
  }
  return out;
}

std::variant<ClientFinal, ScramParseError> parse_client_final(std::string_view message) {
  // channel-binding "," nonce ["," extensions] "," proof
  const auto fields = split_commas(message);
  if (fields.size() < 3) return bad("too few attributes");
  ClientFinal out;
  auto cb = attribute(fields[0], 'c');
  auto cb_bytes = cb ? base64_decode(*cb) : std::nullopt;
  if (!cb_bytes) return bad("bad channel binding attribute");
  out.channel_binding = std::move(*cb_bytes);
  auto nonce = attribute(fields[1], 'r');
  if (!nonce || !valid_nonce(*nonce)) return bad("bad nonce");
  out.nonce = std::string(*nonce);
  for (size_t i = 2; i + 1 < fields.size(); ++i) {
    if (attribute(fields[i], 'm')) return ScramParseError{"mandatory extension", true};
    if (!valid_extension(fields[i])) return bad("bad extension");
  }
  auto proof = attribute(fields.back(), 'p');
  auto proof_bytes = proof ? base64_decode(*proof) : std::nullopt;
  if (!proof_bytes || proof_bytes->empty()) return bad("bad proof");
  out.proof = std::move(*proof_bytes);
  // Everything before ",p=": the proof is always the last attribute.
  out.without_proof = std::string(message.substr(0, message.size() - fields.back().size() - 1));
  return out;
}

std::string format_server_first(std::string_view nonce, std::string_view salt,
                                uint32_t iterations) {
  return "r=" + std::string(nonce) + ",s=" + base64_encode(salt) +
         ",i=" + std::to_string(iterations);
}

}  // namespace mail::auth::sasl
