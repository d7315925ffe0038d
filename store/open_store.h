// Opening the mailbox store from the configuration: the one function every daemon's main()
// and mailctl use, so the backend (LMDB today, the only one; PostgreSQL later) and its
// options are chosen in one place.
#pragma once

#include <filesystem>
#include <memory>

#include "common/config.h"
#include "store/mail_store.h"

namespace mail::store {

// Where processes bind their change-notice sockets (store/notify.h): <data_dir>/store/notify.
std::filesystem::path notify_dir(const Config& config);

// The options open_store uses: map size from the config, notices on.
StoreOptions store_options(const Config& config);

// Opens the store the config names, migrating an older schema first (see open_lmdb_store).
Result<std::unique_ptr<MailStore>> open_store(const Config& config);

}  // namespace mail::store
