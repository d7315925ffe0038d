// The queue's narrow interface: smtpd enqueues, queued claims and completes, mailctl
// inspects. LMDB (queue/lmdb_spool.cpp) is the embedded backend.
//
// enqueue() is durable when it returns: the record and the content are committed and
// fsync'd, and only then may smtpd answer 250. A batch of messages shares one commit
// (group commit, see group_commit.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mail::queue {

constexpr uint32_t kSchemaVersion = 1;

// RFC 3461 NOTIFY, as bits; 0 means the client gave none (then FAILURE and DELAY apply).
enum DsnNotify : uint8_t {
  kNotifyNever = 1u << 0,
  kNotifySuccess = 1u << 1,
  kNotifyFailure = 1u << 2,
  kNotifyDelay = 1u << 3,
};

struct Recipient {
  enum class State : uint8_t { Pending, Delivered, Failed };
  std::string address;  // the RCPT TO address
  State state = State::Pending;
  uint32_t attempts = 0;
  std::string last_reply;  // the last delivery result, for logs, mailctl and bounces
  uint8_t dsn_notify = 0;  // DsnNotify bits from RCPT ... NOTIFY=
  std::string orcpt;       // RFC 3461 ORCPT, xtext-decoded: "rfc822;user@example.org"
};

enum class DsnRet : uint8_t { Unspecified, Full, Headers };            // RFC 3461 MAIL ... RET=
enum class BodyType : uint8_t { SevenBit, EightBitMime, BinaryMime };  // MAIL ... BODY=

struct Envelope {
  std::string id;      // assigned by enqueue()
  std::string sender;  // MAIL FROM reverse-path; empty for the null sender <>
  std::vector<Recipient> recipients;
  int64_t arrival = 0;       // seconds since the epoch
  int64_t next_attempt = 0;  // seconds since the epoch; due when <= now
  std::string session_id;    // smtpd session that accepted it, for following it in logs
  std::string client;        // authenticated user, or empty
  DsnRet dsn_ret = DsnRet::Unspecified;
  std::string dsn_envid;  // RFC 3461 ENVID, xtext-decoded
  BodyType body = BodyType::SevenBit;
  bool smtputf8 = false;  // RFC 6531: MAIL ... SMTPUTF8 was given

  bool pending() const;  // any recipient still Pending
};

struct NewMessage {
  Envelope envelope;  // an empty id is assigned by enqueue() (new_queue_id())
  std::string content;
};

struct SpoolOptions {
  size_t map_size = size_t{8} << 30;  // largest LMDB map (server.queue_max_size); grows to it
};

class Spool {
 public:
  virtual ~Spool() = default;

  // Stores every message in one durable commit; returns their ids in order. A given id
  // that already exists fails the batch (Exists), never replaces a message.
  virtual Result<std::vector<std::string>> enqueue(std::span<NewMessage> batch) = 0;
  // Envelopes with a pending recipient and next_attempt <= now, oldest first.
  virtual Result<std::vector<Envelope>> due(int64_t now, size_t limit) = 0;
  virtual Result<std::vector<Envelope>> list() = 0;
  virtual Result<Envelope> envelope(std::string_view id) = 0;
  virtual Result<std::string> content(std::string_view id) = 0;
  // Replaces the stored envelope (recipient states, attempts, next_attempt).
  virtual Result<void> update(const Envelope& envelope) = 0;
  virtual Result<void> remove(std::string_view id) = 0;
};

Result<std::unique_ptr<Spool>> open_lmdb_spool(const std::filesystem::path& dir,
                                               const SpoolOptions& options = {});

// A new queue id: unique, sortable by time, safe in logs (upper-case hex).
std::string new_queue_id();

}  // namespace mail::queue
