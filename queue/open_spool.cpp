// open_spool(): the one place that picks the queue backend from the configuration, so
// smtpd, queued and mailctl never name a backend themselves.
#include "common/config.h"
#include "queue/lmdb/lmdb_spool.h"
#include "queue/spool.h"

namespace mail::queue {

Result<std::unique_ptr<Spool>> open_spool(const Config& config) {
  if (config.queue.backend == "lmdb") {
    LmdbSpoolOptions options;
    options.map_size = static_cast<size_t>(config.server.queue_max_size);
    options.history.retention = int64_t{config.queue.report_retention_days} * 86400;
    options.history.max_records = static_cast<uint64_t>(config.queue.report_max_records);
    return open_lmdb_spool(config.queue_dir(), options);
  }
  // The config loader accepts only known backends; this is a caller's bug.
  return make_error(ErrorKind::Invalid, "unknown queue backend \"" + config.queue.backend + "\"");
}

}  // namespace mail::queue
