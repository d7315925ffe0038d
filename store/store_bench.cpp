// store_bench: measures the store calls an IMAP session depends on (not a test; prints
// figures). Build: cmake --build build --target store_bench.
//
//   store_bench select [MESSAGES]   (default 100000) fills one mailbox, then times what
//                                   SELECT needs, positions, changes since, iteration,
//                                   and the old whole-mailbox messages() for comparison
//   store_bench notify [COUNT]      (default 300) a listener in another process; times
//                                   delivery (commit + fsync + notice) to its wake-up
//
// Runs in a temporary directory under $TMPDIR (or /tmp), removed at the end.
#include <poll.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/mail_store.h"
#include "store/notify.h"

namespace {

using namespace mail::store;
using Clock = std::chrono::steady_clock;

double us_since(Clock::time_point t) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t).count();
}

int64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// "name: median X us, p99 Y us, max Z us (n runs)"
void report(const char* name, std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) { return samples[static_cast<size_t>(q * (samples.size() - 1))]; };
  std::printf("%-44s median %9.1f us   p99 %9.1f us   max %9.1f us   (%zu runs)\n", name, at(0.5),
              at(0.99), samples.back(), samples.size());
}

template <typename F>
void time_runs(const char* name, int runs, F&& f) {
  std::vector<double> samples;
  for (int i = 0; i < runs; ++i) {
    auto t = Clock::now();
    f(i);
    samples.push_back(us_since(t));
  }
  report(name, std::move(samples));
}

[[noreturn]] void die(const char* what, const mail::Error& e) {
  std::fprintf(stderr, "store_bench: %s: %s\n", what, e.message.c_str());
  std::exit(1);
}

template <typename T>
T must(mail::Result<T> r, const char* what) {
  if (!r) die(what, r.error());
  return std::move(r).value();
}
void must(mail::Result<void> r, const char* what) {
  if (!r) die(what, r.error());
}

std::filesystem::path temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base ? base : "/tmp") + "/store_bench.XXXXXX";
  if (!mkdtemp(tmpl.data())) std::exit(1);
  return tmpl;
}

std::string message(size_t i, size_t size) {
  std::string m = "From: sender" + std::to_string(i % 97) + "@example.org\r\nSubject: message " +
                  std::to_string(i) + "\r\n\r\n";
  while (m.size() + 2 < size) m += "Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n";
  return m;
}

int bench_select(size_t count) {
  auto dir = temp_dir();
  StoreOptions options;
  options.map_size = size_t{8} << 30;
  auto store = must(open_lmdb_store(dir, options), "open");
  must(store->create_account("a@x.org"), "account");
  const uint64_t inbox = must(store->mailbox("a@x.org", "INBOX"), "inbox").id;

  // Fill: 2-4 KiB messages, each with a 200-octet summary; all \Seen except every 100th
  // message of the second half (so the first unseen one is in the middle).
  auto fill = Clock::now();
  std::string summary(200, 's');
  for (size_t done = 0; done < count;) {
    size_t n = std::min<size_t>(1000, count - done);
    std::vector<std::string> bodies;
    for (size_t i = 0; i < n; ++i) bodies.push_back(message(done + i, 2048 + (done + i) % 2048));
    std::vector<IncomingMessage> batch;
    for (size_t i = 0; i < n; ++i) {
      size_t k = done + i;
      Delivery d{"a@x.org", "INBOX", Flags{(k > count / 2 && k % 100 == 0) ? 0u : kSeen, {}}, {}};
      batch.push_back(
          IncomingMessage{bodies[i], 1700000000 + static_cast<int64_t>(k), {d}, summary});
    }
    must(store->deliver_batch(batch), "deliver");
    done += n;
  }
  std::printf("filled %zu messages in %.1f s\n\n", count, us_since(fill) / 1e6);

  std::mt19937 rng(1);
  uint32_t first_unseen_pos = 0;
  // SELECT: the mailbox record (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, EXISTS, FLAGS) and
  // the first unseen message's position, in one snapshot.
  time_runs("SELECT (mailbox + first unseen position)", 2000, [&](int) {
    auto info = must(store->mailbox("a@x.org", "INBOX"), "mailbox");
    must(store->read(info.id,
                     [&](MailboxView& v) -> mail::Result<void> {
                       auto uid = v.first_unseen();
                       if (!uid) return uid.error();
                       if (*uid) {
                         auto pos = v.position_of(**uid);
                         if (!pos) return pos.error();
                         first_unseen_pos = **pos;
                       }
                       return {};
                     }),
         "select");
  });
  std::printf("  (first unseen at position %u of %zu)\n", first_unseen_pos, count);

  MailboxInfo info = must(store->mailbox("a@x.org", "INBOX"), "mailbox");
  auto view_runs = [&](const char* name, int runs,
                       const std::function<void(MailboxView&, std::mt19937&)>& fn) {
    std::vector<double> samples;
    must(store->read(inbox,
                     [&](MailboxView& v) -> mail::Result<void> {
                       for (int i = 0; i < runs; ++i) {
                         auto t = Clock::now();
                         fn(v, rng);
                         samples.push_back(us_since(t));
                       }
                       return {};
                     }),
         name);
    report(name, std::move(samples));
  };
  auto random_pos = [&](std::mt19937& r) {
    return std::uniform_int_distribution<uint32_t>(1, info.messages)(r);
  };
  view_runs("uid_at(random position)", 5000, [&](MailboxView& v, std::mt19937& r) {
    (void)must(v.uid_at(random_pos(r)), "uid_at");
  });
  view_runs("position_of(random uid)", 5000, [&](MailboxView& v, std::mt19937& r) {
    (void)must(v.position_of(std::uniform_int_distribution<uint32_t>(1, info.uid_next - 1)(r)),
               "position_of");
  });
  view_runs("uid_at(last) for '*'", 5000,
            [&](MailboxView& v, std::mt19937&) { (void)must(v.uid_at(info.messages), "uid_at"); });

  // A session's refresh after 10 flag changes by someone else.
  std::vector<uint32_t> uids;
  for (int i = 0; i < 10; ++i)
    uids.push_back(std::uniform_int_distribution<uint32_t>(1, info.uid_next - 1)(rng));
  uint64_t before = info.highest_modseq;
  must(store->store_flags(inbox, uids, FlagOp::Add, Flags{kFlagged, {}}), "flags");
  time_runs("changes_since (10 changes)", 2000,
            [&](int) { (void)must(store->changes_since(inbox, before), "changes"); });

  UidRange all;
  time_runs("for_each 1:* (info only)", 20, [&](int) {
    size_t n = 0;
    must(store->read(inbox,
                     [&](MailboxView& v) {
                       return v.for_each(std::span(&all, 1), kPartInfo, [&](const MessageView&) {
                         ++n;
                         return true;
                       });
                     }),
         "for_each");
  });
  time_runs("for_each 100 messages (body + summary)", 2000, [&](int i) {
    uint32_t first = 1 + static_cast<uint32_t>(i * 37) % (info.uid_next - 101);
    UidRange r{first, first + 99};
    size_t octets = 0;
    must(store->read(inbox,
                     [&](MailboxView& v) {
                       return v.for_each(std::span(&r, 1), kPartBody | kPartSummary,
                                         [&](const MessageView& m) {
                                           octets += m.body.size() + m.summary.size();
                                           return true;
                                         });
                     }),
         "for_each");
  });
  time_runs("messages() (old whole-mailbox vector)", 20,
            [&](int) { (void)must(store->messages(inbox), "messages"); });

  // Expunge 10% scattered (fragments the sequence index), then positions again.
  std::vector<uint32_t> gone;
  for (uint32_t uid = 1; uid < info.uid_next; ++uid)
    if (rng() % 10 == 0) gone.push_back(uid);
  auto t = Clock::now();
  must(store->expunge(inbox, gone), "expunge");
  std::printf("\nexpunged %zu scattered messages in one call: %.1f ms\n", gone.size(),
              us_since(t) / 1000);
  info = must(store->mailbox("a@x.org", "INBOX"), "mailbox");
  view_runs("uid_at(random position) after expunges", 5000, [&](MailboxView& v, std::mt19937& r) {
    (void)must(v.uid_at(random_pos(r)), "uid_at");
  });
  time_runs("deliver one message (commit + fsync)", 50, [&](int i) {
    std::string m = message(count + i, 3000);
    std::vector<Delivery> to{Delivery{"a@x.org", "INBOX", {}, {}}};
    (void)must(store->deliver(to, m, 0), "deliver");
  });
  auto problems = must(store->check(), "check");
  std::printf("store check: %zu problems\n", problems.size());
  store.reset();
  std::filesystem::remove_all(dir);
  return problems.empty() ? 0 : 1;
}

int bench_notify(size_t count) {
  auto dir = temp_dir();
  auto notify_dir = dir / "notify";
  int to_parent[2];
  if (pipe(to_parent) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    // The listener process: wake on the socket, report the wake-up time for each notice.
    auto listener = ChangeListener::open(notify_dir);
    if (!listener) _exit(2);
    int64_t ready = 0;
    if (write(to_parent[1], &ready, sizeof ready) != sizeof ready) _exit(3);
    for (size_t got = 0; got < 2 * count;) {
      pollfd p{(*listener)->fd(), POLLIN, 0};
      if (poll(&p, 1, 5000) != 1) _exit(4);
      int64_t woke = mono_ns();
      auto n = (*listener)->drain();
      if (n.mailboxes.empty() && !n.overflow) continue;
      if (write(to_parent[1], &woke, sizeof woke) != sizeof woke) _exit(3);
      ++got;
    }
    _exit(0);
  }
  int64_t ready = 0;
  if (read(to_parent[0], &ready, sizeof ready) != sizeof ready) return 1;

  StoreOptions options;
  options.map_size = size_t{1} << 30;
  options.notify_dir = notify_dir;
  auto store = must(open_lmdb_store(dir / "store", options), "open");
  must(store->create_account("a@x.org"), "account");
  ChangeNotifier notifier(notify_dir);
  std::vector<double> deliver_us, to_wake_us, notice_us;
  std::string m = message(1, 4096);
  std::vector<uint64_t> ids{1};
  for (size_t i = 0; i < count; ++i) {
    // A delivery: commit, fsync and notice inside deliver().
    int64_t start = mono_ns();
    std::vector<Delivery> to{Delivery{"a@x.org", "INBOX", {}, {}}};
    (void)must(store->deliver(to, m, 0), "deliver");
    int64_t done = mono_ns();
    int64_t woke = 0;
    if (read(to_parent[0], &woke, sizeof woke) != sizeof woke) return 1;
    deliver_us.push_back((done - start) / 1e3);
    to_wake_us.push_back((woke - start) / 1e3);
    // A notice alone (no write): the cost of the channel itself.
    start = mono_ns();
    notifier.notify(ids);
    if (read(to_parent[0], &woke, sizeof woke) != sizeof woke) return 1;
    notice_us.push_back((woke - start) / 1e3);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // about 40 events/s
  }
  int status = 0;
  waitpid(child, &status, 0);
  report("deliver() (commit + fsync + notice)", deliver_us);
  report("deliver() start -> listener awake", to_wake_us);
  report("notice sent -> listener awake (no write)", notice_us);
  store.reset();
  std::filesystem::remove_all(dir);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "select") return bench_select(argc > 2 ? std::stoul(argv[2]) : 100000);
  if (mode == "notify") return bench_notify(argc > 2 ? std::stoul(argv[2]) : 300);
  std::fprintf(stderr, "usage: store_bench select [MESSAGES] | notify [COUNT]\n");
  return 2;
}
