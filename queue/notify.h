// The "new mail" nudge from smtpd (and mailctl) to queued: one byte sent to queued's
// AF_UNIX datagram socket so it delivers at once instead of at its next periodic scan.
// Trusts the path from the configuration.
#pragma once

#include <filesystem>

namespace mail::queue {

// Never blocks and never fails: if queued is down or its socket buffer is full the nudge
// is dropped, and queued's periodic scan of the spool finds the message anyway.
void notify_new_mail(const std::filesystem::path& socket_path);

}  // namespace mail::queue
