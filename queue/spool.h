// The queue's narrow interface: smtpd enqueues, queued claims messages, delivers them and
// completes each recipient, mailctl inspects and administers. queue::open_spool() picks the
// backend from the config; LMDB (queue/lmdb/) is the embedded one.
//
// enqueue() is durable when it returns: the record and the content are committed and
// fsync'd, and only then may smtpd answer 250. A batch of messages shares one commit
// (group commit, see group_commit.h).
//
// Delivery workers share one queue through claims with a lease: claim() hands a message
// with its due recipients to one worker until the lease ends; complete() records what
// happened to each recipient (delivered, deferred to its own next attempt, failed) and
// ends the claim. A worker that dies simply lets its lease run out, after which another
// claim() takes the message again (Claim::reclaimed). A long delivery renews its lease.
//
// Trusts its callers (smtpd, queued, mailctl in the same trust domain); backends check
// the stored bytes they read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mail {
struct Config;
}

namespace mail::queue {

// RFC 3461 NOTIFY, as bits; 0 means the client gave none (then FAILURE and DELAY apply).
enum DsnNotify : uint8_t {
  kNotifyNever = 1u << 0,
  kNotifySuccess = 1u << 1,
  kNotifyFailure = 1u << 2,
  kNotifyDelay = 1u << 3,
};

// Why a recipient failed or was deferred, for logs, reports and bounces.
enum class BounceClass : uint8_t {
  None,     // no failure recorded
  Hard,     // the address does not exist or cannot take mail (5.1.x, 5.2.1, 5.4.x)
  Soft,     // temporary trouble: busy, mailbox full, greylisting (4.x.x)
  Policy,   // refused by the receiver's policy (5.7.x other than spam)
  Spam,     // refused as spam or for reputation
  Tls,      // TLS was required and could not be had
  Expired,  // still pending when the queue lifetime ran out (the DSN says 4.4.7)
};

// "none", "hard", ... "expired": the one spelling in logs, `mailctl queue`, reports and
// the relay's records, so that they can be matched against each other.
const char* bounce_class_name(BounceClass c);

struct Recipient {
  enum class State : uint8_t { Pending, Delivered, Failed };
  std::string address;  // the RCPT TO address
  State state = State::Pending;
  uint32_t attempts = 0;
  std::string last_reply;  // the last delivery result, for logs, mailctl and bounces
  uint8_t dsn_notify = 0;  // DsnNotify bits from RCPT ... NOTIFY=
  std::string orcpt;       // RFC 3461 ORCPT, xtext-decoded: "rfc822;user@example.org"
  // When this recipient is next due (Pending only). 0 at enqueue: Envelope::next_attempt.
  int64_t next_attempt = 0;
  int64_t first_failure = 0;       // time of the first failed or deferred attempt; 0 none
  bool delay_notice_sent = false;  // RFC 3464 "delayed" DSN already sent
  BounceClass bounce_class = BounceClass::None;  // class of the last failure
};

enum class DsnRet : uint8_t { Unspecified, Full, Headers };            // RFC 3461 MAIL ... RET=
enum class BodyType : uint8_t { SevenBit, EightBitMime, BinaryMime };  // MAIL ... BODY=

struct Envelope {
  std::string id;      // assigned by enqueue()
  std::string sender;  // MAIL FROM reverse-path; empty for the null sender <>
  std::vector<Recipient> recipients;
  int64_t arrival = 0;  // seconds since the epoch
  // Given to enqueue(): when the first attempt is due. Read back: the earliest
  // next_attempt of the pending recipients (0 when none is pending).
  int64_t next_attempt = 0;
  std::string session_id;  // smtpd session that accepted it, for following it in logs
  std::string client;      // authenticated user, or empty
  DsnRet dsn_ret = DsnRet::Unspecified;
  std::string dsn_envid;  // RFC 3461 ENVID, xtext-decoded
  BodyType body = BodyType::SevenBit;
  bool smtputf8 = false;  // RFC 6531: MAIL ... SMTPUTF8 was given
  bool held = false;      // `mailctl queue hold`: never claimed until released
  uint64_t size = 0;      // octets of the content; set by enqueue()

  bool pending() const;  // any recipient still Pending
  // The earliest next_attempt of the pending recipients; 0 when none is pending.
  int64_t earliest_attempt() const;
};

struct NewMessage {
  Envelope envelope;  // an empty id is assigned by enqueue() (new_queue_id())
  std::string content;
};

// A message handed to one delivery worker until lease_until.
struct Claim {
  Envelope envelope;                 // as stored when claimed
  std::vector<uint32_t> recipients;  // indexes of the recipients that were due
  uint64_t token = 0;                // proves the claim to complete() and renew()
  int64_t lease_until = 0;           // seconds since the epoch
  bool reclaimed = false;            // an earlier claim's lease ran out (its worker died)
};

struct ClaimRef {
  std::string id;
  uint64_t token = 0;
};

// How an attempt reached the recipient's server, for `mailctl report`'s TLS share.
enum class Transport : uint8_t {
  None,   // no SMTP session carried it: local delivery, or no server answered
  Plain,  // an SMTP session without TLS
  Tls,    // an SMTP session over TLS (STARTTLS or implicit)
};

// What one attempt did for one recipient.
struct Outcome {
  enum class Kind : uint8_t { Delivered, Deferred, Failed };
  uint32_t recipient = 0;  // index into Envelope::recipients
  Kind kind = Kind::Delivered;
  std::string reply;  // recorded as last_reply ("250 2.0.0 ...", "451 4.3.0 ...")
  BounceClass bounce_class = BounceClass::None;  // for Deferred and Failed
  int64_t next_attempt = 0;                      // Deferred: when to try again
  bool delay_notice_sent = false;         // Deferred: a "delayed" DSN went out (Recipient's flag)
  Transport transport = Transport::None;  // for the delivery history
};

struct Completion {
  ClaimRef claim;
  std::vector<Outcome> outcomes;  // recipients without an outcome stay as they were
};

struct Completed {
  Envelope envelope;     // as stored after the completion (or as it was when removed)
  bool removed = false;  // no recipient is pending: the message left the queue
};

// One entry of the delivery history: what complete() recorded for one recipient attempt
// (`mailctl report`). The backend keeps these for HistoryLimits::retention, pruning as it
// records, in the same transaction as the completion (nothing extra to fsync, and never
// an outcome without its recipient's new state or the reverse).
struct HistoryRecord {
  int64_t time = 0;  // seconds since the epoch (complete()'s `now`)
  Outcome::Kind kind = Outcome::Kind::Delivered;
  BounceClass bounce_class = BounceClass::None;  // Deferred and Failed
  Transport transport = Transport::None;
  std::string domain;  // destination_domain() of the recipient
};

// The history's bounds (queue.report_retention_days, queue.report_max_records).
struct HistoryLimits {
  int64_t retention = 30 * 86400;    // seconds a record is kept
  uint64_t max_records = 5'000'000;  // the oldest go first beyond this
};

// The longest domain the history keeps (RFC 1035 2.3.4 allows 253 octets as text, and
// smtpd bounds addresses already; a longer one is cut).
constexpr size_t kMaxHistoryDomain = 255;

// The destination domain of a recipient address as the history keeps it: the part after
// the last '@', ASCII-lowercased, at most kMaxHistoryDomain octets; "" without an '@'.
std::string destination_domain(std::string_view address);

// What monitoring asks of a spool (queued's metrics).
struct SpoolStats {
  uint64_t messages = 0;       // envelopes in the queue (held ones included)
  int64_t oldest_arrival = 0;  // seconds since the epoch; 0 when the queue is empty
};

class Spool {
 public:
  virtual ~Spool() = default;
  // For monitoring. This default lists every envelope; a backend answers from its indexes.
  virtual Result<SpoolStats> stats() {
    auto all = list();
    if (!all) return all.error();
    SpoolStats s;
    s.messages = all->size();
    for (const Envelope& e : *all)
      if (s.oldest_arrival == 0 || e.arrival < s.oldest_arrival) s.oldest_arrival = e.arrival;
    return s;
  }

  // Stores every message in one durable commit; returns their ids in order. A given id
  // that already exists fails the batch (Exists), never replaces a message. Sets
  // Envelope::size, and each recipient's next_attempt to Envelope::next_attempt.
  virtual Result<std::vector<std::string>> enqueue(std::span<NewMessage> batch) = 0;

  // Claims up to `limit` messages that have a due recipient (Pending, next_attempt <=
  // now), are not held and not under a live claim, earliest due first, until now + lease
  // seconds, for the worker named `owner`. One transaction.
  virtual Result<std::vector<Claim>> claim(int64_t now, int64_t lease, size_t limit,
                                           std::string_view owner = {}) = 0;
  // Ends the leases of every claim `owner` holds, as if they had run out at `now`: a
  // restarted worker takes back at once what its previous run held when it died. Returns
  // how many. Several workers on one queue need distinct names (queued.worker_name).
  virtual Result<size_t> expire_claims(std::string_view owner, int64_t now) = 0;
  // Records the outcomes and ends the claims, in one transaction: attempts, last reply,
  // state, next attempt, first failure time and bounce class per recipient. Outcomes for
  // recipients no longer Pending are ignored. A message with no recipient pending leaves
  // the queue. Each outcome applied is also added to the delivery history (HistoryRecord,
  // read_history()), pruned to its limits as it goes. The outer error means nothing was recorded;
  // an inner one concerns its claim only: NotFound (the message was deleted meanwhile) or Denied
  // (the claim was lost: its lease ran out and another worker claimed the message).
  virtual Result<std::vector<Result<Completed>>> complete(std::span<const Completion> batch,
                                                          int64_t now) = 0;
  // Extends live claims until `until`; inner errors as for complete().
  virtual Result<std::vector<Result<void>>> renew(std::span<const ClaimRef> claims,
                                                  int64_t until) = 0;

  virtual Result<std::vector<Envelope>> list() = 0;
  virtual Result<Envelope> envelope(std::string_view id) = 0;
  virtual Result<std::string> content(std::string_view id) = 0;

  // Administration (mailctl). A held message is never claimed; release() makes it
  // claimable again at its recipients' own next attempts.
  virtual Result<void> hold(std::string_view id) = 0;
  virtual Result<void> release(std::string_view id) = 0;
  // Makes every pending recipient of the message due at `now`.
  virtual Result<void> retry(std::string_view id, int64_t now) = 0;
  // retry() for every message that is not held; returns how many were changed.
  virtual Result<size_t> flush(int64_t now) = 0;
  virtual Result<void> remove(std::string_view id) = 0;

  // The delivery history, oldest first: calls `visit` for each record with since <= time
  // < until until it returns false. Read in short read-only transactions (a few thousand
  // records each), so a long report never pins the writers' old pages. Returns how many
  // stored records could not be decoded (skipped). This default: a backend that keeps no
  // history says so.
  virtual Result<uint64_t> read_history(int64_t since, int64_t until,
                                        const std::function<bool(const HistoryRecord&)>& visit) {
    (void)since, (void)until, (void)visit;
    return make_error(ErrorKind::Invalid, "this queue backend keeps no delivery history");
  }
};

// Opens the spool of the configured backend (queue.backend) under config.queue_dir().
Result<std::unique_ptr<Spool>> open_spool(const Config& config);

// A new queue id: unique, sortable by time, safe in logs (upper-case hex).
std::string new_queue_id();

}  // namespace mail::queue
