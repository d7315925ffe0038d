// The maildrop a POP3 session works on (RFC 1939 4-6): a snapshot of INBOX taken at login,
// numbering its messages 1..n in UID order, with the session's deletion marks. Messages
// that arrive later are not seen until the next login; deletions reach the store only in
// the UPDATE state, through deleted_uids(). Pure: no I/O; trusts the store's listing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/mail_store.h"

namespace mail::pop3d {

class Maildrop {
 public:
  struct Entry {
    uint32_t uid = 0;
    uint64_t size = 0;  // octets as stored (CRLF line ends), what RETR sends before stuffing
    bool deleted = false;
  };

  Maildrop() = default;
  Maildrop(uint64_t mailbox_id, uint32_t uid_validity,
           const std::vector<store::MessageInfo>& messages);

  uint64_t mailbox_id() const { return mailbox_id_; }
  // Highest message number (deleted ones included: numbers never shift in a session).
  uint32_t size() const { return static_cast<uint32_t>(entries_.size()); }
  // Messages not marked deleted, and their total octets (STAT, RFC 1939 5).
  uint32_t live_count() const;
  uint64_t live_octets() const;

  // The message with this number, or nullptr if there is none or it is marked deleted.
  const Entry* find(uint32_t number) const;
  // Marks a message deleted; false if find(number) is null.
  bool mark_deleted(uint32_t number);
  // RSET: unmarks everything.
  void reset();
  std::vector<uint32_t> deleted_uids() const;

  // The UIDL unique-id (RFC 1939 7): "<uidvalidity>.<uid>" in decimal, stable across
  // sessions as long as the mailbox keeps its UIDVALIDITY, 1-70 printable octets.
  std::string unique_id(uint32_t number) const;

 private:
  uint64_t mailbox_id_ = 0;
  uint32_t uid_validity_ = 0;
  std::vector<Entry> entries_;
};

}  // namespace mail::pop3d
