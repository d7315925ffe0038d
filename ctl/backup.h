// Backups of a data directory (mailctl backup DIR / mailctl restore DIR).
//
// backup: every LMDB environment directly under data_dir (store/, queue/, directory/, and
// whatever else a daemon keeps there) is copied with mdb_env_copy2(MDB_CP_COMPACT): one
// read transaction per environment, so each copy is a consistent snapshot taken while
// the daemons run and keep writing (no lock blocks them). The queue is copied before the
// store: a message delivered between the two snapshots is then in both copies, and after
// a restore queued delivers it again into a store that already holds its idempotency key
// (store::Delivery::key), so nothing is lost and nothing doubles. Other regular files
// under data_dir (a certificate and key kept there, DKIM keys) are copied as they are;
// sockets and LMDB lock files are not. A MANIFEST (format below) is written last, with
// each file's size and SHA-256: a backup without it is incomplete.
//
// restore: into a stopped deployment. Refuses while a process still has an environment
// open (LMDB's reader table names live processes) or queued's socket answers; refuses to
// overwrite existing environments unless `replace`, which moves them aside to
// NAME.before-restore-TIME (nothing is deleted). Every file is checked against the
// MANIFEST before anything in data_dir changes.
//
// MANIFEST, one record per line, fields separated by one space:
//   mailsuite-backup 1
//   created <unix seconds>
//   lmdb <name> <octets> <sha256 hex>      (the environment's compacted data.mdb)
//   file <relative path> <octets> <sha256 hex> <octal mode>
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"

namespace mail::ctl {

struct BackupEntry {
  bool lmdb = false;
  std::string name;  // environment name, or a path relative to data_dir
  uint64_t size = 0;
  std::string sha256;
  unsigned mode = 0600;  // files only
};

struct BackupManifest {
  int64_t created = 0;
  std::vector<BackupEntry> entries;
};

// Copies data_dir into `target` (which must not exist, or be an empty directory).
Result<BackupManifest> backup_data_dir(const std::filesystem::path& data_dir,
                                       const std::filesystem::path& target);

struct RestoreOptions {
  bool replace = false;  // move existing environments and files aside instead of refusing
};

// Restores a backup made by backup_data_dir() into data_dir.
Result<BackupManifest> restore_data_dir(const std::filesystem::path& source,
                                        const std::filesystem::path& data_dir,
                                        const RestoreOptions& options);

// Parses MANIFEST text (exposed for tests).
Result<BackupManifest> parse_manifest(std::string_view text);
std::string format_manifest(const BackupManifest& manifest);

}  // namespace mail::ctl
