// queued: the delivery scheduler. Learns of new mail from smtpd's datagram on its control
// socket (and, as a safety net, by scanning the spool every queued.scan_interval
// seconds), delivers local recipients into the store and removes a message from the queue
// once no recipient is pending. Relay to other domains and bounces come with the relay
// issue; the loop below is where they plug in.
//
// SECURITY: the control socket lives in the data directory (mode 0700); a datagram only
// wakes the scheduler, its content is ignored.
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "auth/directory.h"
#include "common/cli.h"
#include "common/log.h"
#include "common/net/daemon.h"
#include "common/net/offload.h"
#include "queue/spool.h"
#include "queued/local_delivery.h"
#include "store/mail_store.h"

namespace mail::queued {
namespace {

namespace asio = boost::asio;
using net::awaitable;
using net::use_nothrow;

class Scheduler {
 public:
  Scheduler(net::Runtime& runtime, const Config& config, queue::Spool& spool,
            auth::Directory& directory, store::MailStore& store)
      : runtime_(runtime),
        config_(config),
        spool_(spool),
        directory_(directory),
        store_(store),
        wake_(runtime.main_context()),
        socket_(runtime.main_context()) {}

  Result<void> bind_control_socket() {
    auto path = config_.queued_socket();
    std::error_code ec;
    std::filesystem::remove(path, ec);
    boost::system::error_code bec;
    socket_.open(asio::local::datagram_protocol(), bec);
    if (!bec) socket_.bind(asio::local::datagram_protocol::endpoint(path.string()), bec);
    if (bec)
      return make_error(ErrorKind::Temporary, "bind " + path.string() + ": " + bec.message());
    ::chmod(path.c_str(), 0600);
    return {};
  }

  void start() {
    asio::co_spawn(runtime_.main_context(), listen(), asio::detached);
    asio::co_spawn(runtime_.main_context(), run(), asio::detached);
    runtime_.add_busy_check([this] { return busy_.load(); });
  }

  void stop() {
    stopping_ = true;
    boost::system::error_code ec;
    socket_.close(ec);
    wake_.cancel();
  }

 private:
  awaitable<void> listen() {
    char byte[64];
    for (;;) {
      auto [ec, n] = co_await socket_.async_receive(asio::buffer(byte), use_nothrow);
      if (ec) co_return;
      poke();
    }
  }

  void poke() {
    dirty_ = true;
    wake_.cancel();
  }

  awaitable<void> run() {
    dirty_ = true;  // deliver whatever waited while we were down
    while (!stopping_) {
      if (!dirty_) {
        wake_.expires_after(std::chrono::seconds(config_.queued.scan_interval));
        co_await wake_.async_wait(use_nothrow);
        if (stopping_) break;
      }
      dirty_ = false;
      busy_ = true;
      co_await net::offload(runtime_.workers(), [this] { return pass(); });
      busy_ = false;
    }
  }

  // One pass over everything due. Runs on the worker pool. Stops early when a whole batch
  // could not be saved (a full disk, say), so a failing queue is not spun on.
  int pass() {
    int64_t now = std::time(nullptr);
    int handled = 0;
    for (;;) {
      auto due = spool_.due(now, kBatch);
      if (!due) {
        log::error("queue_scan_failed").kv("error", due.error().message);
        return handled;
      }
      int saved = 0;
      for (const auto& envelope : *due) saved += handle(envelope, now) ? 1 : 0;
      handled += saved;
      if (due->size() < kBatch || saved == 0) return handled;
    }
  }

  // Delivers one message; true when its new state was saved in the queue.
  bool handle(const queue::Envelope& envelope, int64_t now) {
    auto content = spool_.content(envelope.id);
    if (!content) {
      log::error("queue_read_failed")
          .kv("queue_id", envelope.id)
          .kv("error", content.error().message);
      return false;
    }
    auto updated = deliver_locally(envelope, *content, directory_, store_,
                                   DeliveryPolicy{now, config_.queued.retry_delay});
    Result<void> saved = updated.pending() ? spool_.update(updated) : spool_.remove(envelope.id);
    if (!saved) {
      log::error("queue_update_failed")
          .kv("queue_id", envelope.id)
          .kv("error", saved.error().message);
      return false;
    }
    if (!updated.pending()) log::info("removed").kv("queue_id", envelope.id);
    return true;
  }

  static constexpr size_t kBatch = 256;

  net::Runtime& runtime_;
  const Config& config_;
  queue::Spool& spool_;
  auth::Directory& directory_;
  store::MailStore& store_;
  asio::steady_timer wake_;
  asio::local::datagram_protocol::socket socket_;
  bool dirty_ = false;
  std::atomic<bool> busy_{false};
  bool stopping_ = false;
};

}  // namespace
}  // namespace mail::queued

int main(int argc, char** argv) {
  using namespace mail;
  auto cli = parse_command_line(argc, argv, "queued", "");
  const Config& config = cli.config;
  log::init("queued", config.log.level);
  auto spool =
      net::open_or_exit(queue::open_lmdb_spool(config.queue_dir(), {config.server.queue_max_size}),
                        "queued", "queue");
  auto store =
      net::open_or_exit(store::open_lmdb_store(config.store_dir(), {config.server.store_max_size}),
                        "queued", "store");
  auto directory = net::open_or_exit(
      auth::open_lmdb_directory(config.directory_dir(), config.server.directory_max_size), "queued",
      "directory");

  net::Runtime runtime(1, config.server.worker_threads);
  queued::Scheduler scheduler(runtime, config, *spool, *directory, *store);
  if (auto r = scheduler.bind_control_socket(); !r) {
    std::fprintf(stderr, "queued: %s\n", r.error().message.c_str());
    return 1;
  }
  net::drop_privileges_or_exit(config, "queued", nullptr);
  scheduler.start();
  runtime.on_shutdown([&] { scheduler.stop(); });
  net::start_reader_check(runtime, config);
  log::info("started").kv("data_dir", config.server.data_dir.string());
  runtime.run(std::chrono::seconds(config.queued.shutdown_grace));
  log::info("stopped");
  return 0;
}
