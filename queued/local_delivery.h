// Local delivery: takes one queued message and puts it into the mailboxes of its local
// recipients, in one store transaction (the body is stored once however many recipients
// share it). Recipients outside our domains stay pending for the relay (a later issue);
// recipients that no longer exist fail permanently.
//
// Trusts the queue record (written by smtpd) but re-resolves every recipient, since the
// directory may have changed since it was accepted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "auth/directory.h"
#include "queue/spool.h"
#include "store/mail_store.h"

namespace mail::queued {

struct DeliveryPolicy {
  int64_t now = 0;            // seconds since the epoch: the internal date of the delivery
  int64_t retry_delay = 300;  // seconds until a temporary failure is retried
  std::string postmaster;     // [server] postmaster (auth::resolve_recipient)
};

// Returns the envelope with each recipient's new state, attempts and last reply, and
// next_attempt moved on when something is still pending.
queue::Envelope deliver_locally(const queue::Envelope& envelope, std::string_view content,
                                auth::Directory& directory, store::MailStore& store,
                                const DeliveryPolicy& policy);

// The trace header a final delivery adds (RFC 5321 section 4.4).
std::string return_path_header(std::string_view sender);

}  // namespace mail::queued
