// DKIM signing keys on disk, under the data directory (Config::dkim_dir()):
//
//   dkim/<domain>/<selector>.pem   the private key, PKCS#8 PEM, mode 0600, owned by the
//                                  data directory's owner (the service user)
//   dkim/<domain>/active           the selectors that sign, one per line (at most one per
//                                  algorithm); the other keys of the domain are published
//                                  only (a new key before rotation, an old one after)
//
// `mailctl dkim generate DOMAIN [--selector S] [--algorithm rsa|ed25519]` makes a key (RSA
// 2048 or Ed25519); the first key of an algorithm signs at once, a later one waits for
// `mailctl dkim activate` (rotation: publish the new selector's record, activate it, retire
// the old one when no message signed with it is in transit any more). Writes are atomic
// (temporary file, fsync, rename), so a daemon reading the directory sees either state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mail::mailauth {

enum class KeyAlgorithm { Rsa, Ed25519 };

std::string_view key_type_name(KeyAlgorithm a);        // "rsa", "ed25519" (k= of the record)
std::string_view signature_algorithm(KeyAlgorithm a);  // "rsa-sha256", "ed25519-sha256"

inline constexpr int kRsaKeyBits = 2048;

struct DkimKey {
  std::string domain;
  std::string selector;
  KeyAlgorithm algorithm = KeyAlgorithm::Rsa;
  bool active = false;  // signs outgoing mail
  int bits = 0;
  int64_t created = 0;  // seconds since the epoch (the key file's modification time)
  std::string private_pem;
  // The p= value: base64 of the SubjectPublicKeyInfo (RSA, RFC 6376 3.6.1) or of the raw
  // 32-octet public key (Ed25519, RFC 8463 4.2).
  std::string public_key;

  std::string dns_name() const { return selector + "._domainkey." + domain; }
  std::string dns_record() const;  // "v=DKIM1; k=rsa; p=..."
};

// Names we store: a domain of lower-case LDH labels, a selector of LDH labels (dots allowed,
// RFC 6376 3.1). Pure.
bool valid_key_domain(std::string_view domain);
bool valid_selector(std::string_view selector);
// "rsa-YYYYMMDD" or "ed25519-YYYYMMDD" for the day `now` (UTC).
std::string default_selector(KeyAlgorithm algorithm, int64_t now);

// The public key (p=) and size of a PEM private key, or Invalid.
Result<DkimKey> describe_key(std::string_view private_pem);

class DkimKeyStore {
 public:
  explicit DkimKeyStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // Exists if the selector is taken; the first key of its algorithm becomes active.
  Result<DkimKey> generate(std::string_view domain, std::string_view selector,
                           KeyAlgorithm algorithm);
  // Every key of every domain (sorted by domain, then selector), or of one domain.
  Result<std::vector<DkimKey>> list() const;
  Result<std::vector<DkimKey>> keys_of(std::string_view domain) const;
  // The key signs from now on, instead of the active key of the same algorithm.
  Result<void> activate(std::string_view domain, std::string_view selector);
  // Removes a key that does not sign (Invalid for an active key: activate another first).
  Result<void> retire(std::string_view domain, std::string_view selector);

  const std::filesystem::path& dir() const { return dir_; }

 private:
  Result<std::vector<std::string>> active_selectors(std::string_view domain) const;
  Result<void> write_active(std::string_view domain, const std::vector<std::string>& selectors);

  std::filesystem::path dir_;
};

}  // namespace mail::mailauth
