// Dropping root (docs/security.md, "What runs as which user"). A daemon started as root
// binds its listeners (ports below 1024), opens its stores and reads its TLS key, then
// calls drop_privileges() before it serves anyone: sessions never run as root unless
// server.allow_root says so.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/config.h"
#include "common/result.h"

namespace mail {

struct RunAs {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user;
  std::string group;
};

// What drop_privileges() did.
enum class PrivilegeOutcome {
  NotRoot,     // started unprivileged: nothing to drop, server.user is ignored
  StayedRoot,  // server.user is "" or "root" and server.allow_root is set
  Dropped,     // now running as server.user:server.group
};

// Resolves server.user / server.group (group "": the user's primary group).
Result<RunAs> resolve_run_as(const ServerConfig& server);

// Started as root, with server.user set:
//  1. gives server.data_dir and everything in it to user:group (lchown, no symlinks
//     followed), so the stores stay writable after the switch;
//  2. makes tls.cert_file and tls.key_file readable for the group when the user could
//     not read them and their group is root's (chgrp, g+r; other owners are left alone
//     and get a warning), so SIGHUP can reload a renewed certificate;
//  3. switches groups (initgroups: the user's supplementary groups, e.g. ssl-cert),
//     gid and uid, and checks that root cannot be regained;
//  4. checks the data directory is usable as that user.
// Started as root with server.user "" (or "root"): Invalid unless server.allow_root.
// Not started as root: nothing changes.
Result<PrivilegeOutcome> drop_privileges(const Config& config);

}  // namespace mail
