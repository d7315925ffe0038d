#include "common/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "common/log.h"

namespace mail {
namespace {

std::string errno_text() {
  return std::strerror(errno);
}

// The user's groups (primary and supplementary), as initgroups() will set them.
std::vector<gid_t> groups_of(const RunAs& who) {
  int n = 64;
  std::vector<gid_t> groups(static_cast<size_t>(n));
  if (getgrouplist(who.user.c_str(), who.gid, groups.data(), &n) < 0) {
    groups.resize(static_cast<size_t>(n));
    getgrouplist(who.user.c_str(), who.gid, groups.data(), &n);
  }
  groups.resize(static_cast<size_t>(n));
  return groups;
}

bool readable_by(const struct stat& st, const RunAs& who, const std::vector<gid_t>& groups) {
  if (st.st_uid == who.uid) return st.st_mode & S_IRUSR;
  for (gid_t g : groups)
    if (g == st.st_gid) return st.st_mode & S_IRGRP;
  return st.st_mode & S_IROTH;
}

Result<void> give_data_dir(const std::filesystem::path& dir, const RunAs& who) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return make_error(ErrorKind::Temporary, "create " + dir.string() + ": " + ec.message());
  }
  if (::lchown(dir.c_str(), who.uid, who.gid) != 0)
    return make_error(ErrorKind::Temporary, "chown " + dir.string() + ": " + errno_text());
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (::lchown(it->path().c_str(), who.uid, who.gid) != 0)
      return make_error(ErrorKind::Temporary, "chown " + it->path().string() + ": " + errno_text());
  }
  if (ec) return make_error(ErrorKind::Temporary, "read " + dir.string() + ": " + ec.message());
  return {};
}

// A TLS file the user cannot read: when its group is root's, hand the group to the user
// (chgrp, g+r; the owner keeps its access). Anything else is the administrator's choice,
// so only say what will not work.
void make_tls_file_readable(const std::filesystem::path& file, const RunAs& who,
                            const std::vector<gid_t>& groups) {
  struct stat st {};
  if (file.empty() || ::stat(file.c_str(), &st) != 0) return;
  if (readable_by(st, who, groups)) return;
  if (st.st_gid == 0 && ::chown(file.c_str(), static_cast<uid_t>(-1), who.gid) == 0 &&
      ::chmod(file.c_str(), (st.st_mode & 07777) | S_IRGRP) == 0) {
    log::info("tls_file_group_readable").kv("file", file.string()).kv("group", who.group);
    return;
  }
  log::warn("tls_file_unreadable")
      .kv("file", file.string())
      .kv("user", who.user)
      .kv("hint", "SIGHUP cannot reload it: make it readable by the user or one of its groups");
}

}  // namespace

Result<RunAs> resolve_run_as(const ServerConfig& server) {
  RunAs who;
  std::vector<char> buf(16384);
  passwd pw{}, *pw_found = nullptr;
  if (getpwnam_r(server.user.c_str(), &pw, buf.data(), buf.size(), &pw_found) != 0 || !pw_found)
    return make_error(ErrorKind::Invalid, "server.user: no such user \"" + server.user + "\"");
  who.user = server.user;
  who.uid = pw.pw_uid;
  who.gid = pw.pw_gid;
  if (server.group.empty()) {
    group gr{}, *gr_found = nullptr;
    who.group = (getgrgid_r(who.gid, &gr, buf.data(), buf.size(), &gr_found) == 0 && gr_found)
                    ? gr.gr_name
                    : std::to_string(who.gid);
    return who;
  }
  group gr{}, *gr_found = nullptr;
  if (getgrnam_r(server.group.c_str(), &gr, buf.data(), buf.size(), &gr_found) != 0 || !gr_found)
    return make_error(ErrorKind::Invalid, "server.group: no such group \"" + server.group + "\"");
  who.group = server.group;
  who.gid = gr.gr_gid;
  return who;
}

Result<PrivilegeOutcome> drop_privileges(const Config& config) {
  const ServerConfig& server = config.server;
  if (::geteuid() != 0) {
    log::info("privileges")
        .kv("uid", static_cast<uint64_t>(::getuid()))
        .kv("note", "not started as root; server.user not applied");
    return PrivilegeOutcome::NotRoot;
  }
  const bool stay_root = server.user.empty() || server.user == "root";
  if (stay_root) {
    if (!server.allow_root)
      return make_error(ErrorKind::Invalid,
                        "refusing to serve as root: set server.user to an unprivileged user "
                        "(default \"mail\"), or server.allow_root = true");
    log::warn("running_as_root").kv("reason", "server.allow_root");
    return PrivilegeOutcome::StayedRoot;
  }
  auto who = resolve_run_as(server);
  if (!who) return who.error();
  if (who->uid == 0 && !server.allow_root)
    return make_error(ErrorKind::Invalid, "server.user \"" + who->user + "\" is root (uid 0)");

  if (auto r = give_data_dir(server.data_dir, *who); !r) return r.error();
  const auto groups = groups_of(*who);
  make_tls_file_readable(config.tls.cert_file, *who, groups);
  make_tls_file_readable(config.tls.key_file, *who, groups);

  // Groups first: after setuid() we could no longer change them.
  if (::initgroups(who->user.c_str(), who->gid) != 0)
    return make_error(ErrorKind::Invalid, "initgroups(" + who->user + "): " + errno_text());
  if (::setgid(who->gid) != 0)
    return make_error(ErrorKind::Invalid,
                      "setgid(" + std::to_string(who->gid) + "): " + errno_text());
  if (::setuid(who->uid) != 0)
    return make_error(ErrorKind::Invalid,
                      "setuid(" + std::to_string(who->uid) + "): " + errno_text());
  if (who->uid != 0 && (::setuid(0) == 0 || ::geteuid() == 0))
    return make_error(ErrorKind::Invalid, "root privileges could be regained after setuid");

  if (::access(server.data_dir.c_str(), R_OK | W_OK | X_OK) != 0)
    return make_error(ErrorKind::Invalid,
                      "data_dir " + server.data_dir.string() + " is not usable by user " +
                          who->user + " (" + errno_text() +
                          "): its parent directories must be searchable by that user");
  log::info("privileges")
      .kv("user", who->user)
      .kv("uid", static_cast<uint64_t>(who->uid))
      .kv("group", who->group)
      .kv("gid", static_cast<uint64_t>(who->gid));
  return PrivilegeOutcome::Dropped;
}

}  // namespace mail
