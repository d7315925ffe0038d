// mailctl store commands: `store check` runs the store's own consistency check
// (MailStore::check) and reports its findings, one per line.
#include <cstdio>
#include <filesystem>
#include <string>

#include "ctl/commands.h"
#include "store/mail_store.h"

namespace mail::ctl {

Result<void> store_check(const Invocation& inv) {
  auto dir = inv.config.store_dir();
  // Opening creates a store; checking a fresh empty one would hide a wrong --config.
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    return make_error(ErrorKind::NotFound, "no store in " + dir.string());
  }
  auto store = store::open_lmdb_store(dir, {inv.config.server.store_max_size});
  if (!store) return make_error(store.error().kind, "store: " + store.error().message);
  auto problems = (*store)->check();
  if (!problems) return make_error(problems.error().kind, "store: " + problems.error().message);
  if (!problems->empty()) {
    for (const auto& p : *problems) std::printf("store: %s\n", p.c_str());
    return make_error(ErrorKind::Corrupt, "store check found " + std::to_string(problems->size()) +
                                              (problems->size() == 1 ? " problem" : " problems"));
  }
  // open_lmdb_store refuses unknown schema versions, so an open store has this one.
  std::printf("store: ok (schema %u)\n", store::kSchemaVersion);
  return {};
}

}  // namespace mail::ctl
