// The SCRAM client messages (RFC 5802 section 7) parsed into values, and the server
// messages formatted. Pure: no crypto, no state. Input is untrusted client bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace mail::auth::sasl {

// gs2-cbind-flag (RFC 5802 section 7).
enum class ChannelBindingFlag {
  NotSupported,   // "n": the client does not support channel binding
  NotAdvertised,  // "y": the client supports it but thinks the server does not
  Used,           // "p=<cb-name>"
};

struct ClientFirst {
  ChannelBindingFlag flag = ChannelBindingFlag::NotSupported;
  std::string cb_name;     // with Used: "tls-exporter", ...
  std::string authzid;     // "a=" decoded; empty when absent
  std::string username;    // "n=" decoded (=2C and =3D unescaped)
  std::string nonce;       // "r=" client nonce
  std::string gs2_header;  // "n,," etc.: the bytes the client repeats in "c="
  std::string bare;        // client-first-message-bare, part of AuthMessage
};

struct ClientFinal {
  std::string channel_binding;  // "c=" decoded: gs2 header plus cbind data
  std::string nonce;            // "r="
  std::string proof;            // "p=" decoded, 32 octets for SHA-256
  std::string without_proof;    // client-final-message-without-proof, part of AuthMessage
};

// Why a message did not parse, and whether it used a reserved mandatory extension ("m=").
struct ScramParseError {
  std::string what;
  bool mandatory_extension = false;
};

std::variant<ClientFirst, ScramParseError> parse_client_first(std::string_view message);
std::variant<ClientFinal, ScramParseError> parse_client_final(std::string_view message);

// saslname decoding (RFC 5802 section 5.1): "=2C" is ',' and "=3D" is '='; any other '='
// and NUL are malformed.
std::optional<std::string> decode_saslname(std::string_view name);

// server-first-message: "r=<nonce>,s=<base64 salt>,i=<iterations>".
std::string format_server_first(std::string_view nonce, std::string_view salt, uint32_t iterations);

}  // namespace mail::auth::sasl
