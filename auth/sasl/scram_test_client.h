// A SCRAM-SHA-256 client for tests, written from RFC 5802 section 3's formulas (it
// recomputes ClientKey from the password itself rather than reusing the server's
// stored-key code path). Not for production use.
#pragma once

#include <openssl/evp.h>

#include <string>
#include <string_view>

#include "auth/sasl/scram_keys.h"
#include "common/base64.h"

namespace mail::auth::sasl {

struct ScramTestClient {
  std::string gs2_header = "n,,";
  std::string cbind_data;  // appended to gs2_header in c= when binding ("p=...")
  std::string bare = "n=user,r=clientnonce";
  std::string password;
  std::string expected_server_signature;  // set by final()

  std::string first() const { return gs2_header + bare; }

  // client-final for this server-first (which it trusts to be well formed).
  std::string final(std::string_view server_first) {
    const auto r = server_first.substr(2, server_first.find(',') - 2);
    const auto s_at = server_first.find(",s=") + 3;
    const auto i_at = server_first.find(",i=");
    const std::string salt = base64_decode(server_first.substr(s_at, i_at - s_at)).value_or("");
    const int i = std::stoi(std::string(server_first.substr(i_at + 3)));
    const std::string without_proof =
        "c=" + base64_encode(gs2_header + cbind_data) + ",r=" + std::string(r);
    const std::string auth_message = bare + "," + std::string(server_first) + "," + without_proof;
    std::string salted(32, '\0');
    const std::string prepared = saslprep_password(password);
    PKCS5_PBKDF2_HMAC(prepared.data(), static_cast<int>(prepared.size()),
                      reinterpret_cast<const unsigned char*>(salt.data()),
                      static_cast<int>(salt.size()), i, EVP_sha256(), 32,
                      reinterpret_cast<unsigned char*>(salted.data()));
    std::string client_key = hmac_sha256(salted, "Client Key");
    const std::string stored_key = sha256(client_key);
    const std::string signature = hmac_sha256(stored_key, auth_message);
    for (size_t k = 0; k < client_key.size(); ++k) client_key[k] ^= signature[k];
    expected_server_signature =
        "v=" + base64_encode(hmac_sha256(hmac_sha256(salted, "Server Key"), auth_message));
    return without_proof + ",p=" + base64_encode(client_key);
  }
};

}  // namespace mail::auth::sasl
