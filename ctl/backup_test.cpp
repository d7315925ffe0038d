// backup_data_dir / restore_data_dir on real LMDB environments (the queue's backend) with
// a concurrent writer, damaged backups, refusals and --replace.
#include "ctl/backup.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "common/lmdb.h"
#include "queue/lmdb/lmdb_spool.h"
#include "queue/test_util.h"

namespace mail::ctl {
namespace {

namespace fs = std::filesystem;
using queue::testing::make_message;
using queue::testing::TempDir;

std::vector<std::string> queued_ids(const fs::path& data_dir) {
  auto spool = queue::open_lmdb_spool(data_dir / "queue");
  EXPECT_TRUE(spool.ok());
  std::vector<std::string> ids;
  // The Result outlives the loop (a temporary's value() would dangle in a range-for).
  auto listed = (*spool)->list();
  EXPECT_TRUE(listed.ok());
  for (const auto& e : listed.value()) ids.push_back(e.id);
  return ids;
}

void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

TEST(Backup, HotCopyWhileAWriterRunsRestoresEverythingCopied) {
  TempDir tmp;
  const fs::path data = tmp.path() / "data", backup = tmp.path() / "backup";
  auto spool = queue::open_lmdb_spool(data / "queue").value();
  std::vector<queue::NewMessage> first{make_message("a@x.test", {"b@y.test"})};
  ASSERT_TRUE(spool->enqueue(first).ok());
  write_file(data / "tls" / "key.pem", "KEY");
  fs::permissions(data / "tls" / "key.pem", fs::perms::owner_read);
  write_file(data / "dkim" / "sel.private", "DKIM");

  // A writer keeps enqueueing during the backup.
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    while (!stop) {
      std::vector<queue::NewMessage> m{make_message("w@x.test", {"r@y.test"})};
      if (spool->enqueue(m).ok()) ++written;
    }
  });
  while (written < 5) std::this_thread::yield();
  auto m = backup_data_dir(data, backup);
  stop = true;
  writer.join();
  ASSERT_TRUE(m.ok()) << m.error().message;
  ASSERT_GE(m->entries.size(), 3u);
  EXPECT_TRUE(m->entries[0].lmdb);
  EXPECT_EQ(m->entries[0].name, "queue");
  EXPECT_TRUE(fs::exists(backup / "MANIFEST"));

  // Restore into a fresh directory: a consistent snapshot (opens, lists) holding at least
  // what was there before the backup started, at most what was written by its end.
  const fs::path fresh = tmp.path() / "fresh";
  auto r = restore_data_dir(backup, fresh, {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto ids = queued_ids(fresh);
  EXPECT_GE(ids.size(), 6u);
  EXPECT_LE(ids.size(), static_cast<size_t>(written.load()) + 1);
  EXPECT_EQ(ids.front(), first[0].envelope.id);
  std::ifstream key(fresh / "tls" / "key.pem");
  std::string text;
  key >> text;
  EXPECT_EQ(text, "KEY");
  EXPECT_EQ(fs::status(fresh / "tls" / "key.pem").permissions() & fs::perms::all,
            fs::perms::owner_read);
  EXPECT_TRUE(fs::exists(fresh / "dkim" / "sel.private"));
}

TEST(Backup, SocketsLockFilesAndTargetInsideAreLeftOut) {
  TempDir tmp;
  const fs::path data = tmp.path() / "data";
  ASSERT_TRUE(queue::open_lmdb_spool(data / "queue").ok());
  int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", (data / "queued.sock").c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  auto m = backup_data_dir(data, tmp.path() / "b");
  ASSERT_TRUE(m.ok()) << m.error().message;
  for (const auto& e : m->entries) {
    EXPECT_NE(e.name, "queued.sock");
    EXPECT_EQ(e.name.find("lock.mdb"), std::string::npos);
  }
  EXPECT_FALSE(backup_data_dir(data, data / "inside").ok());
  EXPECT_FALSE(backup_data_dir(data, tmp.path() / "b").ok());  // not empty

  // queued's socket answers: the deployment is running, restore refuses.
  auto r = restore_data_dir(tmp.path() / "b", data, {true});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("queued is running"), std::string::npos);
  ::close(fd);
}

TEST(Restore, RefusesDamagedIncompleteAndOccupied) {
  TempDir tmp;
  const fs::path data = tmp.path() / "data", backup = tmp.path() / "backup";
  auto spool = queue::open_lmdb_spool(data / "queue").value();
  std::vector<queue::NewMessage> msgs{make_message("a@x.test", {"b@y.test"})};
  ASSERT_TRUE(spool->enqueue(msgs).ok());
  spool.reset();
  ASSERT_TRUE(backup_data_dir(data, backup).ok());

  // Occupied: the environment exists.
  auto r = restore_data_dir(backup, data, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("--replace"), std::string::npos);

  // --replace moves the old environment aside, nothing is deleted.
  r = restore_data_dir(backup, data, {true});
  ASSERT_TRUE(r.ok()) << r.error().message;
  size_t aside = 0;
  for (const auto& e : fs::directory_iterator(data))
    aside += e.path().filename().string().starts_with("queue.before-restore-");
  EXPECT_EQ(aside, 1u);
  EXPECT_EQ(queued_ids(data).size(), 1u);

  // A flipped byte in the copy is found before anything changes.
  {
    std::fstream f(backup / "queue" / "data.mdb", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x5a');
  }
  r = restore_data_dir(backup, tmp.path() / "other", {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("does not match the MANIFEST"), std::string::npos);
  EXPECT_FALSE(fs::exists(tmp.path() / "other" / "queue"));

  fs::remove(backup / "MANIFEST");
  r = restore_data_dir(backup, tmp.path() / "other", {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no MANIFEST"), std::string::npos);
}

TEST(Restore, RefusesWhileAnotherProcessHasTheEnvironmentOpen) {
  TempDir tmp;
  const fs::path data = tmp.path() / "data", backup = tmp.path() / "backup";
  ASSERT_TRUE(queue::open_lmdb_spool(data / "queue").ok());
  ASSERT_TRUE(backup_data_dir(data, backup).ok());
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  if (child == 0) {
    // A daemon: the spool open, one read done (its reader slot stays registered).
    auto s = queue::open_lmdb_spool(data / "queue");
    if (s.ok()) (void)(*s)->list();
    char c = 'x';
    (void)!::write(ready[1], &c, 1);
    ::pause();
    ::_exit(0);
  }
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  auto r = restore_data_dir(backup, data, {true});
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("is open in process " + std::to_string(child)),
            std::string::npos)
      << r.error().message;
  // Once it is gone (its slot is stale), the restore goes ahead.
  EXPECT_TRUE(restore_data_dir(backup, data, {true}).ok());
}

TEST(Manifest, RoundTripAndRefusals) {
  BackupManifest m;
  m.created = 1700000000;
  m.entries.push_back({true, "store", 4096, std::string(64, 'a'), 0600});
  m.entries.push_back({false, "tls/key.pem", 3, std::string(64, 'b'), 0400});
  auto back = parse_manifest(format_manifest(m));
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->entries.size(), 2u);
  EXPECT_EQ(back->entries[1].name, "tls/key.pem");
  EXPECT_EQ(back->entries[1].mode, 0400u);
  EXPECT_EQ(back->created, 1700000000);
  const std::string head = "mailsuite-backup 1\n";
  EXPECT_FALSE(parse_manifest("something else\n").ok());
  EXPECT_FALSE(
      parse_manifest(head + "file ../etc/passwd 1 " + std::string(64, 'a') + " 600\n").ok());
  EXPECT_FALSE(parse_manifest(head + "file /etc/passwd 1 " + std::string(64, 'a') + " 600\n").ok());
  EXPECT_FALSE(parse_manifest(head + "lmdb a/b 1 " + std::string(64, 'a') + "\n").ok());
  EXPECT_FALSE(parse_manifest(head + "lmdb store 1 abc\n").ok());
  EXPECT_FALSE(parse_manifest(head + "weird x\n").ok());
}

}  // namespace
}  // namespace mail::ctl
