// store::open_store: the configuration's choice of backend and options (open_store.h).
#include "store/open_store.h"

#include "mime/summary.h"

namespace mail::store {

std::filesystem::path notify_dir(const Config& config) {
  return config.store_dir() / "notify";
}

StoreOptions store_options(const Config& config) {
  StoreOptions options;
  options.map_size = static_cast<size_t>(config.server.store_max_size);  // grows up to it
  options.notify_dir = notify_dir(config);
  // Every process delivers with the MIME summary (ENVELOPE, BODYSTRUCTURE, part offsets,
  // sort keys), computed once per message, and a schema-1 store is migrated with it.
  options.analyze = [](std::string_view message) {
    return mime::encode_summary(mime::analyze(message));
  };
  return options;
}

Result<std::unique_ptr<MailStore>> open_store(const Config& config) {
  return open_lmdb_store(config.store_dir(), store_options(config));
}

}  // namespace mail::store
