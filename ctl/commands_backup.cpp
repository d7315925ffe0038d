// mailctl backup DIR / restore DIR (ctl/backup.h): a consistent hot copy of the data
// directory while the daemons run, and its restore into a stopped deployment.
#include <cstdio>

#include "ctl/backup.h"
#include "ctl/commands.h"

namespace mail::ctl {
namespace {

void summary(const char* verb, const BackupManifest& m, const std::string& where) {
  uint64_t octets = 0;
  size_t environments = 0, files = 0;
  for (const auto& e : m.entries) {
    octets += e.size;
    (e.lmdb ? environments : files)++;
  }
  std::printf("%s %zu environments and %zu files (%llu octets) %s\n", verb, environments, files,
              static_cast<unsigned long long>(octets), where.c_str());
  for (const auto& e : m.entries)
    std::printf("  %s %s %llu\n", e.lmdb ? "lmdb" : "file", e.name.c_str(),
                static_cast<unsigned long long>(e.size));
}

}  // namespace

Result<void> backup(const Invocation& inv) {
  auto m = backup_data_dir(inv.config.server.data_dir, inv.operands[0]);
  if (!m) return m.error();
  summary("backed up", *m, "to " + inv.operands[0]);
  return {};
}

Result<void> restore(const Invocation& inv) {
  RestoreOptions options;
  options.replace = inv.has("replace");
  auto m = restore_data_dir(inv.operands[0], inv.config.server.data_dir, options);
  if (!m) return m.error();
  summary("restored", *m, "into " + inv.config.server.data_dir.string());
  return {};
}

}  // namespace mail::ctl
