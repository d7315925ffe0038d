// ed25519-sha256 DKIM signatures (RFC 8463) made with OpenSSL, relaxed/relaxed.
//
// Why not libopendkim, which signs rsa-sha256 here: Debian 12's libopendkim
// (2.11.0~beta2) never frees the key it loads for an ed25519 signature (dkim_free releases
// the key data of RSA signatures only), about 740 bytes per signed message, found by
// LeakSanitizer in CI. The header fields signed are the same (kSignedHeaderFields, From
// oversigned), so both signatures of a message cover the same fields. Verification stays
// with libopendkim, and the tests verify these signatures with it, dkimpy and
// opendkim-testmsg.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "mailauth/dkim_keys.h"
#include "mailauth/header_block.h"

namespace mail::mailauth {

// The "DKIM-Signature: ..." field for `message` (whose header is `header`), ending in CRLF,
// signed by `key` (an Ed25519 key) for d=`domain` at time `now` (t=, seconds since the epoch).
// `signed_fields` and `oversigned` are null-terminated lists of field names. Invalid when
// the key does not load.
Result<std::string> sign_ed25519(std::string_view message, const HeaderBlock& header,
                                 const DkimKey& key, std::string_view domain, int64_t now,
                                 const char* const* signed_fields, const char* const* oversigned);

}  // namespace mail::mailauth
