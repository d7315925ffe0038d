// queued: the delivery daemon. Wires the scheduler (scheduler.h) to the spool, the local
// delivery agent, the SMTP relay agent (relay_delivery.h over queued/relay/), the bounce
// generator (dsn_notifier.h) and the wake-up socket. Also forgets the store's idempotency
// keys once no queued message can need them any more.
#include <chrono>
#include <cstdio>

#include "auth/open_directory.h"
#include "common/cli.h"
#include "common/dns/resolver.h"
#include "common/net/client.h"
#include "common/log.h"
#include "common/mail_metrics.h"
#include "common/net/config_reload.h"
#include "common/net/daemon.h"
#include "common/net/metrics_server.h"
#include "common/net/offload.h"
#include "queue/spool.h"
#include "queued/dsn_notifier.h"
#include "queued/local_delivery.h"
#include "queued/relay/relay_agent.h"
#include "queued/relay/suite_resolver.h"
#include "queued/relay_delivery.h"
#include "queued/scheduler.h"
#include "queued/wakeup_socket.h"
#include "store/open_store.h"

namespace mail::queued {
namespace {

namespace asio = net::asio;

// Every hour: idempotency keys older than the queue lifetime (and a day's margin) belong
// to messages that have left the queue for good.
net::awaitable<void> prune_delivery_keys(net::Runtime& runtime, store::MailStore& store,
                                         Clock& clock, int64_t lifetime, const bool& stopping) {
  asio::steady_timer timer(runtime.main_context());
  while (!stopping) {
    timer.expires_after(std::chrono::hours(1));
    co_await timer.async_wait(net::use_nothrow);
    if (stopping) break;
    const int64_t before = clock.now() - lifetime - 86400;
    auto pruned =
        co_await net::offload(runtime.workers(), [&] { return store.prune_delivery_keys(before); });
    if (!pruned)
      log::error("prune_delivery_keys_failed").kv("error", pruned.error().message);
    else if (*pruned > 0)
      log::info("pruned_delivery_keys").kv("count", static_cast<uint64_t>(*pruned));
  }
}

}  // namespace
}  // namespace mail::queued

int main(int argc, char** argv) {
  using namespace mail;
  using namespace mail::queued;
  auto cli = parse_command_line(argc, argv, "queued", "");
  const Config& config = cli.config;
  log::init("queued", config.log.level);
  auto spool = net::open_or_exit(queue::open_spool(config), "queued", "queue");
  auto store = net::open_or_exit(store::open_store(config), "queued", "store");
  auto directory = net::open_or_exit(auth::open_directory(config), "queued", "directory");

  auto routes = net::open_or_exit(relay::Routes::from_config(config), "queued", "relay routes");
  auto policy = net::open_or_exit(relay::open_sending_policy(config.sending_dir()), "queued",
                                  "sending policy");
  auto client_tls =
      net::open_or_exit(net::make_client_tls_context(config.relay.tls_ca_file), "queued", "TLS");

  net::Runtime runtime(1, config.server.worker_threads);
  auto dns = net::open_or_exit(dns::Resolver::create(runtime.main_context(), config.dns), "queued",
                               "DNS resolver");
  SystemClock clock;
  DirectoryRouter directory_router(*directory, config.server.postmaster);
  relay::SuiteResolver relay_dns(*dns);
  relay::RelayAgent relay_agent(runtime.main_context().get_executor(), config, routes, relay_dns,
                                client_tls);
  RelayRouter router(directory_router, relay_agent);
  const QueuedConfig& q = config.queued;
  RetryPolicy retry{q.retry_delay, q.max_retry_delay, q.queue_lifetime};
  SchedulerLimits limits{static_cast<size_t>(q.batch_size), q.claim_lease,
                         std::chrono::seconds(q.scan_interval), q.worker_name};
  Scheduler scheduler(runtime.main_context(), runtime.workers(), *spool, router, clock, retry,
                      limits);
  LocalDeliveryLimits local_limits;
  local_limits.postmaster = config.server.postmaster;
  if (config.mailauth.dmarc) local_limits.quarantine_authserv_id = config.authserv_id();
  LocalDelivery local(runtime.workers(), *spool, *directory, *store, clock, local_limits);
  scheduler.add_agent("local", local, static_cast<size_t>(q.local_concurrency));
  RelayDelivery relay(runtime.workers(), *spool, relay_agent, policy.get(), clock);
  scheduler.add_agent("relay", relay, static_cast<size_t>(config.relay.concurrency));
  DsnNotifier notifier(runtime.workers(), *spool, dsn_notifier_settings(config));
  scheduler.set_notifier(notifier);

  // SIGHUP re-reads the file: log.level applies; queued's own keys need a restart.
  net::ConfigReloader reloader(cli.config_path, config);
  net::reload_config_on_sighup(runtime, reloader);
  auto metrics_server = net::start_metrics_or_exit(runtime, q.metrics_listen, "queued");
  if (metrics_server) {
    metrics::watch_lmdb_files(config.server.data_dir);
    metrics_server->add_collector([&spool, &clock] {
      if (auto s = spool->stats())
        metrics::queue_state(s->messages, s->oldest_arrival ? clock.now() - s->oldest_arrival : 0);
    });
  }

  WakeupSocket wakeup(runtime.main_context(), config.queued_socket());
  if (auto r = wakeup.bind(); !r) {
    std::fprintf(stderr, "queued: %s\n", r.error().message.c_str());
    return 1;
  }
  net::drop_privileges_or_exit(config, "queued", nullptr);
  wakeup.start([&] { scheduler.poke(); });
  scheduler.start();
  bool stopping = false;
  asio::co_spawn(runtime.main_context(),
                 prune_delivery_keys(runtime, *store, clock, q.queue_lifetime, stopping),
                 asio::detached);
  runtime.add_busy_check([&] { return scheduler.busy(); });
  runtime.on_shutdown([&] {
    stopping = true;
    wakeup.close();
    scheduler.stop();
    relay_agent.close();
  });
  net::start_reader_check(runtime, config);
  log::info("started").kv("data_dir", config.server.data_dir.string());
  runtime.run(std::chrono::seconds(config.queued.shutdown_grace));
  // Blocking calls still on the pool (after a forced shutdown) use the objects below.
  runtime.workers().join();
  log::info("stopped");
  return 0;
}
