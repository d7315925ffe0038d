#include "auth/open_directory.h"

namespace mail::auth {

Result<std::unique_ptr<Directory>> open_directory(const Config& config) {
  DirectoryOptions options;
  // New passwords (and accounts upgraded at their first password login) get SCRAM keys
  // with the configured iteration count.
  options.scram_iterations = static_cast<uint32_t>(config.auth.scram_iterations);
  options.max_map_size = static_cast<size_t>(config.server.directory_max_size);
  return open_lmdb_directory(config.directory_dir(), options);
}

}  // namespace mail::auth
