// DKIM verification (RFC 6376) of every signature of a message with OpenDKIM's library,
// rsa-sha256 and ed25519-sha256 (RFC 8463; libopendkim 2.11 has it, DKIM_FEATURE_ED25519).
//
// The key records are fetched before the library runs, all at once and concurrently with
// the DMARC record (see inbound.h): key_names() reads d= and s= of each DKIM-Signature
// field (our own tag-list parser), and verify() hands libopendkim the answers through its
// key lookup callback (dkim_set_key_lookup); a key the callback was not given (should our
// parser and libopendkim disagree) is looked up with the resolver's blocking form, on the
// worker thread that runs verify().
//
// Results per signature (RFC 8601 2.7.1): pass; fail (signature or body hash mismatch,
// expired x=, t= in the future); policy (valid but refused: RSA key under
// mailauth.dkim_min_key_bits, rsa-sha1 (RFC 8301)); neutral (valid, but its l= covers less
// than the whole body: text appended after the signed part is not authenticated, so the
// signature counts for nothing, DMARC included); temperror (the key lookup failed
// temporarily); permerror (no key, revoked key, malformed signature or key).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/dns/resolver.h"
#include "mailauth/header_block.h"
#include "mailauth/results.h"

struct dkim_lib;  // libopendkim's DKIM_LIB

namespace mail::mailauth {

// What the DNS said for one key record name ("sel._domainkey.example.org").
struct KeyAnswer {
  dns::Status status = dns::Status::Error;
  bool temporary = true;
  std::vector<std::string> records;
};
using KeyAnswers = std::map<std::string, KeyAnswer>;

// The key record names of the first `max` DKIM-Signature fields that name d= and s=, in
// order, without duplicates. Pure.
std::vector<std::string> key_names(const HeaderBlock& header, size_t max);

class DkimVerifier {
 public:
  DkimVerifier(size_t max_signatures, unsigned min_key_bits);
  ~DkimVerifier();
  DkimVerifier(const DkimVerifier&) = delete;
  DkimVerifier& operator=(const DkimVerifier&) = delete;

  // Blocking (CPU, and a DNS wait only for keys missing from `keys`): call on a worker
  // thread. One outcome per signature considered (at most max_signatures); none when the
  // message is unsigned.
  std::vector<DkimOutcome> verify(std::string_view message, const HeaderBlock& header,
                                  const KeyAnswers& keys, dns::Resolver* resolver,
                                  std::chrono::steady_clock::time_point deadline) const;

  bool supports_ed25519() const;

 private:
  dkim_lib* lib_;
  size_t max_signatures_;
};

}  // namespace mail::mailauth
