// Change notices (store/notify.h): the datagram codec, a delivery in another process
// reaching a listener, dead listeners cleaned up, overflow reported instead of lost
// silently, the store announcing its writes, and the Asio adapter.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "store/notify.h"
#include "store/notify_asio.h"
#include "store/test_store.h"

namespace mail::store {
namespace {

using testing::at;
using testing::kMsg;

// Waits up to `ms` for the listener's socket to be readable.
bool readable(const ChangeListener& l, int ms) {
  pollfd p{l.fd(), POLLIN, 0};
  return ::poll(&p, 1, ms) == 1;
}

TEST(ChangeNotice, EncodeAndDecode) {
  std::vector<uint64_t> ids{1, 42, UINT64_MAX};
  auto decoded = decode_change_notice(encode_change_notice(ids));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, ids);
  std::vector<uint64_t> many(kMaxIdsPerNotice + 5, 7);
  EXPECT_EQ(decode_change_notice(encode_change_notice(many))->size(), kMaxIdsPerNotice);
  EXPECT_FALSE(decode_change_notice("").has_value());
  EXPECT_FALSE(decode_change_notice(std::string("\x02", 1) + std::string(8, '\0')).has_value());
  EXPECT_FALSE(decode_change_notice(std::string("\x01", 1) + std::string(7, '\0')).has_value());
  EXPECT_FALSE(
      decode_change_notice("\x01" + std::string(8 * (kMaxIdsPerNotice + 1), '\0')).has_value());
  EXPECT_EQ(decode_change_notice("\x01")->size(), 0u);
}

class NotifyTest : public testing::TempStoreTest {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/notify_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    notify_dir_ = tmpl;
    options_.notify_dir = notify_dir_;
    TempStoreTest::SetUp();
    ASSERT_TRUE(store_->create_account("a@x.org").ok());
    inbox_ = box("a@x.org", "INBOX").id;
  }
  void TearDown() override {
    TempStoreTest::TearDown();
    std::filesystem::remove_all(notify_dir_);
  }
  std::unique_ptr<ChangeListener> listen() {
    auto l = ChangeListener::open(notify_dir_);
    EXPECT_TRUE(l.ok()) << l.error().message;
    return l.ok() ? std::move(*l) : nullptr;
  }
  std::filesystem::path notify_dir_;
  uint64_t inbox_ = 0;
};

TEST_F(NotifyTest, ADeliveryInAnotherProcessReachesTheListener) {
  auto listener = listen();
  ASSERT_TRUE(listener);
  store_.reset();  // the child opens its own environment
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto s = open_lmdb_store(dir_ / "store", options_);
    if (!s) _exit(2);
    std::vector<Delivery> to{at("a@x.org")};
    _exit((*s)->deliver(to, kMsg, 0).ok() ? 0 : 3);
  }
  ASSERT_TRUE(readable(*listener, 5000));
  auto notices = listener->drain();
  EXPECT_EQ(notices.mailboxes, std::vector<uint64_t>{inbox_});
  EXPECT_FALSE(notices.overflow);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_F(NotifyTest, TheStoreAnnouncesEveryCommittedChange) {
  auto listener = listen();
  ASSERT_TRUE(listener);
  deliver({at("a@x.org"), at("a@x.org", "Sent")});
  ASSERT_TRUE(readable(*listener, 1000));
  uint64_t sent = box("a@x.org", "Sent").id;
  EXPECT_EQ(listener->drain().mailboxes, (std::vector<uint64_t>{inbox_, sent}));
  std::vector<uint32_t> one{1};
  ASSERT_TRUE(store_->store_flags(inbox_, one, FlagOp::Add, Flags{kSeen, {}}).ok());
  EXPECT_EQ(listener->drain().mailboxes, std::vector<uint64_t>{inbox_});
  // Nothing changed, nothing committed, nothing announced.
  ASSERT_TRUE(store_->store_flags(inbox_, one, FlagOp::Add, Flags{kSeen, {}}).ok());
  EXPECT_FALSE(readable(*listener, 50));
  ASSERT_TRUE(store_->move(inbox_, one, sent).ok());
  EXPECT_EQ(listener->drain().mailboxes, (std::vector<uint64_t>{inbox_, sent}));
  ASSERT_TRUE(store_->delete_mailbox("a@x.org", "Sent").ok());
  EXPECT_EQ(listener->drain().mailboxes, std::vector<uint64_t>{sent});
  // Subscriptions have no mailbox id: they are announced as kSubscriptionsNotice.
  ASSERT_TRUE(store_->subscribe("a@x.org", "Nowhere").ok());
  EXPECT_EQ(listener->drain().mailboxes, std::vector<uint64_t>{kSubscriptionsNotice});
  ASSERT_TRUE(store_->unsubscribe("a@x.org", "Nowhere").ok());
  EXPECT_EQ(listener->drain().mailboxes, std::vector<uint64_t>{kSubscriptionsNotice});
  EXPECT_FALSE(store_->unsubscribe("a@x.org", "Nowhere").ok());
  EXPECT_FALSE(readable(*listener, 50));
  // A created mailbox is announced by its new id.
  auto created = store_->create_mailbox("a@x.org", "Fresh");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(listener->drain().mailboxes, std::vector<uint64_t>{created->id});
}

TEST_F(NotifyTest, MailboxAccountNamesTheOwner) {
  auto account = store_->mailbox_account(inbox_);
  ASSERT_TRUE(account.ok());
  EXPECT_EQ(*account, "a@x.org");
  auto missing = store_->mailbox_account(inbox_ + 1000);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::NotFound);
}

TEST_F(NotifyTest, ADeadListenersSocketIsRemoved) {
  auto alive = listen();
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto l = ChangeListener::open(notify_dir_);
    _exit(l.ok() ? 0 : 1);  // no destructor: the socket file stays, nobody bound to it
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto files = [&] {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(notify_dir_)) n += e.is_socket();
    return n;
  };
  EXPECT_EQ(files(), 2u);
  ChangeNotifier notifier(notify_dir_);
  std::vector<uint64_t> ids{5};
  notifier.notify(ids);
  EXPECT_EQ(files(), 1u);
  EXPECT_EQ(notifier.listeners(), 1u);
  EXPECT_EQ(alive->drain().mailboxes, ids);
  alive.reset();  // a listener that closes removes its own socket
  EXPECT_EQ(files(), 0u);
  notifier.notify(ids);  // nobody listening: fine
  EXPECT_EQ(notifier.listeners(), 0u);
}

TEST_F(NotifyTest, AListenerBoundRightAfterANoticeGetsTheNext) {
  // The writer caches the directory listing by mtime, which advances in clock ticks: a
  // socket bound within the tick of the last listing must not be missed.
  auto first = listen();
  struct stat before {};
  ASSERT_EQ(::stat(notify_dir_.c_str(), &before), 0);
  ChangeNotifier notifier(notify_dir_);
  std::vector<uint64_t> ids{3};
  notifier.notify(ids);
  auto second = listen();
  // As on a kernel with coarse file times: the bind left the directory's mtime unchanged.
  timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, notify_dir_.c_str(), times, 0), 0);
  notifier.notify(ids);
  EXPECT_EQ(second->drain().mailboxes, ids);
  EXPECT_EQ(first->drain().mailboxes, ids);
  EXPECT_EQ(notifier.listeners(), 2u);
}

TEST_F(NotifyTest, AFullQueueIsReportedAsOverflowAndNeverBlocksTheWriter) {
  auto listener = listen();
  ChangeNotifier notifier(notify_dir_);
  auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 1; i <= 2000; ++i) {
    std::vector<uint64_t> ids{i};
    notifier.notify(ids);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  auto notices = listener->drain();
  EXPECT_TRUE(notices.overflow);
  EXPECT_FALSE(notices.mailboxes.empty());
  EXPECT_LT(notices.mailboxes.size(), 2000u);  // the rest were dropped, as designed
  std::vector<uint64_t> last{9};
  notifier.notify(last);
  auto after = listener->drain();
  EXPECT_FALSE(after.overflow);
  EXPECT_EQ(after.mailboxes, last);
}

TEST_F(NotifyTest, TheAsioAdapterWakesACoroutine) {
  auto listener = listen();
  ASSERT_TRUE(listener);
  net::asio::io_context io;
  AsyncChangeListener async(io.get_executor(), std::move(listener));
  std::optional<Result<ChangeListener::Notices>> got;
  net::asio::co_spawn(
      io, [&]() -> net::awaitable<void> { got.emplace(co_await async.next()); },
      net::asio::detached);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    deliver({at("a@x.org")});
  });
  io.run_for(std::chrono::seconds(5));
  writer.join();
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(got->ok());
  EXPECT_EQ((*got)->mailboxes, std::vector<uint64_t>{inbox_});
}

}  // namespace
}  // namespace mail::store
