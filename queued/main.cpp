// queued: the delivery daemon. Wires the scheduler (scheduler.h) to the spool, the local
// delivery agent and the wake-up socket; the relay agent and the bounce generator are added
// here the same way. Also forgets the store's idempotency keys once no queued message can
// need them any more.
#include <chrono>
#include <cstdio>

#include "auth/open_directory.h"
#include "common/cli.h"
#include "common/log.h"
#include "common/net/daemon.h"
#include "common/net/offload.h"
#include "queue/spool.h"
#include "queued/local_delivery.h"
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

  net::Runtime runtime(1, config.server.worker_threads);
  SystemClock clock;
  DirectoryRouter router(*directory, config.server.postmaster);
  const QueuedConfig& q = config.queued;
  RetryPolicy retry{q.retry_delay, q.max_retry_delay, q.queue_lifetime};
  SchedulerLimits limits{static_cast<size_t>(q.batch_size), q.claim_lease,
                         std::chrono::seconds(q.scan_interval), q.worker_name};
  Scheduler scheduler(runtime.main_context(), runtime.workers(), *spool, router, clock, retry,
                      limits);
  LocalDeliveryLimits local_limits;
  local_limits.postmaster = config.server.postmaster;
  LocalDelivery local(runtime.workers(), *spool, *directory, *store, clock, local_limits);
  scheduler.add_agent("local", local, static_cast<size_t>(q.local_concurrency));

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
  });
  net::start_reader_check(runtime, config);
  log::info("started").kv("data_dir", config.server.data_dir.string());
  runtime.run(std::chrono::seconds(config.queued.shutdown_grace));
  // Blocking calls still on the pool (after a forced shutdown) use the objects below.
  runtime.workers().join();
  log::info("stopped");
  return 0;
}
