#include "queued/local_delivery.h"

#include <algorithm>
#include <map>
#include <vector>

#include "auth/postmaster.h"
#include "common/log.h"

namespace mail::queued {

using queue::Recipient;

std::string return_path_header(std::string_view sender) {
  return "Return-Path: <" + std::string(sender) + ">\r\n";
}

queue::Envelope deliver_locally(const queue::Envelope& envelope, std::string_view content,
                                auth::Directory& directory, store::MailStore& store,
                                const DeliveryPolicy& policy) {
  queue::Envelope out = envelope;
  // account -> indexes of the recipients it serves (an alias and its target, or two
  // aliases of one account, get one copy).
  std::map<std::string, std::vector<size_t>> accounts;
  for (size_t i = 0; i < out.recipients.size(); ++i) {
    Recipient& r = out.recipients[i];
    if (r.state != Recipient::State::Pending) continue;
    auto lookup = auth::resolve_recipient(directory, r.address, policy.postmaster);
    if (!lookup) {
      ++r.attempts;
      r.last_reply = "451 4.3.0 directory unavailable: " + lookup.error().message;
      continue;
    }
    switch (lookup->kind) {
      case auth::RecipientKind::Local:
        for (const auto& account : lookup->accounts) accounts[account].push_back(i);
        if (lookup->accounts.empty()) {
          r.state = Recipient::State::Failed;
          r.last_reply = "550 5.1.1 alias has no local target";
        }
        break;
      case auth::RecipientKind::Unknown:
        r.state = Recipient::State::Failed;
        r.last_reply = "550 5.1.1 no such user";
        break;
      case auth::RecipientKind::Foreign:
        ++r.attempts;
        r.last_reply = "451 4.4.0 relay to other domains is not available yet";
        break;
    }
  }

  if (!accounts.empty()) {
    std::vector<store::Delivery> destinations;
    for (const auto& [account, unused] : accounts)
      destinations.push_back(store::Delivery{account, "INBOX", {}, envelope.id + "/" + account});
    std::string message = return_path_header(envelope.sender);
    message.append(content);
    auto delivered = store.deliver(destinations, message, policy.now);
    if (!delivered && delivered.error().kind == ErrorKind::NotFound) {
      // The directory knows the account but the store does not yet: create it, once.
      for (const auto& d : destinations) (void)store.create_account(d.account);
      delivered = store.deliver(destinations, message, policy.now);
    }
    for (const auto& [account, indexes] : accounts) {
      std::string reply;
      if (delivered) {
        for (const auto& d : *delivered)
          if (d.account == account)
            reply = d.duplicate
                        ? "250 2.0.0 delivered to " + account + " before (retry skipped)"
                        : "250 2.0.0 delivered to " + account + " uid " + std::to_string(d.uid);
        log::info("delivered")
            .kv("queue_id", envelope.id)
            .kv("session", envelope.session_id)
            .kv("account", account)
            .kv("result", reply);
      } else {
        reply = "451 4.3.0 store: " + delivered.error().message;
        log::warn("delivery_deferred")
            .kv("queue_id", envelope.id)
            .kv("account", account)
            .kv("error", delivered.error().message);
      }
      for (size_t i : indexes) {
        Recipient& r = out.recipients[i];
        ++r.attempts;
        r.last_reply = reply;
        if (delivered) r.state = Recipient::State::Delivered;
      }
    }
  }

  for (size_t i = 0; i < out.recipients.size(); ++i) {
    const Recipient& r = out.recipients[i];
    if (r.state == Recipient::State::Failed &&
        envelope.recipients[i].state != Recipient::State::Failed)
      log::info("delivery_failed")
          .kv("queue_id", envelope.id)
          .kv("recipient", r.address)
          .kv("reply", r.last_reply);
  }
  if (out.pending()) out.next_attempt = policy.now + policy.retry_delay;
  return out;
}

}  // namespace mail::queued
