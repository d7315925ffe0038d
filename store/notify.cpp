// Change notices between processes over AF_UNIX datagram sockets (see notify.h).
// SECURITY: the directory is mode 0700 inside the data directory; a datagram carries only
// mailbox ids, which a listener treats as hints to refresh (never trusted for content).
#include "store/notify.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/codec.h"

namespace mail::store {
namespace {

constexpr uint8_t kNoticeVersion = 1;
constexpr std::string_view kSuffix = ".sock";
constexpr int64_t kSettledNs = 100'000'000;  // a directory change older than this is final

bool make_address(const std::filesystem::path& path, sockaddr_un& addr, socklen_t& len) {
  const std::string& s = path.native();
  if (s.size() >= sizeof(addr.sun_path)) return false;
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, s.data(), s.size());
  len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + s.size() + 1);
  return true;
}

// How many datagrams the kernel queues on a receiving socket (max_dgram_qlen, and the
// receive buffer at about 1 KiB of accounting per small datagram), for drain's overflow.
size_t queue_limit(int fd) {
  size_t qlen = 10;
  std::ifstream in("/proc/sys/net/unix/max_dgram_qlen");
  if (size_t v = 0; in >> v && v > 0) qlen = v;
  int rcvbuf = 0;
  socklen_t len = sizeof rcvbuf;
  if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len) == 0 && rcvbuf > 0)
    qlen = std::min(qlen, static_cast<size_t>(rcvbuf) / 1024);
  return std::max<size_t>(qlen, 1);
}

}  // namespace

std::string encode_change_notice(std::span<const uint64_t> mailbox_ids) {
  Encoder e;
  e.u8(kNoticeVersion);
  for (size_t i = 0; i < mailbox_ids.size() && i < kMaxIdsPerNotice; ++i) e.u64(mailbox_ids[i]);
  return std::move(e).bytes();
}

std::optional<std::vector<uint64_t>> decode_change_notice(std::string_view datagram) {
  if (datagram.empty() || static_cast<uint8_t>(datagram[0]) != kNoticeVersion) return std::nullopt;
  datagram.remove_prefix(1);
  if (datagram.size() % 8 != 0 || datagram.size() / 8 > kMaxIdsPerNotice) return std::nullopt;
  std::vector<uint64_t> ids;
  Decoder d(datagram);
  while (!d.at_end()) ids.push_back(d.u64());
  return ids;
}

// ---- ChangeNotifier ----

ChangeNotifier::ChangeNotifier(std::filesystem::path dir) : dir_(std::move(dir)) {
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

ChangeNotifier::~ChangeNotifier() {
  if (fd_ >= 0) ::close(fd_);
}

size_t ChangeNotifier::listeners() const {
  std::lock_guard lock(mutex_);
  return sockets_.size();
}

void ChangeNotifier::refresh_listing() {
  struct stat st {};
  if (::stat(dir_.c_str(), &st) != 0) {
    sockets_.clear();
    listed_mtime_ns_ = -1;
    return;
  }
  int64_t mtime = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  if (mtime == listed_mtime_ns_) return;
  // File times advance in clock ticks (a few ms): a socket bound later within the tick of
  // this listing would leave the mtime unchanged. So a listing taken while the change is
  // that recent is not trusted for later calls (as git does with its racy index).
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  int64_t now_ns = int64_t{now.tv_sec} * 1000000000 + now.tv_nsec;
  listed_mtime_ns_ = now_ns - mtime < kSettledNs ? -1 : mtime;
  sockets_.clear();
  DIR* d = ::opendir(dir_.c_str());
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    std::string_view name(e->d_name);
    if (name.size() > kSuffix.size() && name.ends_with(kSuffix))
      sockets_.push_back((dir_ / name).native());
  }
  ::closedir(d);
}

void ChangeNotifier::notify(std::span<const uint64_t> mailbox_ids) {
  if (fd_ < 0 || mailbox_ids.empty()) return;
  std::vector<std::string> notices;
  for (size_t i = 0; i < mailbox_ids.size(); i += kMaxIdsPerNotice)
    notices.push_back(encode_change_notice(mailbox_ids.subspan(i)));
  std::lock_guard lock(mutex_);
  refresh_listing();
  std::vector<std::pair<std::string, bool>> gone;  // path, nobody bound to it
  for (const std::string& path : sockets_) {
    sockaddr_un addr;
    socklen_t len;
    if (!make_address(path, addr, len)) continue;
    for (const std::string& n : notices) {
      ssize_t rc = ::sendto(fd_, n.data(), n.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                            reinterpret_cast<const sockaddr*>(&addr), len);
      if (rc >= 0) continue;
      // Nobody bound: its process died without unlinking. EAGAIN: its queue is full (the
      // listener sees that as overflow). Anything else: give up on it for this notice.
      if (errno == ECONNREFUSED || errno == ENOENT) gone.emplace_back(path, errno == ECONNREFUSED);
      break;
    }
  }
  for (const auto& [path, dead] : gone) {
    if (dead) ::unlink(path.c_str());
    std::erase(sockets_, path);
  }
}

// ---- ChangeListener ----

Result<std::unique_ptr<ChangeListener>> ChangeListener::open(const std::filesystem::path& dir) {
  static std::atomic<unsigned> counter{0};
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(ErrorKind::Temporary, "create " + dir.string() + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  std::filesystem::path path =
      dir / (std::to_string(::getpid()) + "." + std::to_string(counter++) + std::string(kSuffix));
  sockaddr_un addr;
  socklen_t len;
  if (!make_address(path, addr, len))
    return make_error(ErrorKind::Invalid, "notify socket path too long: " + path.string());
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(ErrorKind::Temporary, std::string("socket: ") + strerror(errno));
  ::unlink(path.c_str());  // left by an earlier process that had our pid
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), len) != 0) {
    int err = errno;
    ::close(fd);
    return make_error(ErrorKind::Temporary, "bind " + path.string() + ": " + strerror(err));
  }
  size_t limit = queue_limit(fd);
  return std::unique_ptr<ChangeListener>(new ChangeListener(fd, std::move(path), limit));
}

ChangeListener::~ChangeListener() {
  ::close(fd_);
  ::unlink(path_.c_str());
}

ChangeListener::Notices ChangeListener::drain() {
  Notices out;
  char buf[1 + 8 * kMaxIdsPerNotice + 1];
  size_t datagrams = 0;
  for (;;) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;  // EAGAIN: nothing more pending
    }
    ++datagrams;
    auto ids = decode_change_notice(std::string_view(buf, static_cast<size_t>(n)));
    if (ids) out.mailboxes.insert(out.mailboxes.end(), ids->begin(), ids->end());
  }
  out.overflow = datagrams >= queue_limit_;
  std::sort(out.mailboxes.begin(), out.mailboxes.end());
  out.mailboxes.erase(std::unique(out.mailboxes.begin(), out.mailboxes.end()), out.mailboxes.end());
  return out;
}

}  // namespace mail::store
