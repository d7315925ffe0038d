// auth::open_directory: the one place that opens the directory from the configuration
// (backend, map maximum, SCRAM iteration count), as store::open_store does for the store.
#pragma once

#include <memory>

#include "auth/directory.h"
#include "common/config.h"

namespace mail::auth {

Result<std::unique_ptr<Directory>> open_directory(const Config& config);

}  // namespace mail::auth
