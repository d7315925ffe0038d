// notify_new_mail(): a best-effort one-byte datagram to queued (see notify.h).
#include "queue/notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace mail::queue {

void notify_new_mail(const std::filesystem::path& socket_path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string& path = socket_path.native();
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) return;
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  const char byte = 1;
  // Errors (ENOENT, ECONNREFUSED, EAGAIN) are ignored on purpose; see notify.h.
  (void)::sendto(fd, &byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr),
                 sizeof(addr));
  ::close(fd);
}

}  // namespace mail::queue
