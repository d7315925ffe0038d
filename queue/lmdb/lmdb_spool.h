// The LMDB spool: the embedded backend behind queue/spool.h. queue::open_spool() calls
// open_lmdb_spool() when queue.backend is "lmdb"; tests call it directly.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "common/result.h"
#include "queue/spool.h"

namespace mail::queue {

// Environment schema versions (meta "schema_version"). Version 1 had no `claims`
// database and wrote version-1 envelope records; version 2 had no `history` database.
// Opening an older one adds the missing databases and records version 3 (envelope records
// are read in either version and rewritten in the current one when next changed). Newer
// versions are refused.
constexpr uint32_t kLmdbSchemaVersion = 3;

struct LmdbSpoolOptions {
  size_t map_size = size_t{8} << 30;  // the most the spool may grow to (server.queue_max_size)
  HistoryLimits history;              // queue.report_retention_days, report_max_records
};

// Opens (creating when missing, migrating from version 1) the spool in `dir`. Corrupt
// for an unknown schema version.
Result<std::unique_ptr<Spool>> open_lmdb_spool(const std::filesystem::path& dir,
                                               const LmdbSpoolOptions& options = {});

}  // namespace mail::queue
