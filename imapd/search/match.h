// Evaluates a search program (query.h) against messages as the store's MailboxView visits
// them: flags, sizes, dates, UIDs and MODSEQs from the message record; header fields from
// the message's header octets; BODY and TEXT and the sent date from the MIME summary,
// decoded only when a key needs it, and only once per message. Header and text keys match
// case-insensitively on decoded text (RFC 2047 words, transfer encodings, charsets: see
// mime/search.h). Cheap keys are tried before expensive ones.
// Input: trusted store data; the program came from the client but was checked by the parser.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "imapd/search/query.h"
#include "imapd/search/saved_result.h"
#include "mime/search.h"
#include "mime/summary.h"
#include "store/mail_store.h"

namespace mail::imapd::search {

// What the session knows that the store does not.
struct SessionFacts {
  uint32_t exists = 0;                 // messages the client knows about: "*" of a sequence set
  uint32_t max_uid = 0;                // the highest UID among them: "*" of a UID set
  const SavedResult* saved = nullptr;  // "$"; null: empty
  std::function<bool(uint32_t uid)> recent = {};  // \Recent; empty: never
};

class Matcher {
 public:
  Matcher(const Program& program, SessionFacts facts);
  ~Matcher();
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;

  // Whether the message with sequence number `seq` (0 when the program needs none)
  // matches. `m.body` and `m.summary` must hold what program.needs asked for.
  bool matches(const store::MessageView& m, uint32_t seq);

  // The store parts to ask for (kPartBody, kPartSummary).
  unsigned parts() const { return parts_; }

  struct Node;

 private:
  struct Message;
  bool eval(const Node& n, Message& m) const;

  std::unique_ptr<Node> root_;
  SessionFacts facts_;
  unsigned parts_ = 0;
};

// The UIDs a program can match at most, from its top-level UID, sequence-set and "$"
// keys (others do not narrow it): ascending, disjoint UID ranges within [1, facts.max_uid].
// `uid_of_seq` maps a sequence number the client knows to its UID.
std::vector<store::UidRange> candidate_ranges(const Program& program, const SessionFacts& facts,
                                              const std::function<uint32_t(uint32_t)>& uid_of_seq);

}  // namespace mail::imapd::search
