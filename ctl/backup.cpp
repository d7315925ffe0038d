// Hot backups and restores of the data directory; see backup.h for the guarantees and the
// MANIFEST format. Trusts the data directory it is pointed at; checks a backup's files
// against their MANIFEST before restoring anything.
#include "ctl/backup.h"

#include <fcntl.h>
#include <lmdb.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "common/lmdb.h"

namespace mail::ctl {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kManifest = "MANIFEST";
constexpr std::string_view kMagic = "mailsuite-backup 1";
constexpr std::string_view kAside = ".before-restore-";

Error io_error(std::string what) {
  return make_error(ErrorKind::Temporary, what + ": " + std::strerror(errno));
}

Result<void> fsync_path(const fs::path& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return io_error("open " + path.string());
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return io_error("fsync " + path.string());
  return {};
}

Result<std::string> sha256_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("read " + path.string());
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return io_error("read " + path.string());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

Result<BackupEntry> describe(const fs::path& file, bool lmdb, std::string name, unsigned mode) {
  std::error_code ec;
  BackupEntry e;
  e.lmdb = lmdb;
  e.name = std::move(name);
  e.mode = mode;
  e.size = fs::file_size(file, ec);
  if (ec) return make_error(ErrorKind::Temporary, "size of " + file.string() + ": " + ec.message());
  auto sum = sha256_file(file);
  if (!sum) return sum.error();
  e.sha256 = *sum;
  return e;
}

struct EnvHandle {
  MDB_env* env = nullptr;
  ~EnvHandle() {
    if (env) mdb_env_close(env);
  }
};

// Opens an environment read-only: a reader among the daemons' readers, never a writer.
Result<void> open_read_only(EnvHandle& h, const fs::path& dir) {
  if (int rc = mdb_env_create(&h.env); rc != 0) return lmdb::to_error(rc, "mdb_env_create");
  mdb_env_set_maxdbs(h.env, 64);
  if (int rc = mdb_env_open(h.env, dir.c_str(), MDB_RDONLY, 0600); rc != 0) {
    mdb_env_close(h.env);
    h.env = nullptr;
    return lmdb::to_error(rc, "open " + dir.string());
  }
  return {};
}

// The environments directly under data_dir (directories holding data.mdb), the queue
// first and the store second (see backup.h), then the others by name.
std::vector<std::string> environments(const fs::path& data_dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(data_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find(kAside) != std::string::npos) continue;
    if (entry.is_directory(ec) && fs::is_regular_file(entry.path() / "data.mdb", ec))
      names.push_back(name);
  }
  auto rank = [](const std::string& n) { return n == "queue" ? 0 : n == "store" ? 1 : 2; };
  std::sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
    return rank(a) != rank(b) ? rank(a) < rank(b) : a < b;
  });
  return names;
}

Result<void> copy_environment(const fs::path& from, const fs::path& to) {
  EnvHandle h;
  if (auto r = open_read_only(h, from); !r) return r;
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) return make_error(ErrorKind::Temporary, "create " + to.string() + ": " + ec.message());
  for (int attempt = 0;; ++attempt) {
    int rc = mdb_env_copy2(h.env, to.c_str(), MDB_CP_COMPACT);
    if (rc == 0) break;
    fs::remove(to / "data.mdb", ec);
    // Another process grew the map since we opened it: adopt its size and copy again.
    if (rc == MDB_MAP_RESIZED && attempt < 3) {
      mdb_env_set_mapsize(h.env, 0);
      continue;
    }
    return lmdb::to_error(rc, "copy " + from.string());
  }
  return fsync_path(to / "data.mdb", false);
}

Result<void> copy_file(const fs::path& from, const fs::path& to, unsigned mode) {
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  if (ec) return make_error(ErrorKind::Temporary, "create " + to.parent_path().string());
  const fs::path tmp = to.string() + ".partial";
  fs::remove(tmp, ec);
  if (!fs::copy_file(from, tmp, fs::copy_options::overwrite_existing, ec))
    return make_error(ErrorKind::Temporary, "copy " + from.string() + ": " + ec.message());
  if (::chmod(tmp.c_str(), mode) != 0) return io_error("chmod " + tmp.string());
  if (auto r = fsync_path(tmp, false); !r) return r;
  fs::rename(tmp, to, ec);
  if (ec) return make_error(ErrorKind::Temporary, "rename to " + to.string() + ": " + ec.message());
  return {};
}

// Regular files under data_dir that are not part of an environment, relative paths.
std::vector<std::pair<std::string, unsigned>> plain_files(const fs::path& data_dir) {
  std::vector<std::pair<std::string, unsigned>> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(data_dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    const std::string top = fs::relative(p, data_dir, ec).begin()->string();
    if (top.find(kAside) != std::string::npos) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;  // sockets, links
    const std::string name = p.filename().string();
    if (name == "data.mdb" || name == "lock.mdb" || name.ends_with(".partial")) continue;
    out.emplace_back(fs::relative(p, data_dir, ec).string(), st.st_mode & 07777);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A process that holds the environment open: every one keeps a shared fcntl lock on byte
// 0 of lock.mdb while it is open (LMDB's mdb_env_excl_lock), whether or not it has a
// reader slot at the moment (environments opened with MDB_NOTLS free their slot with each
// read transaction). F_GETLK reports another process's lock only, never ours.
std::optional<long> lock_holder(const fs::path& dir) {
  int fd = ::open((dir / "lock.mdb").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  probe.l_start = 0;
  probe.l_len = 1;
  const int rc = ::fcntl(fd, F_GETLK, &probe);
  ::close(fd);
  if (rc != 0 || probe.l_type == F_UNLCK || probe.l_pid <= 0) return std::nullopt;
  return static_cast<long>(probe.l_pid);
}

// Processes (other than us) that have an environment open: the holders of its lock file
// and those listed in its reader table (after clearing the slots of dead ones).
Result<std::set<long>> live_readers(const fs::path& dir) {
  std::set<long> pids;
  if (auto holder = lock_holder(dir)) pids.insert(*holder);
  EnvHandle h;
  if (auto r = open_read_only(h, dir); !r) return r.error();
  int dead = 0;
  mdb_reader_check(h.env, &dead);
  std::string listing;
  mdb_reader_list(
      h.env,
      [](const char* msg, void* ctx) {
        static_cast<std::string*>(ctx)->append(msg);
        return 0;
      },
      &listing);
  std::istringstream lines(listing);
  std::string line;
  while (std::getline(lines, line)) {
    long pid = 0;
    if (std::sscanf(line.c_str(), "%ld", &pid) == 1 && pid > 0 && pid != ::getpid())
      pids.insert(pid);
  }
  return pids;
}

// Whether a process is bound to the AF_UNIX datagram socket at `path` (queued).
bool socket_answers(const fs::path& path) {
  sockaddr_un addr{};
  if (path.string().size() >= sizeof addr.sun_path) return false;
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool bound = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return bound;
}

bool safe_relative(const std::string& name) {
  fs::path p(name);
  if (name.empty() || p.is_absolute()) return false;
  for (const auto& part : p)
    if (part == ".." || part == ".") return false;
  return true;
}

}  // namespace

std::string format_manifest(const BackupManifest& m) {
  std::ostringstream out;
  out << kMagic << "\ncreated " << m.created << "\n";
  for (const BackupEntry& e : m.entries) {
    if (e.lmdb)
      out << "lmdb " << e.name << " " << e.size << " " << e.sha256 << "\n";
    else
      out << "file " << e.name << " " << e.size << " " << e.sha256 << " " << std::oct << e.mode
          << std::dec << "\n";
  }
  return out.str();
}

Result<BackupManifest> parse_manifest(std::string_view text) {
  BackupManifest m;
  std::istringstream in{std::string(text)};
  std::string line;
  int number = 0;
  auto bad = [&](std::string why) {
    return make_error(ErrorKind::Corrupt,
                      "MANIFEST line " + std::to_string(number) + ": " + std::move(why));
  };
  while (std::getline(in, line)) {
    ++number;
    if (number == 1) {
      if (line != kMagic)
        return bad("not a mailsuite backup (expected \"" + std::string(kMagic) + "\")");
      continue;
    }
    std::istringstream fields(line);
    std::string kind;
    fields >> kind;
    if (kind == "created") {
      if (!(fields >> m.created)) return bad("bad time");
      continue;
    }
    BackupEntry e;
    e.lmdb = kind == "lmdb";
    if (kind != "lmdb" && kind != "file") return bad("unknown record \"" + kind + "\"");
    if (!(fields >> e.name >> e.size >> e.sha256)) return bad("missing fields");
    if (!e.lmdb && !(fields >> std::oct >> e.mode >> std::dec)) return bad("missing mode");
    if (!safe_relative(e.name) || (e.lmdb && e.name.find('/') != std::string::npos))
      return bad("unsafe name \"" + e.name + "\"");
    if (e.sha256.size() != 64) return bad("bad checksum");
    m.entries.push_back(std::move(e));
  }
  if (number == 0) return bad("empty");
  return m;
}

Result<BackupManifest> backup_data_dir(const fs::path& data_dir, const fs::path& target) {
  std::error_code ec;
  if (!fs::is_directory(data_dir, ec))
    return make_error(ErrorKind::NotFound, "no data directory " + data_dir.string());
  const fs::path data_abs = fs::weakly_canonical(data_dir, ec);
  const fs::path target_abs = fs::weakly_canonical(target, ec);
  auto rel = fs::relative(target_abs, data_abs, ec);
  if (!rel.empty() && rel.begin()->string() != "..")
    return make_error(ErrorKind::Invalid, "the backup cannot go inside the data directory");
  if (fs::exists(target, ec) && !fs::is_empty(target, ec))
    return make_error(ErrorKind::Invalid, target.string() + " exists and is not empty");
  fs::create_directories(target, ec);
  if (ec)
    return make_error(ErrorKind::Temporary, "create " + target.string() + ": " + ec.message());
  ::chmod(target.c_str(), 0700);

  BackupManifest m;
  m.created = static_cast<int64_t>(std::time(nullptr));
  for (const std::string& name : environments(data_dir)) {
    if (auto r = copy_environment(data_dir / name, target / name); !r) return r.error();
    auto e = describe(target / name / "data.mdb", true, name, 0600);
    if (!e) return e.error();
    m.entries.push_back(std::move(*e));
  }
  for (const auto& [name, mode] : plain_files(data_dir)) {
    if (auto r = copy_file(data_dir / name, target / "files" / name, mode); !r) return r.error();
    auto e = describe(target / "files" / name, false, name, mode);
    if (!e) return e.error();
    m.entries.push_back(std::move(*e));
  }
  const fs::path manifest = target / std::string(kManifest);
  {
    std::ofstream out(manifest.string() + ".partial", std::ios::binary | std::ios::trunc);
    out << format_manifest(m);
    if (!out.flush()) return io_error("write " + manifest.string());
  }
  if (auto r = fsync_path(manifest.string() + ".partial", false); !r) return r.error();
  fs::rename(manifest.string() + ".partial", manifest, ec);
  if (ec) return make_error(ErrorKind::Temporary, "rename " + manifest.string());
  if (auto r = fsync_path(target, true); !r) return r.error();
  return m;
}

Result<BackupManifest> restore_data_dir(const fs::path& source, const fs::path& data_dir,
                                        const RestoreOptions& options) {
  std::ifstream in(source / std::string(kManifest), std::ios::binary);
  if (!in)
    return make_error(ErrorKind::NotFound, "no MANIFEST in " + source.string() +
                                               " (not a backup, or an unfinished one)");
  std::stringstream text;
  text << in.rdbuf();
  auto m = parse_manifest(text.str());
  if (!m) return m.error();

  // 1. The backup is whole: every file has its size and checksum.
  auto source_of = [&](const BackupEntry& e) {
    return e.lmdb ? source / e.name / "data.mdb" : source / "files" / e.name;
  };
  for (const BackupEntry& e : m->entries) {
    auto now = describe(source_of(e), e.lmdb, e.name, e.mode);
    if (!now) return now.error();
    if (now->size != e.size || now->sha256 != e.sha256)
      return make_error(ErrorKind::Corrupt,
                        source_of(e).string() + " does not match the MANIFEST (damaged backup)");
  }

  // 2. Nothing runs on the data directory.
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (socket_answers(data_dir / "queued.sock"))
    return make_error(ErrorKind::Invalid,
                      "queued is running on " + data_dir.string() + ": stop the daemons first");
  for (const std::string& name : environments(data_dir)) {
    auto pids = live_readers(data_dir / name);
    if (!pids) return pids.error();
    if (!pids->empty())
      return make_error(ErrorKind::Invalid,
                        data_dir.string() + "/" + name + " is open in process " +
                            std::to_string(*pids->begin()) + ": stop the daemons first");
  }

  // 3. Existing environments and files: refuse, or move them aside.
  const std::string aside = std::string(kAside) + std::to_string(std::time(nullptr));
  std::set<std::string> tops;
  for (const BackupEntry& e : m->entries) tops.insert(fs::path(e.name).begin()->string());
  for (const std::string& top : tops) {
    const fs::path existing = data_dir / top;
    if (!fs::exists(existing, ec)) continue;
    if (!options.replace)
      return make_error(ErrorKind::Invalid, existing.string() +
                                                " exists: restore into an empty data directory, or "
                                                "give --replace to move what is there aside");
    fs::rename(existing, existing.string() + aside, ec);
    if (ec) return make_error(ErrorKind::Temporary, "move aside " + existing.string());
  }

  // 4. Copy, each file through a temporary name, synced.
  for (const BackupEntry& e : m->entries) {
    if (e.lmdb) {
      fs::create_directories(data_dir / e.name, ec);
      ::chmod((data_dir / e.name).c_str(), 0700);
      if (auto r = copy_file(source_of(e), data_dir / e.name / "data.mdb", 0600); !r)
        return r.error();
      if (auto r = fsync_path(data_dir / e.name, true); !r) return r.error();
      // The copy opens as an environment (its meta pages are sound).
      EnvHandle h;
      if (auto r = open_read_only(h, data_dir / e.name); !r) return r.error();
    } else {
      if (auto r = copy_file(source_of(e), data_dir / e.name, e.mode); !r) return r.error();
    }
  }
  if (auto r = fsync_path(data_dir, true); !r) return r.error();
  return m;
}

}  // namespace mail::ctl
