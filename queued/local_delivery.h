// The local delivery agent: puts the messages of a batch of jobs into the mailboxes of
// their local recipients, several messages per store transaction (MailStore::deliver_batch,
// one fsync), each message's body stored once however many accounts share it. Every copy
// carries the idempotency key "<queue id>/<account>", so a batch retried after a crash
// between the store commit and the queue update is recognised and not stored twice.
//
// Trusts the claims (written by smtpd) but re-resolves every recipient, since the
// directory may have changed since it was accepted: an address that no longer exists
// fails with 550 5.1.1; one that became foreign is deferred.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auth/directory.h"
#include "queue/spool.h"
#include "queued/delivery_agent.h"
#include "store/mail_store.h"

namespace mail::queued {

struct LocalDeliveryLimits {
  // Message octets per store transaction; a batch of jobs larger than this is delivered
  // in several transactions (it bounds the memory one transaction holds).
  size_t max_batch_bytes = size_t{64} << 20;
  std::string postmaster;  // [server] postmaster (auth::resolve_recipient)
  // DMARC p=quarantine (mailauth/quarantine.h): a message whose Authentication-Results
  // field with this authserv-id says policy.dmarc=quarantine goes to "Junk". Empty: never.
  std::string quarantine_authserv_id;
};

class LocalDelivery final : public DeliveryAgent {
 public:
  // Every reference must outlive the agent.
  LocalDelivery(net::asio::thread_pool& workers, queue::Spool& spool, auth::Directory& directory,
                store::MailStore& store, Clock& clock, LocalDeliveryLimits limits = {});

  net::awaitable<std::vector<std::vector<AttemptResult>>> deliver(
      std::span<const DeliveryJob> jobs) override;

  // The blocking part of deliver(), on the calling thread (tests call it directly).
  std::vector<std::vector<AttemptResult>> deliver_now(std::span<const DeliveryJob> jobs);

 private:
  net::asio::thread_pool& workers_;
  queue::Spool& spool_;
  auth::Directory& directory_;
  store::MailStore& store_;
  Clock& clock_;
  const LocalDeliveryLimits limits_;
};

// The trace header a final delivery adds (RFC 5321 section 4.4).
std::string return_path_header(std::string_view sender);

// Routes recipients of our domains to "local" and every other to "relay", by the directory.
class DirectoryRouter final : public Router {
 public:
  // `postmaster`: [server] postmaster, for the RFC 5321 4.5.1 rule (auth::resolve_recipient).
  explicit DirectoryRouter(auth::Directory& directory, std::string postmaster = {})
      : directory_(directory), postmaster_(std::move(postmaster)) {}
  Route route(const queue::Envelope& envelope, const queue::Recipient& recipient) override;

 private:
  auth::Directory& directory_;
  const std::string postmaster_;
};

}  // namespace mail::queued
