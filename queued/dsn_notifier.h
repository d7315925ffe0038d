// The bounce generator: before the scheduler records a batch of outcomes (Spool::complete)
// it hands them to a Notifier, which enqueues the delivery status notifications they call
// for (RFC 3464 messages built by queued/relay/dsn_builder.h, honouring RFC 3461 NOTIFY,
// RET, ENVID and ORCPT):
//   - failed recipients (a 5xx, a routing failure, or the queue lifetime running out,
//     reported with status 4.4.7): one "failed" DSN per message;
//   - recipients still deferred relay.delay_notice_after seconds after arrival, once each
//     (the outcome's delay_notice_sent is set so the queue remembers): a "delayed" DSN;
//   - NOTIFY=SUCCESS deliveries the next hop will not report itself: "delivered" (into a
//     mailbox here) or "relayed" (to a server without DSN).
// Never a DSN to the null sender: a bounce that fails is dropped with a log line, so
// bounces cannot loop. The DSNs are enqueued (durably) before the outcomes are recorded:
// a crash in between repeats the attempt and at worst the notice, never loses it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/net/asio.h"
#include "common/result.h"
#include "queue/spool.h"
#include "queued/delivery_agent.h"

namespace mail::queued {

// One claim's outcomes as the scheduler is about to complete them.
struct NoticeItem {
  const queue::Envelope* envelope = nullptr;
  std::vector<queue::Outcome>* outcomes = nullptr;  // the notifier may set delay_notice_sent
  // Parallel to *outcomes: for Delivered ones, who reports success (AttemptResult).
  const std::vector<AttemptResult::SuccessNotice>* success = nullptr;
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  // Enqueues the DSNs the items call for; returns how many. An error means they could not
  // be queued: the scheduler then records nothing, so the attempt (and the notice) repeats
  // once the claims' leases run out. Runs on the scheduler's loop.
  virtual net::awaitable<Result<size_t>> before_complete(std::span<NoticeItem> items,
                                                         int64_t now) = 0;
};

struct DsnNotifierSettings {
  std::string hostname;             // Reporting-MTA, From: MAILER-DAEMON@hostname
  size_t full_content_limit = 50000;  // relay.bounce_size_limit
  int64_t delay_notice_after = 4 * 3600;  // relay.delay_notice_after; 0: no delay notices
  int64_t queue_lifetime = 5 * 86400;     // queued.queue_lifetime (Will-Retry-Until)
};

class DsnNotifier final : public Notifier {
 public:
  DsnNotifier(net::asio::thread_pool& workers, queue::Spool& spool, DsnNotifierSettings settings);
  net::awaitable<Result<size_t>> before_complete(std::span<NoticeItem> items,
                                                 int64_t now) override;

  // The pure part, for tests: the DSN messages for one item (and the delay notices marked).
  std::vector<queue::NewMessage> notices_for(NoticeItem& item, std::string_view content,
                                             int64_t now) const;
  // Whether an item calls for any notice at all (so its content must be read).
  bool wants_notice(const NoticeItem& item, int64_t now) const;

 private:
  net::asio::thread_pool& workers_;
  queue::Spool& spool_;
  const DsnNotifierSettings settings_;
};

DsnNotifierSettings dsn_notifier_settings(const Config& config);

}  // namespace mail::queued
