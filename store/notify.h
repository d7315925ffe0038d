// Change notification across processes, beside the store: after every committed write the
// store (in whichever process wrote: queued, imapd, pop3d, mailctl) sends one small
// datagram naming the mailboxes it changed to every listener; a listening process (imapd)
// learns within microseconds which mailboxes to refresh, without polling.
//
// Each listening process binds an AF_UNIX datagram socket in the notify directory
// (StoreOptions::notify_dir, `<data_dir>/store/notify`, mode 0700), named
// "<pid>.<n>.sock". A writer lists the directory (re-read only when its mtime changes) and
// sends to each socket without blocking. A socket nobody is bound to any more (its process
// died) is removed by the first writer that finds it (ECONNREFUSED). Notices carry ids
// only, never content.
//
// Delivery is lossy by design: a listener whose queue is full (net.unix.max_dgram_qlen,
// 10 by default) misses a notice. It can tell: a drain that finds the queue full reports
// `overflow`, and the listener then refreshes every mailbox it watches (cheap with
// MailStore::changes_since), so no change goes unseen.
//
// Datagram (version 1): u8 version, then up to kMaxIdsPerNotice u64 mailbox ids,
// big-endian. decode_change_notice is pure and takes untrusted bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mail::store {

constexpr size_t kMaxIdsPerNotice = 64;

// Not a mailbox id (those start at 1): "some account's subscriptions changed" (SUBSCRIBE,
// UNSUBSCRIBE), for IMAP NOTIFY's SubscriptionChange (RFC 5465 section 5.5). A listener
// that cares re-reads the subscriptions of the accounts it serves.
constexpr uint64_t kSubscriptionsNotice = 0;

// Encodes at most kMaxIdsPerNotice ids (the caller splits longer lists).
std::string encode_change_notice(std::span<const uint64_t> mailbox_ids);
// nullopt for anything that is not a well-formed version-1 notice.
std::optional<std::vector<uint64_t>> decode_change_notice(std::string_view datagram);

// The sending side, one per open store. Thread-safe; never blocks, never fails (a notice
// that cannot be sent is dropped).
class ChangeNotifier {
 public:
  explicit ChangeNotifier(std::filesystem::path dir);
  ~ChangeNotifier();
  ChangeNotifier(const ChangeNotifier&) = delete;
  ChangeNotifier& operator=(const ChangeNotifier&) = delete;

  void notify(std::span<const uint64_t> mailbox_ids);
  // Sockets notified by the last call (for tests).
  size_t listeners() const;

 private:
  void refresh_listing();
  std::filesystem::path dir_;
  int fd_ = -1;
  mutable std::mutex mutex_;
  std::vector<std::string> sockets_;
  int64_t listed_mtime_ns_ = -1;
};

// The receiving side: binds a socket in `dir` (created 0700 when missing). The socket is
// non-blocking; wait for it to be readable (poll, epoll, Asio: store/notify_asio.h), then
// drain(). The destructor closes and unlinks it.
class ChangeListener {
 public:
  static Result<std::unique_ptr<ChangeListener>> open(const std::filesystem::path& dir);
  ~ChangeListener();
  ChangeListener(const ChangeListener&) = delete;
  ChangeListener& operator=(const ChangeListener&) = delete;

  int fd() const { return fd_; }
  const std::filesystem::path& path() const { return path_; }
  // Reads every pending notice without blocking (malformed datagrams are ignored).
  struct Notices {
    std::vector<uint64_t> mailboxes;  // sorted, without duplicates
    // The queue was full: notices may have been dropped; refresh everything watched.
    bool overflow = false;
  };
  Notices drain();

 private:
  ChangeListener(int fd, std::filesystem::path path, size_t queue_limit)
      : fd_(fd), path_(std::move(path)), queue_limit_(queue_limit) {}
  int fd_;
  std::filesystem::path path_;
  size_t queue_limit_;  // datagrams the kernel queues for us before senders get EAGAIN
};

}  // namespace mail::store
