// Local delivery in batches (see local_delivery.h): resolve, then one store transaction
// per group of messages, then a result per recipient.
#include "queued/local_delivery.h"

#include <map>

#include "auth/postmaster.h"
#include "common/net/offload.h"
#include "mailauth/quarantine.h"

namespace mail::queued {
namespace {

using Kind = AttemptResult::Kind;
using queue::BounceClass;

// One message of the batch that has local accounts to go to.
struct Prepared {
  size_t job = 0;
  std::string message;                                    // Return-Path + content
  std::map<std::string, std::vector<uint32_t>> accounts;  // account -> recipients it serves
  std::vector<store::Delivery> to;
};

AttemptResult temporary(uint32_t i, std::string reply) {
  return AttemptResult{i, Kind::Temporary, std::move(reply), BounceClass::Soft};
}

}  // namespace

std::string return_path_header(std::string_view sender) {
  return "Return-Path: <" + std::string(sender) + ">\r\n";
}

Router::Route DirectoryRouter::route(const queue::Envelope&, const queue::Recipient& recipient) {
  auto lookup = auth::resolve_recipient(directory_, recipient.address, postmaster_);
  // A failed lookup goes to the local agent, which looks again and defers.
  if (lookup && lookup->kind == auth::RecipientKind::Foreign) return Route{"relay", ""};
  return Route{"local", ""};
}

LocalDelivery::LocalDelivery(net::asio::thread_pool& workers, queue::Spool& spool,
                             auth::Directory& directory, store::MailStore& store, Clock& clock,
                             LocalDeliveryLimits limits)
    : workers_(workers),
      spool_(spool),
      directory_(directory),
      store_(store),
      clock_(clock),
      limits_(limits) {}

net::awaitable<std::vector<std::vector<AttemptResult>>> LocalDelivery::deliver(
    std::span<const DeliveryJob> jobs) {
  co_return co_await net::offload(workers_, [&] { return deliver_now(jobs); });
}

std::vector<std::vector<AttemptResult>> LocalDelivery::deliver_now(
    std::span<const DeliveryJob> jobs) {
  const int64_t now = clock_.now();
  std::vector<std::vector<AttemptResult>> results(jobs.size());
  std::vector<Prepared> prepared;

  for (size_t j = 0; j < jobs.size(); ++j) {
    const queue::Envelope& e = jobs[j].claim->envelope;
    auto content = spool_.content(e.id);
    if (!content) {
      for (uint32_t i : jobs[j].recipients)
        results[j].push_back(temporary(i, "451 4.3.0 queue: " + content.error().message));
      continue;
    }
    Prepared p;
    p.job = j;
    for (uint32_t i : jobs[j].recipients) {
      auto lookup =
          auth::resolve_recipient(directory_, e.recipients[i].address, limits_.postmaster);
      if (!lookup) {
        results[j].push_back(
            temporary(i, "451 4.3.0 directory unavailable: " + lookup.error().message));
        continue;
      }
      switch (lookup->kind) {
        case auth::RecipientKind::Local:
          if (lookup->accounts.empty())
            results[j].push_back(AttemptResult{
                i, Kind::Permanent, "550 5.1.1 alias has no local target", BounceClass::Hard});
          for (const auto& account : lookup->accounts) p.accounts[account].push_back(i);
          break;
        case auth::RecipientKind::Unknown:
          results[j].push_back(
              AttemptResult{i, Kind::Permanent, "550 5.1.1 no such user", BounceClass::Hard});
          break;
        case auth::RecipientKind::Foreign:
          results[j].push_back(
              temporary(i, "451 4.4.0 relay to other domains is not available yet"));
          break;
      }
    }
    if (p.accounts.empty()) continue;
    p.message = return_path_header(e.sender);
    p.message.append(*content);
    const bool junk = !limits_.quarantine_authserv_id.empty() &&
                      mailauth::quarantine_requested(*content, limits_.quarantine_authserv_id);
    for (const auto& [account, unused] : p.accounts)
      p.to.push_back(store::Delivery{account, junk ? "Junk" : "INBOX", {}, e.id + "/" + account});
    prepared.push_back(std::move(p));
  }

  // Records each account's outcome for the recipients it serves (an alias that reaches
  // several accounts is delivered once each of them has the message; the last reply wins).
  auto settle = [&](const Prepared& p, const Result<std::vector<store::Delivered>>& delivered) {
    for (const auto& [account, recipients] : p.accounts) {
      AttemptResult r;
      if (delivered) {
        r.kind = Kind::Delivered;
        for (const auto& d : *delivered)
          if (d.account == account)
            r.reply = d.duplicate
                          ? "250 2.0.0 delivered to " + account + " before (retry skipped)"
                          : "250 2.0.0 delivered to " + account + " uid " + std::to_string(d.uid);
      } else {
        r = temporary(0, "451 4.3.0 store: " + delivered.error().message);
      }
      for (uint32_t i : recipients) {
        r.recipient = i;
        results[p.job].push_back(r);
      }
    }
  };

  // Groups of messages up to max_batch_bytes (at least one message each), one store
  // transaction per group.
  size_t start = 0;
  while (start < prepared.size()) {
    size_t end = start, bytes = 0;
    while (end < prepared.size() &&
           (end == start || bytes + prepared[end].message.size() <= limits_.max_batch_bytes))
      bytes += prepared[end++].message.size();
    std::vector<store::IncomingMessage> batch;
    for (size_t k = start; k < end; ++k)
      batch.push_back(store::IncomingMessage{prepared[k].message, now, prepared[k].to});
    auto delivered = store_.deliver_batch(batch);
    if (!delivered) {
      for (size_t k = start; k < end; ++k) settle(prepared[k], delivered.error());
      start = end;
      continue;
    }
    // A message whose account the directory knows but the store does not yet (created
    // by mailctl before its first delivery) fails alone with NotFound: create the
    // accounts, then deliver those messages once more, together.
    std::vector<size_t> missing;
    for (size_t k = start; k < end; ++k) {
      const auto& one = (*delivered)[k - start];
      if (!one && one.error().kind == ErrorKind::NotFound) {
        missing.push_back(k);
        for (const auto& d : prepared[k].to) (void)store_.create_account(d.account);
      } else {
        settle(prepared[k], one);
      }
    }
    if (!missing.empty()) {
      std::vector<store::IncomingMessage> again;
      for (size_t k : missing)
        again.push_back(store::IncomingMessage{prepared[k].message, now, prepared[k].to});
      auto retried = store_.deliver_batch(again);
      for (size_t m = 0; m < missing.size(); ++m)
        settle(prepared[missing[m]],
               retried ? (*retried)[m] : Result<std::vector<store::Delivered>>(retried.error()));
    }
    start = end;
  }
  return results;
}

}  // namespace mail::queued
