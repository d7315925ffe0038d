// URLAUTH INTERNAL tokens; see access_token.h. OpenSSL's HMAC and RAND_bytes rather than
// our own: the project standard is OpenSSL 3 for cryptography.
#include "imapd/urlauth/access_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace mail::imapd::urlauth {

std::string make_access_key() {
  std::string key(kAccessKeyOctets, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1)
    throw std::runtime_error("RAND_bytes failed");  // no entropy: a broken host, not input
  return key;
}

std::string internal_token(std::string_view key, std::string_view rump) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(rump.data()), rump.size(), mac, &mac_len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(mac_len * 2);
  for (unsigned int i = 0; i < mac_len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

bool token_matches(std::string_view key, std::string_view rump, std::string_view token) {
  const std::string expected = internal_token(key, rump);
  if (token.size() != expected.size()) return false;
  std::string lower(token);
  for (char& c : lower)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return CRYPTO_memcmp(lower.data(), expected.data(), expected.size()) == 0;
}

}  // namespace mail::imapd::urlauth
