// DKIM signing (RFC 6376 5) with OpenDKIM's library (rsa-sha256; ed25519-sha256 is made
// with OpenSSL, see dkim_ed25519.h), for mail of authenticated senders
// (smtpd) and for our own bounces (queued's DSN generator): every active key of the
// signing domain signs (rsa-sha256 and ed25519-sha256 when both are configured, RFC 8463
// 3), relaxed/relaxed, over the header fields RFC 6376 5.4.1 recommends that the message
// has, with From signed once more than it occurs ("oversigning": no From can be added
// later without breaking the signature).
//
// The signing domain is the From domain or, when it has no key, its nearest parent that
// has one (relaxed DMARC alignment holds within an Organizational Domain). Keys come from
// DkimKeyStore's directory and are re-read when it changes (rotation without a restart):
// at most once per second a stat() of the directories says whether anything moved.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "mailauth/dkim_keys.h"

struct dkim_lib;  // libopendkim's DKIM_LIB

namespace mail::mailauth {

// The header fields signed when present (RFC 6376 5.4.1, and the MIME and list fields).
extern const char* const kSignedHeaderFields[];

class DkimSigner {
 public:
  explicit DkimSigner(std::filesystem::path key_dir);
  ~DkimSigner();
  DkimSigner(const DkimSigner&) = delete;
  DkimSigner& operator=(const DkimSigner&) = delete;

  // The DKIM-Signature fields for `message` (each ending in CRLF), to be put on top of it;
  // "" when no key covers its From domain (or it has none). Blocking CPU work (an RSA 2048
  // signature is about a millisecond): call on a worker thread. Thread-safe.
  Result<std::string> sign(std::string_view message);

  // The domain that would sign mail from `from_domain`, or "" (for logs and tests).
  std::string signing_domain(std::string_view from_domain);

 private:
  using Keyring = std::map<std::string, std::vector<DkimKey>>;  // domain -> active keys
  std::shared_ptr<const Keyring> keyring();
  static const std::vector<DkimKey>* keys_for(const Keyring& ring, std::string_view from_domain,
                                              std::string* domain);

  DkimKeyStore store_;
  dkim_lib* lib_;
  std::mutex mutex_;
  std::shared_ptr<const Keyring> ring_;
  std::string stamp_;  // what the directories looked like when ring_ was read
  std::chrono::steady_clock::time_point checked_{};
};

}  // namespace mail::mailauth
