// The SMTP relay agent: delivers queued messages to remote recipients. For each group of
// messages with the same next hop (routing.h) it
//   1. refuses a message with more than relay.max_received_headers Received fields
//      (a mail loop, 554 5.4.6, RFC 5321 6.3);
//   2. finds the addresses to try (targets.h: MX, A/AAAA fallback, null MX);
//   3. defers the group at once, without connecting, while its next hop is in the
//      dead-destination memory (dead_destinations.h), and waits while another batch is
//      opening the first connection to the same next hop (then goes on if it succeeded);
//   4. opens one SMTP session first (or takes a waiting one from the connection cache),
//      trying the next MX address on a connection failure, a 4xx or 5xx greeting or a
//      failed STARTTLS (smtp_session.h), skipping MX addresses remembered dead; each
//      connection that succeeds starts more sessions, up to the destination's
//      concurrency (Postfix's slow start); if none could be opened the next hop is
//      remembered dead and the group's other messages are deferred with "delivery
//      temporarily suspended". Each message goes over the sessions, several per
//      connection (RSET between), paced by the destination's rate;
//   5. records every recipient's result: the reply (recorded_reply.h), its bounce class,
//      whether the next hop took over DSN duty (NOTIFY passed on) and whether the address
//      belongs on the suppression list.
// Coroutines on one event loop; DNS through the Resolver; nothing blocks.
//
// The scheduler (queued/scheduler.h on the queue branch) calls deliver() through a thin
// adapter that reads the content from the spool and maps RelayResult to its AttemptResult.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.h"
#include "common/net/asio.h"
#include "queue/spool.h"
#include "queued/relay/bounce_class.h"
#include "queued/relay/connection_cache.h"
#include "queued/relay/dead_destinations.h"
#include "queued/relay/destination_limiter.h"
#include "queued/relay/resolver.h"
#include "queued/relay/routing.h"
#include "queued/relay/smtp_session.h"

namespace mail::relay {

// One message's share of a delivery: some of its recipients, all remote.
struct RelayJob {
  const queue::Envelope* envelope = nullptr;  // valid until deliver() returns
  std::string_view content;                   // the queued message; valid likewise
  std::vector<uint32_t> recipients;           // indexes into envelope->recipients
};

struct RelayResult {
  uint32_t recipient = 0;  // index into the envelope's recipients
  Verdict verdict = Verdict::Temporary;
  std::string reply;  // for Recipient::last_reply: "host mx[addr] said: 250 2.0.0 Ok ..."
  BounceClass bounce_class = BounceClass::None;
  bool suppress = false;       // a hard bounce of the address itself (bounce_class.h)
  bool dsn_passed_on = false;  // delivered with NOTIFY given to a next hop that does DSN
  bool tls = false;            // the message went over TLS
  std::string mx;              // the host that answered, "" when none did
};

struct RelayStats {
  uint64_t connections = 0, reused = 0, messages = 0, delivered = 0, deferred = 0, bounced = 0;
  uint64_t connect_attempts = 0;  // TCP connects tried (successful or not)
  uint64_t suspended = 0;         // recipients deferred by the dead-destination memory
};

class RelayAgent {
 public:
  // Every reference must outlive the agent. `tls` may be null (no STARTTLS at all).
  RelayAgent(net::asio::any_io_executor executor, const Config& config, const Routes& routes,
             Resolver& resolver, std::shared_ptr<net::ssl::context> tls);
  ~RelayAgent();

  // For the scheduler's Router: the batch key of a remote recipient (NextHop::key()).
  std::string route_key(const queue::Envelope& envelope, const queue::Recipient& recipient) const;

  // Attempts every recipient of every job. Returns one result per recipient per job, in
  // the jobs' order. Jobs may have different next hops; each group goes its own way.
  net::awaitable<std::vector<std::vector<RelayResult>>> deliver(std::span<const RelayJob> jobs);

  // QUITs the cached connections (shutdown).
  void close();
  const RelayStats& stats() const { return stats_; }
  DestinationLimiter& limiter() { return limiter_; }
  DeadDestinations& dead_destinations() { return dead_; }
  // Tests substitute a fake clock for the dead-destination memory.
  void set_clock(std::function<std::chrono::steady_clock::time_point()> now) {
    now_ = std::move(now);
  }

 private:
  struct SubJob;
  struct Group;
  struct Connected;
  struct Probe;
  void end_probe(Group& group, bool connected);
  void connected(Group& group);
  void suspend(Group& group, const DeadDestinations::Entry& entry);
  bool suspend_if_dead(Group& group);
  bool skip_dead_address(const Group& group, const std::string& where, const std::string& name,
                         Connected& out);
  net::awaitable<void> deliver_group(Group& group);
  net::awaitable<void> worker(Group& group);
  net::awaitable<Connected> connect(Group& group);
  void record(Group& group, size_t job, const OutgoingMessage& message,
              const TransactionResult& result, const LiveSession& live);
  void fail_job(Group& group, size_t job, const smtp::Reply& reply, bool permanent,
                std::string_view host, std::string_view address, bool remote);
  void fail_sub(Group& group, const SubJob& sub, const smtp::Reply& reply, bool permanent,
                std::string_view host, std::string_view address, bool remote);

  net::asio::any_io_executor executor_;
  const Config& config_;
  const Routes& routes_;
  Resolver& resolver_;
  std::shared_ptr<net::ssl::context> tls_;
  SessionTimeouts timeouts_;
  ConnectionCache cache_;
  DestinationLimiter limiter_;
  TargetLimits target_limits_;
  DeadDestinations dead_;
  std::function<std::chrono::steady_clock::time_point()> now_;
  // Next hops whose first connection a batch is opening; other batches wait for it.
  std::map<std::string, std::shared_ptr<Probe>> probing_;
  std::mt19937_64 rng_;
  RelayStats stats_;
};

}  // namespace mail::relay
