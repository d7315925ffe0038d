// Tests for the GroupCommitter, async_enqueue() and notify_new_mail().
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include "queue/async_enqueue.h"
#include "queue/group_commit.h"
#include "queue/notify.h"
#include "queue/spool.h"
#include "queue/test_util.h"

namespace mail::queue {
namespace {

using testing::make_message;
using testing::TempDir;

// Counts enqueue() calls and batch sizes; can hold the first call until released.
class CountingSpool : public Spool {
 public:
  explicit CountingSpool(Spool& inner, bool gate_first = false)
      : inner_(inner), gated_(gate_first) {}

  Result<std::vector<std::string>> enqueue(std::span<NewMessage> batch) override {
    {
      std::unique_lock lock(mu_);
      if (gated_) {
        entered_ = true;
        cv_.notify_all();
        cv_.wait(lock, [this] { return !gated_; });
      }
    }
    ++calls;
    size_t n = batch.size(), prev = max_batch.load();
    while (n > prev && !max_batch.compare_exchange_weak(prev, n)) {
    }
    return inner_.enqueue(batch);
  }
  void wait_entered() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return entered_; });
  }
  void release() {
    std::lock_guard lock(mu_);
    gated_ = false;
    cv_.notify_all();
  }
  Result<std::vector<Claim>> claim(int64_t now, int64_t lease, size_t limit,
                                   std::string_view owner) override {
    return inner_.claim(now, lease, limit, owner);
  }
  Result<size_t> expire_claims(std::string_view owner, int64_t now) override {
    return inner_.expire_claims(owner, now);
  }
  Result<std::vector<Result<Completed>>> complete(std::span<const Completion> batch,
                                                  int64_t now) override {
    return inner_.complete(batch, now);
  }
  Result<std::vector<Result<void>>> renew(std::span<const ClaimRef> claims,
                                          int64_t until) override {
    return inner_.renew(claims, until);
  }
  Result<std::vector<Envelope>> list() override { return inner_.list(); }
  Result<Envelope> envelope(std::string_view id) override { return inner_.envelope(id); }
  Result<std::string> content(std::string_view id) override { return inner_.content(id); }
  Result<void> hold(std::string_view id) override { return inner_.hold(id); }
  Result<void> release(std::string_view id) override { return inner_.release(id); }
  Result<void> retry(std::string_view id, int64_t now) override { return inner_.retry(id, now); }
  Result<size_t> flush(int64_t now) override { return inner_.flush(now); }
  Result<void> remove(std::string_view id) override { return inner_.remove(id); }

  std::atomic<int> calls{0};
  std::atomic<size_t> max_batch{0};

 private:
  Spool& inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool gated_, entered_ = false;
};

// Collects callback results and lets the test wait for n of them.
struct Collector {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Result<std::string>> results;

  GroupCommitter::Callback callback() {
    return [this](Result<std::string> r) {
      std::lock_guard lock(mu);
      results.push_back(std::move(r));
      cv.notify_all();
    };
  }
  void wait_for(size_t n) {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return results.size() >= n; }));
  }
};

TEST(GroupCommitter, ConcurrentSubmitsShareCommits) {
  TempDir dir;
  std::set<std::string> ids;
  int calls = 0;
  {
    auto spool = open_lmdb_spool(dir.path()).value();
    CountingSpool counting(*spool);
    Collector got;
    {
      GroupCommitter committer(counting);
      std::vector<std::thread> threads;
      std::atomic<int> next{0};
      for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
          for (int i; (i = next++) < 100;) {
            committer.submit(
                make_message("s@example.org", {"r@example.net"}, 0, "message " + std::to_string(i)),
                got.callback());
          }
        });
      }
      for (auto& th : threads) th.join();
      got.wait_for(100);
    }
    ASSERT_EQ(got.results.size(), 100u);
    for (auto& r : got.results) {
      ASSERT_TRUE(r.ok()) << r.error().message;
      ids.insert(*r);
    }
    calls = counting.calls;
  }
  EXPECT_EQ(ids.size(), 100u);
  EXPECT_LT(calls, 100);
  std::printf("100 messages in %d commits\n", calls);

  auto reopened = open_lmdb_spool(dir.path()).value();
  auto list = reopened->list().value();
  std::set<std::string> stored;
  for (auto& e : list) stored.insert(e.id);
  EXPECT_EQ(stored, ids);
}

TEST(GroupCommitter, HonoursMaxBatchAndDrainsOnDestruction) {
  TempDir dir;
  auto spool = open_lmdb_spool(dir.path()).value();
  CountingSpool counting(*spool, /*gate_first=*/true);
  Collector got;
  {
    GroupCommitter committer(counting, 4);
    committer.submit(make_message("s", {"r"}), got.callback());
    counting.wait_entered();  // the writer holds message 1; the rest queue up behind it
    for (int i = 0; i < 19; ++i) committer.submit(make_message("s", {"r"}), got.callback());
    counting.release();
  }  // the destructor commits all 20 before returning
  EXPECT_EQ(got.results.size(), 20u);
  EXPECT_EQ(counting.max_batch.load(), 4u);
  EXPECT_EQ(counting.calls.load(), 6);  // 1, then 19 in batches of at most 4
  EXPECT_EQ(spool->list()->size(), 20u);
}

TEST(GroupCommitter, BadMessageFailsAloneAndErrorsReachCallbacks) {
  TempDir dir;
  auto spool = open_lmdb_spool(dir.path()).value();
  Collector got;
  {
    GroupCommitter committer(*spool);
    committer.submit(make_message("s", {}), got.callback());
    got.wait_for(1);
    committer.submit(make_message("s", {"r"}), got.callback());
  }
  ASSERT_EQ(got.results.size(), 2u);
  ASSERT_FALSE(got.results[0].ok());
  EXPECT_EQ(got.results[0].error().kind, ErrorKind::Invalid);
  EXPECT_TRUE(got.results[1].ok());
}

TEST(AsyncEnqueue, CoroutineResumesOnItsExecutor) {
  TempDir dir;
  auto spool = open_lmdb_spool(dir.path()).value();
  GroupCommitter committer(*spool);
  boost::asio::io_context ctx;
  std::vector<std::string> ids;
  bool same_thread = true;
  const auto loop_thread = std::this_thread::get_id();
  boost::asio::co_spawn(
      ctx,
      [&]() -> boost::asio::awaitable<void> {
        // Messages are built outside the co_await expressions: g++ 12 rejects string
        // literal temporaries there ("array used as initializer").
        for (int i = 0; i < 3; ++i) {
          NewMessage msg = make_message("s", {"r"}, 0, "async");
          auto r = co_await async_enqueue(committer, std::move(msg));
          same_thread = same_thread && std::this_thread::get_id() == loop_thread;
          if (r) ids.push_back(*r);
        }
        NewMessage no_rcpt = make_message("s", {});
        auto bad = co_await async_enqueue(committer, std::move(no_rcpt));
        if (!bad) ids.push_back("error");
      },
      boost::asio::detached);
  ctx.run();  // returns only when the coroutine finished: the pending commit keeps it alive
  ASSERT_EQ(ids.size(), 4u);
  EXPECT_EQ(ids[3], "error");
  EXPECT_TRUE(same_thread);
  EXPECT_EQ(spool->content(ids[0]).value(), "async");
}

TEST(Notify, DeliversOneByteToBoundSocket) {
  TempDir dir;
  auto path = dir.path() / "queued.sock";
  int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);

  notify_new_mail(path);
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  char buf[16];
  EXPECT_EQ(::recv(fd, buf, sizeof(buf), 0), 1);
  ::close(fd);
}

TEST(Notify, MissingOrBadPathIsIgnored) {
  TempDir dir;
  EXPECT_NO_THROW(notify_new_mail(dir.path() / "nobody-listens.sock"));
  EXPECT_NO_THROW(notify_new_mail(dir.path()));             // a directory, not a socket
  EXPECT_NO_THROW(notify_new_mail(std::string(300, 'x')));  // longer than sun_path
  EXPECT_NO_THROW(notify_new_mail(""));
}

}  // namespace
}  // namespace mail::queue
