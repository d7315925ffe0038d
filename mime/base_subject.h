// RFC 5256 section 2.1 base subject, for SORT SUBJECT and THREAD ORDEREDSUBJECT /
// REFERENCES. Input: a raw Subject field value (encoded words, folding, any bytes).
#pragma once

#include <string>
#include <string_view>

namespace mail::mime {

struct BaseSubject {
  // Canonical form (RFC 5051 i;unicode-casemap: titlecased and NFKD-decomposed UTF-8),
  // so that two base subjects compare equal exactly when the RFC says they do.
  std::string text;
  // Whether a "Re:", "Fwd:", "(fwd)" or "[fwd: ...]" was removed (RFC 5256 section 2.1,
  // used by THREAD REFERENCES).
  bool reply_or_forward = false;
};

BaseSubject base_subject(std::string_view raw_subject);

}  // namespace mail::mime
